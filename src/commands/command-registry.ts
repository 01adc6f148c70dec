/**
 * The registry the one-shot commands (check, records, explain) look at: the --zones files, and with
 * --kubeconfig / --kubernetes the cluster as one list of each resource, taken through the same
 * source the server watches with. Files come first, as in the server (a file shadows the cluster).
 */
import type { Writable } from 'node:stream';
import { resolveKubernetesOptions } from '../kubernetes/kubernetes-options.js';
import { createKubernetesSource, KUBERNETES_SOURCE_ID } from '../kubernetes/kubernetes-source.js';
import { createLogger, defaultLogFormat } from '../log.js';
import { buildRegistry, type BuildResult, type SourcedInput } from '../registry/build-registry.js';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import type { ObjectKey, RegistrySink } from '../registry/registry-source.js';
import { hostIndexOptions, type ResolvedOptions } from '../options.js';
import { readZones } from '../sources/zones-reader.js';

/** How long a command waits for the cluster's first full list before giving up. */
export const CLUSTER_LIST_TIMEOUT_MS = 30_000;

export interface CommandRegistry extends BuildResult {
  /**
   * Problems of the files, then of the cluster's objects. As the server does on its first load, an
   * object that does not convert is left out and its neighbours are served; a file that cannot be
   * read or parsed is left out whole.
   */
  readonly sourceDiagnostics: readonly Diagnostic[];
  readonly files: number;
  /** Objects listed from the cluster (undefined without --kubeconfig / --kubernetes). */
  readonly clusterObjects: number | undefined;
}

/**
 * Reads the files and, with a cluster configured, lists it once; undefined when the cluster gave no
 * complete list in time (the reason is already on `err`: the command exits 1).
 */
export async function readCommandRegistry(options: ResolvedOptions, err: Writable, timeoutMs = CLUSTER_LIST_TIMEOUT_MS): Promise<CommandRegistry | undefined> {
  const results = await readZones(options.zones, undefined, { maxBytes: options.maxRegistryBytes });
  const sourceDiagnostics: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  const inputs: SourcedInput[] = results.filter((r) => !r.wholeFileError).map((r) => ({ ...r.input, source: 'files' }));
  let clusterObjects: number | undefined;
  if (options.kubernetes) {
    const listed = await listClusterOnce(options, err, timeoutMs);
    if (!listed) return undefined;
    clusterObjects = listed.objects.length;
    for (const input of listed.objects) inputs.push({ ...input, source: KUBERNETES_SOURCE_ID });
    sourceDiagnostics.push(...listed.diagnostics);
  }
  const built = buildRegistry(inputs, {
    clusterDomain: options.clusterDomain,
    ttl: options.ttl,
    serviceCidrs: options.serviceCidrs,
    podCidrs: options.podCidrs,
    hosts: hostIndexOptions(options),
    serial: Math.floor(Date.now() / 1000),
  });
  return { ...built, sourceDiagnostics, files: results.length, clusterObjects };
}

/**
 * Starts the Kubernetes source with a sink that only collects, waits for its first sync (every
 * resource listed once), stops it and returns the objects. Errors on the way are logged by the
 * source (never a credential); no sync within `timeoutMs` is one line on `err` and undefined.
 */
async function listClusterOnce(options: ResolvedOptions, err: Writable, timeoutMs: number): Promise<{ objects: RegistryInput[]; diagnostics: readonly Diagnostic[] } | undefined> {
  const kube = resolveKubernetesOptions(options.kubernetes!);
  // Warnings and errors only: a command's stdout is its output, its stderr says what went wrong.
  const log = createLogger({ level: options.logLevel === 'info' ? 'warn' : options.logLevel, format: defaultLogFormat(process.stderr.isTTY === true) });
  const source = createKubernetesSource({ connection: kube.connection, namespaces: kube.namespaces, labelSelector: kube.labelSelector, pods: options.pods === 'verified', hosts: options.ingressZones.length > 0, log });
  const objects = new Map<ObjectKey, RegistryInput>();
  let diagnostics: readonly Diagnostic[] = [];
  let synced!: () => void;
  const sync = new Promise<void>((resolve) => (synced = resolve));
  const sink: RegistrySink = {
    upsert: (key, input) => void objects.set(key, input),
    remove: (key) => void objects.delete(key),
    replaceAll(entries) {
      objects.clear();
      for (const e of entries) objects.set(e.key, e.input);
    },
    report: (current) => void (diagnostics = current),
    synced: () => synced(),
    published: () => Promise.resolve(),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    await source.start(sink);
    const outcome = await Promise.race([sync.then(() => 'synced' as const), timeout]);
    if (outcome === 'timeout') {
      err.write(`cluster-dns: the Kubernetes API at ${kube.connection.server} gave no complete list within ${Math.round(timeoutMs / 1000)} s (see the errors above)\n`);
      return undefined;
    }
    return { objects: [...objects.values()], diagnostics };
  } finally {
    clearTimeout(timer);
    await source.stop();
  }
}
