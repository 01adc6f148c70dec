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
  };
}
