/**
 * The live cluster as a registry source: one reflector per resource (and per namespace with
 * --namespaces) whose objects are reduced to the slim model as they arrive and pushed, keyed
 * `kind/namespace/name`, into the publisher's sink. Synced once every reflector has listed once
 * (CoreDNS HasSynced). An outage is logged once when it starts and once when it ends.
 */
import type { Logger } from '../log.js';
import type { Diagnostic } from '../registry/diagnostics.js';
import { emptyRegistryInput, type Origin, type RegistryInput } from '../registry/model.js';
import { objectKey, type ObjectKey, type RegistrySink, type RegistrySource } from '../registry/registry-source.js';
import { Problems } from '../sources/field-checks.js';
import { convertKubernetesObject, createCollector } from '../sources/kubernetes-manifests.js';
import { plainDocument } from '../sources/source-document.js';
import { ApiError, createApiClient, type ApiClient } from './api-client.js';
import { createCredentialSource } from './credentials.js';
import type { ClusterConnection } from './kubeconfig.js';
import { backoffDelay, startReflector, type KubeObject, type Reflector, type ReflectorOptions, type ResourceSpec } from './reflector.js';
import { sleep, systemTimers, type Timers } from './timers.js';

export interface KubernetesSourceOptions {
  readonly connection: ClusterConnection;
  /** Watch only these namespaces (one watch each, so namespace-scoped RBAC is enough). Default: all. */
  readonly namespaces?: readonly string[] | undefined;
  /** Sent as labelSelector for services, endpoint slices, endpoints and pods. */
  readonly labelSelector?: string | undefined;
  /** Watch pods too (only `--pods verified` answers from them). */
  readonly pods: boolean;
  /**
   * Watch Ingresses and Gateway API Gateways and routes too (--ingress-zones is set), where the
   * cluster serves them (found by discovery; a cluster without the Gateway API CRDs just lacks them). Default false.
   */
  readonly hosts?: boolean;
  readonly log: Logger;
  /** Told each time a watch is opened again, for cluster_dns_kubernetes_watch_restarts_total. */
  readonly onWatchRestart?: (resource: string) => void;
  readonly timers?: Timers;
  /** Page size, watch timeouts and backoff; defaults as client-go. */
  readonly tuning?: Omit<ReflectorOptions, 'client' | 'timers'>;
}

export const KUBERNETES_SOURCE_ID = 'kubernetes';

/** Gateway API resources that publish hostnames; TLSRoute only where the cluster's CRDs serve it as v1. */
const GATEWAY_RESOURCES: readonly (readonly [string, string])[] = [['gateways', 'Gateway'], ['httproutes', 'HTTPRoute'], ['grpcroutes', 'GRPCRoute'], ['tlsroutes', 'TLSRoute']];

/** What GET /v1/ui/sources shows of the live cluster; times are epoch ms, undefined until it happened. */
export interface KubernetesStatus {
  readonly server: string;
  /** Every resource has been listed once (CoreDNS HasSynced). */
  readonly synced: boolean;
  /** The last added, changed or deleted object seen on a watch. */
  readonly lastEventAt: number | undefined;
  /** The last full list (start, relist after 410 Gone or an outage). */
  readonly lastRelistAt: number | undefined;
  readonly watchRestarts: number;
  /** Resources whose list or watch fails now, with the reason (never a header or token). */
  readonly failing: readonly { readonly resource: string; readonly error: string }[];
}

export interface KubernetesSource extends RegistrySource {
  status(): KubernetesStatus;
}

interface Tracked {
  readonly version: string | undefined;
}

