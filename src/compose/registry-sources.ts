/** Sources/publisher wiring: the registrations, the --zones files and the live cluster push keyed objects into one publisher. */
import type { Logger } from '../log.js';
import { hostIndexOptions, type ResolvedOptions } from '../options.js';
import type { Registry } from '../registry/registry.js';
import type { RegistryDelta } from '../registry/registry-delta.js';
import type { MutableRegistryRef } from '../registry/registry-ref.js';
import { createPublisher, type Publisher } from '../registry/publisher.js';
import { createKubernetesSource, type KubernetesSource } from '../kubernetes/kubernetes-source.js';
import { resolveKubernetesOptions } from '../kubernetes/kubernetes-options.js';
import { FilesSource } from '../sources/files-source.js';
import { RegistrationsSource } from '../sources/registrations-source.js';
import type { ServerMetrics } from '../http/metrics.js';

export interface RegistrySources {
  readonly publisher: Publisher;
  readonly registrations: RegistrationsSource;
  readonly files: FilesSource;
  /** With `kubernetes` set: the list/watch of the API. */
  readonly kubernetes: KubernetesSource | undefined;
}

export interface RegistrySourcesDeps {
  readonly registryRef: MutableRegistryRef;
  readonly now: () => number;
  /** The root logger: each source gets its child. */
  readonly log: Logger;
  readonly metrics: ServerMetrics | undefined;
  /**
   * Told about each published snapshot, with what the batch changed (absent for a registry built
   * whole): a --workers primary sends it on.
   */
  readonly onPublish?: (registry: Registry, delta: RegistryDelta | undefined) => void;
}

/** Attaches every source the options ask for to a new publisher (not started); a bad kubeconfig throws its ConfigError here. */
export function createRegistrySources(options: ResolvedOptions, deps: RegistrySourcesDeps): RegistrySources {
  const { metrics, onPublish } = deps;
  const registryLog = deps.log.child({ component: 'registry' });
  const publisher = createPublisher(deps.registryRef, {
    clusterDomain: options.clusterDomain,
    ttl: options.ttl,
    serviceCidrs: options.serviceCidrs,
    podCidrs: options.podCidrs,
    hosts: hostIndexOptions(options),
    now: deps.now,
    log: registryLog,
    onApplied: (batch) => metrics?.observeRegistryApply(batch.changes, batch.seconds),
    onPublish: (registry, applied, hostsChanged) => {
      metrics?.observeReload('success');
      metrics?.setRegistry(registry.counts);
      onPublish?.(registry, applied && { serial: registry.serial, counts: registry.counts, derived: registry.derived, entries: applied.entries, scopes: applied.names, ...(hostsChanged ? { hosts: hostsChanged } : {}) });
    },
  });
  const registrations = new RegistrationsSource({ now: deps.now, log: registryLog.child({ source: 'registrations' }) });
  const files = new FilesSource({
    paths: options.zones,
    maxRegistryBytes: options.maxRegistryBytes,
    strict: options.strict,
    watch: options.watch,
    log: registryLog.child({ source: 'files' }),
    onReload: (result) => {
      if (result === 'failure') metrics?.observeReload('failure');
    },
  });
  publisher.add(registrations);
  publisher.add(files);
  let kubernetes: KubernetesSource | undefined;
  if (options.kubernetes) {
    // Reads the kubeconfig or service account now: a bad one is a ConfigError naming file and field.
    const kube = resolveKubernetesOptions(options.kubernetes);
    const restarts = metrics?.counter('cluster_dns_kubernetes_watch_restarts_total', 'Watches of the Kubernetes API opened again (stream ended, error, relist after 410), by resource.', ['resource']);
    kubernetes = createKubernetesSource({
      connection: kube.connection,
      namespaces: kube.namespaces,
      labelSelector: kube.labelSelector,
      pods: options.pods === 'verified',
      hosts: options.ingressZones.length > 0,
      log: deps.log.child({ component: 'kubernetes' }),
      onWatchRestart: (resource) => restarts?.inc({ resource }),
    });
    publisher.add(kubernetes);
  }
  return { publisher, registrations, files, kubernetes };
}
