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
  const steps = diffRegistriesSteps(before, after);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Services compared between two pauses of diffRegistriesSteps. */
const STEP = 1024;

/**
 * diffRegistries as a generator that pauses every thousand services (the publisher runs it in
 * slices: 11,000 services took 180 ms in one turn of the event loop after a large reload).
 */
export function* diffRegistriesSteps(before: Registry | undefined, after: Registry): Generator<void, RegistryDiff, void> {
  const oldNs = before?.namespaces ?? new Set<string>();
  const key = (s: { namespace: string; name: string }) => `${s.name}.${s.namespace}`;
  const oldServices = new Map<string, Registry['services'][number]>();
  let work = 0;
  for (const s of before?.services ?? []) {
    if (++work % STEP === 0) yield;
    oldServices.set(key(s), s);
  }
  const newKeys = new Set<string>();
  const added: string[] = [];
  const changed: string[] = [];
  for (const s of after.services) {
    if (++work % STEP === 0) yield;
    const k = key(s);
    newKeys.add(k);
    const o = oldServices.get(k);
    if (!o) added.push(k);
    else if (o.kind !== s.kind || o.readyEndpoints !== s.readyEndpoints || o.fingerprint !== s.fingerprint) changed.push(k);
  }
  const removed: string[] = [];
  for (const k of oldServices.keys()) {
    if (++work % STEP === 0) yield;
    if (!newKeys.has(k)) removed.push(k);
  }
  return {
    namespacesAdded: [...after.namespaces].filter((n) => !oldNs.has(n)),
    namespacesRemoved: [...oldNs].filter((n) => !after.namespaces.has(n)),
    servicesAdded: added,
    servicesRemoved: removed,
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