export function createKubernetesSource(options: KubernetesSourceOptions): KubernetesSource {
  const timers = options.timers ?? systemTimers;
  const log = options.log;
  // Built now, so a certificate file that cannot be read stops start-up with its kubeconfig field.
  const client: ApiClient = createApiClient(options.connection, { credentials: createCredentialSource(options.connection, { timers }), timers });
  const stopper = new AbortController();
  const reflectors: Reflector[] = [];
  const problems = new Map<ObjectKey, readonly Diagnostic[]>();
  const failing = new Map<string, unknown>();
  let outageStarted: number | undefined;
  let everSynced = false;
  // Wall-clock times for the status page only; backoff and deadlines use `timers`.
  let lastEventAt: number | undefined;
  let lastRelistAt: number | undefined;
  let watchRestarts = 0;
  let discovery: Promise<void> | undefined;

  function convert(object: KubeObject): { key: ObjectKey; input: RegistryInput | undefined; diagnostics: Diagnostic[] } | undefined {
    const key = keyOf(object);
    if (!key) return undefined;
    const out = createCollector();
    const found = new Problems(plainDocument(`kubernetes ${key}`, object));
    convertKubernetesObject(object, found, out);
    const errors = found.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) return { key, input: undefined, diagnostics: errors };
    // explain (and GET /ui) names the object's resourceVersion beside its origin.
    const version = ((object.metadata ?? {}) as { resourceVersion?: unknown }).resourceVersion;
    // One origin shared by the object's parts, written as a literal: a spread copy per part
    // (`{ ...origin, resourceVersion }`) gave each its own hidden class in V8, ~150 bytes apiece.
    const origin: Origin | undefined = typeof version === 'string' && version !== '' ? { file: found.file, line: 1, resourceVersion: version } : undefined;
    const stamp = <T extends { readonly origin: Origin }>(o: T): T => (origin ? { ...o, origin } : o);
    const namespaces = out.namespaces.map(stamp);
    const endpointGroups = out.endpointGroups.map(stamp);
    const pods = out.pods.map(stamp);
    // Without --ingress-zones no hostname is served: a LoadBalancer's would only be a warning per build.
    const hostObjects = options.hosts ? out.hostObjects : [];
    // The cluster's own controllers already made the EndpointSlices: a live Service never gets
    // endpoints derived from its selector here (that is for manifests written by hand).
    const services = out.services.map(({ selector: _selector, ...service }) => stamp(service));
    const empty = namespaces.length + services.length + endpointGroups.length + pods.length + hostObjects.length === 0;
    return { key, input: empty ? emptyRegistryInput() : { namespaces, services, endpointGroups, pods, hostObjects }, diagnostics: [] };
  }

  function start(sink: RegistrySink): void {
    let pending = 0;
    let reportQueued = false;
    const setProblems = (key: ObjectKey, diagnostics: readonly Diagnostic[]) => {
      if (diagnostics.length === 0 && !problems.has(key)) return;
      if (diagnostics.length === 0) problems.delete(key);
      else problems.set(key, diagnostics);
      // One report per burst of changes, not one per object.
      if (!reportQueued) {
        reportQueued = true;
        queueMicrotask(() => {
          reportQueued = false;
          sink.report([...problems.values()].flat());
        });
      }
    };

    /** Pushes one object; a bad one is reported and not pushed, so the publisher keeps its last good version. */
    const upsert = (tracked: Map<ObjectKey, Tracked>, object: KubeObject) => {
      const converted = convert(object);
      if (!converted) return;
      const version = ((object.metadata ?? {}) as { resourceVersion?: unknown }).resourceVersion;
      const v = typeof version === 'string' ? version : undefined;
      if (v !== undefined && tracked.get(converted.key)?.version === v) return; // unchanged (a relist)
      tracked.set(converted.key, { version: v });
      setProblems(converted.key, converted.diagnostics);
      if (converted.input) sink.upsert(converted.key, converted.input);
    };
    const remove = (tracked: Map<ObjectKey, Tracked>, key: ObjectKey) => {
      tracked.delete(key);
      setProblems(key, []);
      sink.remove(key);
    };

    const watch = (spec: ResourceSpec) => {
      pending++;
      const tracked = new Map<ObjectKey, Tracked>();
      let synced = false;
      reflectors.push(
        startReflector(
          spec,
          {
            replace(objects) {
              lastRelistAt = Date.now();
              const seen = new Set<ObjectKey>();
              for (const object of objects) {
                upsert(tracked, object);
                const converted = keyOf(object);
                if (converted) seen.add(converted);
              }
              for (const key of [...tracked.keys()]) if (!seen.has(key)) remove(tracked, key);
            },
            upsert: (object) => {
              lastEventAt = Date.now();
              upsert(tracked, object);
            },
            remove(object) {
              lastEventAt = Date.now();
              const key = keyOf(object);
              if (key) remove(tracked, key);
            },
            synced() {
              if (synced) return;
              synced = true;
              if (--pending === 0) {
                everSynced = true;
                log.info({ resources: reflectors.length }, 'kubernetes: initial list complete');
                sink.synced();
              }
            },
            failed: (error, retryInMs) => failed(spec.resource, error, retryInMs),
            recovered: () => recovered(spec.resource),
            restarted: () => {
              watchRestarts++;
              options.onWatchRestart?.(spec.resource);
            },
            skipped: (line) =>
              // The object keeps its last good version (or stays absent); the API sends it again after a reconnect.
              log.warn(
                { resource: spec.resource, kind: line.kind, namespace: line.namespace, name: line.name, bytes: line.bytes, offset: line.offset },
                `kubernetes: skipped ${line.name ? `${line.kind ?? spec.kind} ${line.namespace ? `${line.namespace}/` : ''}${line.name}` : `an object at byte ${line.offset} of the ${spec.resource} watch`}: ${line.bytes} bytes, over the 16 MiB a watch event may take; the watch goes on`,
              ),
          },
          { ...options.tuning, client, timers },
        ),
      );
    };

    discovery = discoverAndWatch(watch, sink).catch((error: unknown) => {
      if (!stopper.signal.aborted) log.error({ err: error }, 'kubernetes: source stopped');
    });
  }

  /**
   * The resources one API group version serves (`/apis/<group>/<version>`, an APIResourceList), or
   * undefined where the cluster has no such API (404, or 403 for an `optional` one: hostnames are
   * extra, never a reason to stop serving the cluster); other failures retry with backoff.
   */
  async function discover(groupVersion: string, optional = false): Promise<Set<string> | undefined | 'stopped'> {
    for (let attempt = 0; !stopper.signal.aborted; attempt++) {
      try {
        const list = (await client.getJson(`/apis/${groupVersion}`, {}, stopper.signal)) as { resources?: { name?: unknown }[] } | undefined;
        return new Set((list?.resources ?? []).map((r) => String(r.name)));
      } catch (error) {
        if (stopper.signal.aborted) break;
        if (error instanceof ApiError && (error.status === 404 || (optional && error.status === 403))) return undefined;
        const delay = backoffDelay(attempt, timers.random(), options.tuning?.backoff);
        failed('discovery', error, delay);
        await sleep(timers, delay, stopper.signal);
      }
    }
    return 'stopped';
  }

  /** Reads which APIs the cluster has (EndpointSlices or only v1 Endpoints; Ingress and Gateway API), retrying with backoff, then starts the reflectors. */
  async function discoverAndWatch(watch: (spec: ResourceSpec) => void, sink: RegistrySink): Promise<void> {
    const sliceApi = await discover('discovery.k8s.io/v1');
    if (sliceApi === 'stopped') return;
    const slices = sliceApi !== undefined;
    // Hostnames (--ingress-zones): Ingress from networking.k8s.io/v1, Gateways and routes from gateway.networking.k8s.io/v1 where installed.
    const ingressApi = options.hosts ? await discover('networking.k8s.io/v1', true) : undefined;
    if (ingressApi === 'stopped') return;
    const gatewayApi = options.hosts ? await discover('gateway.networking.k8s.io/v1', true) : undefined;
    if (gatewayApi === 'stopped') return;
    if (stopper.signal.aborted) return;
    recovered('discovery');
    if (!slices) log.warn('kubernetes: no discovery.k8s.io/v1 API; watching v1 Endpoints instead of EndpointSlices');
    const selector = options.labelSelector;
    const scopes: (string | undefined)[] = options.namespaces && options.namespaces.length > 0 ? [...options.namespaces] : [undefined];
    const inScope = (group: string, resource: string, ns: string | undefined) => `${group}${ns ? `/namespaces/${ns}` : ''}/${resource}`;
    if (options.namespaces && options.namespaces.length > 0) {
      // Only these namespaces exist for us; listing namespaces would need cluster-wide rights.
      for (const name of options.namespaces) sink.upsert(objectKey('Namespace', '', name), { ...emptyRegistryInput(), namespaces: [{ name, origin: { file: '--namespaces', line: 1 } }] });
    } else {
      watch({ resource: 'namespaces', path: '/api/v1/namespaces', kind: 'Namespace', apiVersion: 'v1' });
    }
    for (const ns of scopes) {
      watch({ resource: 'services', path: inScope('/api/v1', 'services', ns), kind: 'Service', apiVersion: 'v1', labelSelector: selector });
      if (slices) {
        watch({ resource: 'endpointslices', path: inScope('/apis/discovery.k8s.io/v1', 'endpointslices', ns), kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', labelSelector: selector });
      } else {
        watch({ resource: 'endpoints', path: inScope('/api/v1', 'endpoints', ns), kind: 'Endpoints', apiVersion: 'v1', labelSelector: selector });
      }
      if (options.pods) watch({ resource: 'pods', path: inScope('/api/v1', 'pods', ns), kind: 'Pod', apiVersion: 'v1', labelSelector: selector });
      if (ingressApi?.has('ingresses')) {
        watch({ resource: 'ingresses', path: inScope('/apis/networking.k8s.io/v1', 'ingresses', ns), kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', labelSelector: selector });
      }
      for (const [resource, kind] of GATEWAY_RESOURCES) {
        if (!gatewayApi?.has(resource)) continue;
        watch({ resource, path: inScope('/apis/gateway.networking.k8s.io/v1', resource, ns), kind, apiVersion: 'gateway.networking.k8s.io/v1', labelSelector: selector });
      }
    }
    if (options.hosts && !gatewayApi) log.info('kubernetes: no gateway.networking.k8s.io/v1 API; Gateway and route hostnames are not watched');
  }

  /** The headline of the last warning, so a change of cause (reset → 401) is logged, not hidden as a retry. */
  let lastCause: string | undefined;

  function failed(resource: string, error: unknown, retryInMs: number): void {
    const firstOfOutage = failing.size === 0;
    failing.set(resource, error);
    const cause = causeOf(error);
    const fields = { resource, error: describeError(error), retryInMs, ...(error instanceof ApiError && error.status !== 200 ? { status: error.status } : {}) };
    if (firstOfOutage) outageStarted = timers.now();
    if (firstOfOutage || cause !== lastCause) {
      lastCause = cause;
      log.warn({ ...fields, server: options.connection.server }, `${cause}; ${everSynced ? 'answering from the last state, retrying' : 'cluster names get SERVFAIL until the first sync'}`);
    } else {
      log.debug(fields, 'kubernetes: retrying');
    }
  }

  function recovered(resource: string): void {
    if (!failing.delete(resource) || failing.size > 0) return;
    log.info({ outageMs: Math.round(timers.now() - (outageStarted ?? timers.now())) }, 'kubernetes API reachable again');
    outageStarted = undefined;
    lastCause = undefined;
  }

  return {
    id: KUBERNETES_SOURCE_ID,
    async start(sink) {
      log.info({ server: options.connection.server, from: options.connection.description, namespaces: options.namespaces, labels: options.labelSelector }, 'kubernetes: watching');
      start(sink);
    },
    status: () => ({
      server: options.connection.server,
      synced: everSynced,
      lastEventAt,
      lastRelistAt,
      watchRestarts,
      failing: [...failing].map(([resource, error]) => ({ resource, error: describeError(error) })),
    }),
    async stop() {
      stopper.abort();
      await discovery;
      await Promise.all(reflectors.map((r) => r.stop()));
      client.close();
    },
  };
}

function keyOf(object: KubeObject): ObjectKey | undefined {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  if (typeof metadata.name !== 'string') return undefined;
  const kind = String(object.kind);
  const namespace = kind === 'Namespace' ? '' : typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  return objectKey(kind, namespace, metadata.name);
}

/**
 * What kind of failure, in words for the log: a refusal (401, 403) or an unreadable answer is not
 * "unreachable", and saying so sends the reader after the network instead of the credentials.
 */
function causeOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'kubernetes API refused the credentials (HTTP 401)';
    if (error.status === 403) return 'kubernetes API forbids this (HTTP 403; check the ClusterRole)';
    if (error.status === 200) return 'kubernetes API sent an answer that cannot be read';
    return `kubernetes API answered HTTP ${error.status}`;
  }
  return 'kubernetes API unreachable';
}

/** What went wrong, for a log line: a status and message, or a network error code. Never a header. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? error);
}
