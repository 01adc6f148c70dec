/**
 * What one or more batches of the live registry changed, as a worker of `--workers` applies it to
 * its own copy: the map entries written (undefined: deleted), the new serial, counts and derived
 * summary, and the changed scopes its answer memos drop. Lets the primary send a change rather
 * than a re-encoded snapshot; a worker that missed one asks for everything (a full snapshot).
 */
import type { DomainName } from '../dns/types.js';
import type { HostIndex } from './build-host-index.js';
import { structureNode } from './service-names.js';
import type { RegistryEntries } from './live-registry.js';
import type { NameNode, Registry, RegistryChanges } from './registry.js';

export interface RegistryDelta {
  readonly serial: number;
  readonly counts: Registry['counts'];
  readonly derived: Registry['derived'];
  readonly entries: RegistryEntries;
  /** Changed service names and reverse owners (the memo scopes). */
  readonly scopes: readonly DomainName[];
  /** The Ingress/Gateway/LoadBalancer hostname index, when the batch changed it (small: sent whole). */
  readonly hosts?: HostIndex;
}

/** Several consecutive deltas as one: entries applied in order give the last one's state. */
export function composeDeltas(deltas: readonly RegistryDelta[]): RegistryDelta {
  const last = deltas[deltas.length - 1]!;
  if (deltas.length === 1) return last;
  return {
    serial: last.serial,
    counts: last.counts,
    derived: last.derived,
    entries: {
      names: deltas.flatMap((d) => d.entries.names),
      reverse: deltas.flatMap((d) => d.entries.reverse),
      namespaces: deltas.flatMap((d) => d.entries.namespaces),
      podIps: deltas.flatMap((d) => d.entries.podIps),
      registered: deltas.flatMap((d) => d.entries.registered ?? []),
    },
    scopes: deltas.flatMap((d) => d.scopes),
    ...(hostsOf(deltas) ? { hosts: hostsOf(deltas)! } : {}),
  };
}

/** The newest hostname index among consecutive deltas, if any changed it. */
function hostsOf(deltas: readonly RegistryDelta[]): HostIndex | undefined {
  for (let i = deltas.length - 1; i >= 0; i--) if (deltas[i]!.hosts) return deltas[i]!.hosts;
  return undefined;
}

/** A worker's change log, so the memos of its resolver drop only what a delta changed. */
export interface ChangeLog {
  readonly changes: RegistryChanges;
  /** Records one delta's scopes; returns the new version. */
  record(scopes: readonly DomainName[]): number;
}

export function createChangeLog(keep = 64): ChangeLog {
  let version = 0;
  const log: { version: number; scopes: readonly DomainName[] }[] = [];
  return {
    changes: {
      since(from) {
        if (from === version) return [];
        if (log.length === 0 || from < log[0]!.version - 1 || from > version) return undefined;
        return log.filter((e) => e.version > from).flatMap((e) => e.scopes);
      },
    },
    record(scopes) {
      version++;
      log.push({ version, scopes });
      if (log.length > keep) log.shift();
      return version;
    },
  };
}

/**
 * Writes `delta` into the maps of `registry` (a worker's own copy, decoded from a snapshot) and
 * returns the view to swap in. Synchronous: no query runs in between.
 */
export function applyDelta(registry: Registry, delta: RegistryDelta, log: ChangeLog): Registry {
  const names = registry.names as Map<DomainName, NameNode>;
  const reverse = registry.reverse as Map<DomainName, Registry['reverse'] extends ReadonlyMap<string, infer V> ? V : never>;
  const namespaces = registry.namespaces as Set<string>;
  const podIps = registry.podIps as Map<string, ReadonlySet<string>>;
  for (const [name, node] of delta.entries.names) {
    if (node) names.set(name, node);
    else names.delete(name);
  }
  for (const [owner, ptrs] of delta.entries.reverse) {
    if (ptrs) reverse.set(owner, ptrs);
    else reverse.delete(owner);
  }
  for (const [ns, present] of delta.entries.namespaces) {
    // `<ns>.svc.<zone>` and `<ns>.pod.<zone>` exist exactly while the namespace does (live-registry.ts).
    if (present) {
      namespaces.add(ns);
      names.set(`${ns}.svc.${registry.zone}`, structureNode);
      names.set(`${ns}.pod.${registry.zone}`, structureNode);
    } else {
      namespaces.delete(ns);
      names.delete(`${ns}.svc.${registry.zone}`);
      names.delete(`${ns}.pod.${registry.zone}`);
    }
  }
  for (const [ns, ips] of delta.entries.podIps) {
    if (ips) podIps.set(ns, ips);
    else podIps.delete(ns);
  }
  if (delta.entries.registered && delta.entries.registered.length > 0) {
    const registered = (registry.registeredServices ?? new Set<string>()) as Set<string>;
    for (const [key, present] of delta.entries.registered) {
      if (present) registered.add(key);
      else registered.delete(key);
    }
    registry = { ...registry, registeredServices: registered };
  }
  const version = log.record(delta.scopes);
  return { ...registry, serial: delta.serial, counts: delta.counts, derived: delta.derived, version, changes: log.changes, ...(delta.hosts ? { hosts: delta.hosts } : {}) };
}
