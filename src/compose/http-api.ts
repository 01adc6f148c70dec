/** The HTTP API's callbacks over the server's parts: /v1 registrations, records and explain, and the /ui page's sources view. */
import { explainOptionsFor, nameServerAddresses, type ResolvedOptions } from '../options.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { listRecords } from '../resolver/list-records.js';
import { EXPLAIN_TYPES, explainType } from '../resolver/explain.js';
import type { Next } from '../resolver/stage.js';
import type { UpstreamHealth } from '../upstream/upstream-health.js';
import type { RegistrationApi } from '../http/http-server.js';
import { traceExplain } from '../http/explain-trace.js';
import type { RegistrySources } from './registry-sources.js';

export interface HttpApiDeps {
  readonly registryRef: RegistryRef;
  readonly sources: Pick<RegistrySources, 'registrations' | 'files' | 'kubernetes'>;
  /** Resolves once a change is served (with --workers: once every worker has it). */
  readonly settle: <T>(change: Promise<T>) => Promise<T>;
  /** The live resolver explain traces with; undefined in a --workers primary, which forwards nothing itself. */
  readonly resolve: Next | undefined;
  readonly upstreamHealth: UpstreamHealth | undefined;
  readonly ready: () => boolean;
  /** Worker processes, for the /ui page; undefined when this process answers the queries. */
  readonly workers: number | undefined;
  readonly now: () => number;
}

/** The /v1 routes' callbacks: registrations through the registrations source, records and explain from the current snapshot. */
export function createRegistrationApi(options: ResolvedOptions, deps: HttpApiDeps): RegistrationApi {
  const { registryRef, settle, now } = deps;
  const { registrations } = deps.sources;
  const explainOptions = explainOptionsFor(options);
  const nsAddresses = nameServerAddresses(options.host);
  return {
    apply: (body, o) => settle(registrations.apply(body, o)),
    replace: (body, o) => settle(registrations.replace(body, o)),
    remove: (target) => settle(registrations.remove(target)),
    list: () => registrations.list(),
    explain: (name, type, namespace) => {
      const registry = registryRef.current();
      if (!registry) return { error: 'the registry is not loaded yet' };
      const t = explainType(type);
      if (t === undefined) return { error: `type: "${type}" is not one of ${Object.keys(EXPLAIN_TYPES).join(', ')}` };
      if (name.length > 255) return { error: 'name: longer than 255 characters (RFC 1035 §2.3.4)' };
      if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) return { error: `namespace: "${namespace}" is not a namespace name (RFC 1123 label)` };
      // The registration of that object (a Service), else of its namespace's same-named object (its native endpoints).
      const leaseOf = (o: { kind: string; namespace: string; name: string }) => {
        const list = registrations.list();
        const same = (r: (typeof list)[number]) => r.namespace === o.namespace && r.name === o.name;
        return (list.find((r) => same(r) && r.kind.toLowerCase() === o.kind.toLowerCase()) ?? list.find(same))?.expiresAtMs;
      };
      // A --workers primary forwards nothing itself: its forwarded names stay FORWARDED.
      return traceExplain({ registry, options: explainOptions, resolve: deps.resolve, leaseOf, now }, name, t, namespace);
    },
    records: () => {
      const registry = registryRef.current();
      return registry ? listRecords(registry, { podMode: options.pods, nameServerAddresses: nsAddresses }) : [];
    },
  };
}

/** GET /v1/ui/sources: each source's state and the upstreams' health, for the /ui page. */
export function createSourcesState(options: ResolvedOptions, deps: HttpApiDeps): () => object {
  const { registryRef, now } = deps;
  const { registrations, files, kubernetes } = deps.sources;
  return () => {
    const registry = registryRef.current();
    const at = now();
    return {
      ready: deps.ready(),
      zone: options.clusterDomain,
      counts: registry?.counts,
      // Changes whenever the content does (the SOA serial): the page re-reads the registry only then.
      serial: registry?.serial,
      files: files.status(),
      kubernetes: kubernetes?.status(),
      registrations: registrations.list().map((r) => ({ ...r, leaseSecondsLeft: r.expiresAtMs === undefined ? null : Math.max(0, Math.round((r.expiresAtMs - at) / 1000)) })),
      upstreams: deps.upstreamHealth?.rows() ?? [],
      // With --workers the queries (and so the query log and upstream health) live in the workers.
      workers: deps.workers,
    };
  };
}
