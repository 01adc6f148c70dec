/** What changed between two registry snapshots, for the one log line each reload writes. Pure. */
import type { Registry } from './registry.js';

export interface RegistryDiff {
  readonly namespacesAdded: readonly string[];
  readonly namespacesRemoved: readonly string[];
  readonly servicesAdded: readonly string[];
  readonly servicesRemoved: readonly string[];
  readonly servicesChanged: readonly string[];
  readonly endpointsBefore: number;
  readonly endpointsAfter: number;
  /** Newly allocated ClusterIPs (`web.shop=10.101.7.42`), logged once rather than on every rebuild. */
  readonly clusterIpsAllocated: readonly string[];
}

export function diffRegistries(before: Registry | undefined, after: Registry): RegistryDiff {
  const oldNs = before?.namespaces ?? new Set<string>();
  const key = (s: { namespace: string; name: string }) => `${s.name}.${s.namespace}`;
  const oldServices = new Map((before?.services ?? []).map((s) => [key(s), s]));
  const newServices = new Map(after.services.map((s) => [key(s), s]));
  const changed: string[] = [];
  for (const [k, s] of newServices) {
    const o = oldServices.get(k);
    if (o && (o.kind !== s.kind || o.readyEndpoints !== s.readyEndpoints || o.fingerprint !== s.fingerprint)) changed.push(k);
  }
  return {
    namespacesAdded: [...after.namespaces].filter((n) => !oldNs.has(n)),
    namespacesRemoved: [...oldNs].filter((n) => !after.namespaces.has(n)),
    servicesAdded: [...newServices.keys()].filter((k) => !oldServices.has(k)),
    servicesRemoved: [...oldServices.keys()].filter((k) => !newServices.has(k)),
    servicesChanged: changed,
    endpointsBefore: before?.counts.endpoints ?? 0,
    endpointsAfter: after.counts.endpoints,
    clusterIpsAllocated: newAllocations(before, after),
  };
}

function newAllocations(before: Registry | undefined, after: Registry): string[] {
  const out: string[] = [];
  const old = before?.derived.allocatedClusterIps;
  for (const [key, ips] of after.derived.allocatedClusterIps) {
    const previous = old?.get(key);
    if (previous && previous.join(',') === ips.join(',')) continue;
    const [namespace, name] = key.split('/');
    out.push(`${name}.${namespace}=${ips.join(',')}`);
  }
  return out;
}
