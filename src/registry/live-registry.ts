/**
 * The registry changed per object: every source's keyed objects indexed by the service, namespace
 * and pod they touch, each service's names kept as one part (service-names.ts), and a batch of
 * changed objects turned into the few parts, reverse owners and namespaces it touches. The parts are
 * recomputed off to the side (in steps) and written into the live maps in one synchronous commit, so
 * a query sees a batch whole or not at all. Pure: the clock, logging and scheduling are the caller's.
 *
 * What it derives, and how far a change reaches (each the same as buildRegistry would give):
 * - precedence and duplicates: per service key (the candidates of one `namespace/name`);
 * - endpoints from selectors: a Pod change re-evaluates the selecting services of its namespace whose
 *   selector keys its old or new labels carry (k8s EndpointSlice controller semantics);
 * - ClusterIP allocation: global by nature (reservations, probing in key order), so it is re-run over
 *   every service only when a service changed while some service wants an address, and only the keys
 *   whose addresses moved are recomputed;
 * - simulated workload Pods take addresses from one pool that every endpoint address reserves:
 *   while any workload or as-applied Pod exists the caller builds whole (needsWholeBuild).
 */
import type { Cidr } from '../dns/cidr.js';
import type { DomainName, PTRRecord } from '../dns/types.js';
import { allocateClusterIps, type ClusterIpAllocation } from './allocate-cluster-ips.js';
import { BUILT_IN_NAMESPACES, duplicateServiceDiagnostic, normalizeZone, preferredGroups, REGISTRATIONS_SOURCE_ID, type SourcedInput } from './build-registry.js';
import { deriveControlPlane, DEFAULT_SERVICE_CIDRS } from './derive-control-plane.js';
import type { Diagnostic } from './diagnostics.js';
import { deriveEndpointsFromSelectors } from './endpoints-from-selectors.js';
import type { EndpointGroupInput, PodInput, ServiceInput } from './model.js';
import type { HostIndex } from './build-host-index.js';
import type { NameNode, Registry, RegistryChanges, ServiceSummary } from './registry.js';
import type { ObjectKey } from './registry-source.js';
import { serviceNames, structureNode, type ServiceNames } from './service-names.js';
import { findUnmatchedSelectors } from './unmatched-selectors.js';

export interface LiveRegistryOptions {
  readonly clusterDomain: string;
  readonly ttl: number;
  /** Source ids, highest precedence first. */
  readonly precedence: readonly string[];
  readonly serviceCidrs?: readonly Cidr[];
  readonly podCidrs?: readonly Cidr[];
}

/** One object's new state (undefined: removed), in push order. */
export interface ObjectChange {
  readonly source: string;
  readonly key: ObjectKey;
  readonly input: SourcedInput | undefined;
}

/** What one batch changed, for logs, metrics and the answer memo. */
export interface AppliedDelta {
  /** `namespace/name` of services whose names changed (added, removed or different). */
  readonly servicesAdded: readonly string[];
  readonly servicesRemoved: readonly string[];
  readonly servicesChanged: readonly string[];
  /** Service keys recomputed (changed or not). */
  readonly recomputed: number;
  readonly namespacesAdded: readonly string[];
  readonly namespacesRemoved: readonly string[];
  /** Names whose memoised answers are stale: changed services' names and changed reverse owners. */
  readonly names: readonly DomainName[];
  /** ClusterIP allocation was re-run over every service. */
  readonly reallocated: boolean;
  /** The live maps' entries this batch set (undefined: deleted), for copies of the registry elsewhere (--workers). */
  readonly entries: RegistryEntries;
}

/** Entries of the registry's maps a batch wrote, in the order written; undefined means deleted. */
export interface RegistryEntries {
  readonly names: readonly (readonly [DomainName, NameNode | undefined])[];
  readonly reverse: readonly (readonly [DomainName, readonly PTRRecord[] | undefined])[];
  readonly namespaces: readonly (readonly [string, boolean])[];
  readonly podIps: readonly (readonly [string, ReadonlySet<string> | undefined])[];
  /** Services (`namespace/name`) that began or stopped coming from registrations (the public short-form rule). */
  readonly registered?: readonly (readonly [string, boolean])[];
}

export interface LiveRegistry {
  /**
   * Takes in a batch: indexes the objects at once, recomputes the touched parts in steps (yield =
   * a good moment to let queries run; the live maps are untouched until the last step), then commits
   * synchronously. Returns undefined, having committed nothing, when needsWholeBuild() holds.
   */
  applySteps(changes: readonly ObjectChange[]): Generator<void, AppliedDelta | undefined, void>;
  /** Workloads or as-applied Pods exist: simulated Pods need a whole build (see the file comment). */
  needsWholeBuild(): boolean;
  /** A snapshot view over the live maps with this serial; the previous views see the same maps. */
  publish(serial: number, hosts?: HostIndex): Registry;
  /** The objects in the whole build's order: by precedence, newest push first within a source. */
  orderedInputs(): SourcedInput[];
  /** Shadowed or duplicate services, allocation failures, selectors that match nothing. */
  diagnostics(): readonly Diagnostic[];
}

/** One object as indexed: which source, in which push order. */
interface ObjectRecord {
  readonly source: string;
  readonly input: SourcedInput;
  readonly seq: number;
  readonly rank: number;
}

/** A service, endpoint group or pod of one object, with what orders it as the whole build would. */
interface Entry<T> {
  readonly of: ObjectRecord;
  readonly value: T;
  /** Position within the object's input. */
  readonly pos: number;
}

/** Whole-build order: precedence first, the newest push of a source first, then position in the input. */
function byBuildOrder<T>(x: Entry<T>, y: Entry<T>): number {
  return x.of.rank - y.of.rank || y.of.seq - x.of.seq || x.pos - y.pos;
}

const serviceKey = (namespace: string, name: string) => `${namespace.toLowerCase()}/${name.toLowerCase()}`;
/** The key the derivation uses to ask "does this service have EndpointSlices/Endpoints?" (as written). */
const rawKey = (namespace: string, name: string) => `${namespace}/${name}`;

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function removeFrom<K, V extends { of: ObjectRecord }>(map: Map<K, V[]>, key: K, of: ObjectRecord): void {
  const list = map.get(key);
  if (!list) return;
  const kept = list.filter((e) => e.of !== of);
  if (kept.length === 0) map.delete(key);
  else map.set(key, kept);
}

function count<K>(map: Map<K, number>, key: K, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}

/** How many batches the memo may be behind and still drop only what changed; older: it starts over. */
const CHANGE_LOG_BATCHES = 64;

export function createLiveRegistry(options: LiveRegistryOptions): LiveRegistry {
  const zone = normalizeZone(options.clusterDomain);
  const ttl = options.ttl;
  const serviceCidrs = options.serviceCidrs ?? DEFAULT_SERVICE_CIDRS;
  const rankOf = new Map(options.precedence.map((id, i) => [id, i]));

  // The objects, per source, in push order (a re-push moves to the end).
  const objects = new Map<string, Map<ObjectKey, ObjectRecord>>();
  let seq = 0;
  // Indexes over the objects.
  const candidates = new Map<string, Entry<ServiceInput>[]>();
  /** `namespace/name` of the services whose winning definition came from registrations. */
  const registeredServices = new Set<string>();
  const groups = new Map<string, Entry<EndpointGroupInput>[]>();
  const groupRawKeys = new Map<string, number>();
  /** Raw namespace → pod name → the pods of that name (several sources may hold one). */
  const pods = new Map<string, Map<string, Entry<PodInput>[]>>();
  const podsPerNamespace = new Map<string, number>();
  /** Lowercase namespace → the namespaces as written that pods use (in a cluster, the same one). */
  const podNamespacesAsWritten = new Map<string, Set<string>>();
  const namespaceObjects = new Map<string, number>();
  /** Raw namespace → service keys with a selecting candidate there → how many. */
  const selecting = new Map<string, Map<string, number>>();
  let wanting = 0; // candidates that want an allocated ClusterIP
  let workloads = 0;
  let asApplied = 0;
  let podTotal = 0;

  // Derived state.
  let allocation: ClusterIpAllocation = allocateClusterIps([], serviceCidrs);
  /** Each service key's committed part, slim: its names (their nodes live in `names`) and PTR pairs. */
  const parts = new Map<string, KeptPart>();
  const keyDiagnostics = new Map<string, readonly Diagnostic[]>();
  const servicesPerNamespace = new Map<string, number>();
  let endpointTotal = 0;

  // The live maps every snapshot view shares.
  const names = new Map<DomainName, NameNode>();
  const reverse = new Map<DomainName, PTRRecord[]>();
  /**
   * `owner target` PTR pairs that more than one part holds, and how many more: normally none, since
   * every target lies under its own service's name; kept so that removing one part keeps the other's.
   */
  const extraPtrs = new Map<string, number>();
  const namespaces = new Set<string>();
  const podIps = new Map<string, Set<string>>();
  const summaries = new Map<string, ServiceSummary>();

  names.set(`svc.${zone}`, structureNode);
  names.set(`pod.${zone}`, structureNode);
  for (const ns of BUILT_IN_NAMESPACES) addNamespace(ns);

  // Changed names of recent batches, for memos that skipped some (RegistryChanges.since).
  let version = 0;
  const log: { version: number; names: readonly DomainName[] }[] = [];
  const changes: RegistryChanges = {
    since(from) {
      if (from === version) return [];
      if (log.length === 0 || from < log[0]!.version - 1 || from > version) return undefined;
      const out: DomainName[] = [];
      for (const entry of log) if (entry.version > from) out.push(...entry.names);
      return out;
    },
  };

  function addNamespace(ns: string): void {
    namespaces.add(ns);
    names.set(`${ns}.svc.${zone}`, structureNode);
    names.set(`${ns}.pod.${zone}`, structureNode);
  }

  function index(record: ObjectRecord, sign: 1 | -1, touched: Touched): void {
    const input = record.input;
    input.services.forEach((svc, pos) => {
      const key = serviceKey(svc.namespace, svc.name);
      touched.keys.add(key);
      touched.services = true;
      if (sign > 0) addTo(candidates, key, { of: record, value: svc, pos });
      else removeFrom(candidates, key, record);
      if (svc.kind === 'ClusterIP' && svc.clusterIPs.length === 0) wanting += sign;
      if (svc.selector) {
        let keys = selecting.get(svc.namespace);
        if (!keys) selecting.set(svc.namespace, (keys = new Map()));
        count(keys, key, sign);
        if (keys.size === 0) selecting.delete(svc.namespace);
      }
    });
    input.endpointGroups.forEach((group, pos) => {
      const key = serviceKey(group.namespace, group.service);
      touched.keys.add(key);
      if (sign > 0) addTo(groups, key, { of: record, value: group, pos });
      else removeFrom(groups, key, record);
      count(groupRawKeys, rawKey(group.namespace, group.service), sign);
    });
    input.pods.forEach((pod, pos) => {
      let byName = pods.get(pod.namespace);
      if (!byName) pods.set(pod.namespace, (byName = new Map()));
      if (sign > 0) addTo(byName, pod.name, { of: record, value: pod, pos });
      else removeFrom(byName, pod.name, record);
      if (byName.size === 0) pods.delete(pod.namespace);
      const lower = pod.namespace.toLowerCase();
      let written = podNamespacesAsWritten.get(lower);
      if (!written) podNamespacesAsWritten.set(lower, (written = new Set()));
      if (pods.has(pod.namespace)) written.add(pod.namespace);
      else written.delete(pod.namespace);
      if (written.size === 0) podNamespacesAsWritten.delete(lower);
      count(podsPerNamespace, pod.namespace.toLowerCase(), sign);
      podTotal += sign;
      if (pod.asApplied) asApplied += sign;
      touched.namespaces.add(pod.namespace.toLowerCase());
      touched.pods.push(pod);
    });
    for (const ns of input.namespaces) {
      count(namespaceObjects, ns.name.toLowerCase(), sign);
      touched.namespaces.add(ns.name.toLowerCase());
    }
    workloads += sign * (input.workloads?.length ?? 0);
  }

  /** The real Pods of a namespace as the derivation sees them: the first of each name in build order. */
  function realPodsOf(rawNamespace: string, cache: Map<string, PodInput[]>): PodInput[] {
    let list = cache.get(rawNamespace);
    if (list) return list;
    list = [];
    for (const entries of pods.get(rawNamespace)?.values() ?? []) list.push([...entries].sort(byBuildOrder)[0]!.value);
    cache.set(rawNamespace, list);
    return list;
  }

  const withAddresses = (svc: ServiceInput): ServiceInput => {
    const ips = allocation.assigned.get(svc);
    return ips ? { ...svc, clusterIPs: ips } : svc;
  };

  /** One service key's part and diagnostics, from the indexes (nothing live is written). */
  function computeKey(key: string, podCache: Map<string, PodInput[]>): { part: ServiceNames | undefined; diagnostics: readonly Diagnostic[]; registered?: boolean } {
    const kept = (candidates.get(key) ?? []).filter((c) => !allocation.rejected.has(c.value)).sort(byBuildOrder);
    const winner = kept[0];
    if (!winner) return { part: undefined, diagnostics: [] };
    const diagnostics: Diagnostic[] = [];
    const from = winner.of.source;
    const registered = from === REGISTRATIONS_SOURCE_ID;
    for (const c of kept.slice(1)) diagnostics.push(duplicateServiceDiagnostic(c.value, c.of.source, winner.value, from));
    const own = (groups.get(key) ?? []).filter((g) => g.of.source === from).sort(byBuildOrder).map((g) => g.value);
    // Selectors apply only where no EndpointSlices/Endpoints exist for the service (from any source):
    // those are the controller's own output and win. Derived groups go with whichever service won.
    const derived: EndpointGroupInput[] = [];
    for (const c of kept) {
      const svc = c.value;
      if (!svc.selector || groupRawKeys.has(rawKey(svc.namespace, svc.name))) continue;
      const final = withAddresses(svc);
      const podsThere = realPodsOf(svc.namespace, podCache);
      derived.push(...deriveEndpointsFromSelectors([final], podsThere));
      diagnostics.push(...findUnmatchedSelectors([final], podsThere));
    }
    const part = serviceNames(withAddresses(winner.value), preferredGroups([...own, ...derived]), zone, ttl);
    return { part, diagnostics, registered };
  }

  /** Every candidate in the whole build's order (allocation depends on the order of duplicates). */
  function allServices(): ServiceInput[] {
    const out: ServiceInput[] = [];
    for (const input of orderedInputs()) out.push(...input.services);
    return out;
  }

  /** A key's allocation outcome, to see which keys a re-run moved. */
  function allocationOf(key: string, of: ClusterIpAllocation): string {
    let out = '';
    for (const c of candidates.get(key) ?? []) out += of.rejected.has(c.value) ? 'x;' : `${of.assigned.get(c.value)?.join(',') ?? ''};`;
    return out;
  }

  function orderedInputs(): SourcedInput[] {
    const out: SourcedInput[] = [];
    for (const id of options.precedence) {
      const records = [...(objects.get(id)?.values() ?? [])];
      for (let i = records.length - 1; i >= 0; i--) out.push(records[i]!.input);
    }
    return out;
  }

  /**
   * Counts a part's PTR pairs up or down into `owners`, the working target lists of the reverse
   * owners a commit touches (copied from the live map when first touched; written back sorted).
   */
  function setPtrs(ptrs: readonly DomainName[], by: 1 | -1, owners: Map<DomainName, DomainName[]>): void {
    for (let i = 0; i < ptrs.length; i += 2) {
      const owner = ptrs[i]!;
      const target = ptrs[i + 1]!;
      let targets = owners.get(owner);
      if (!targets) owners.set(owner, (targets = (reverse.get(owner) ?? []).map((r) => r.target)));
      const at = targets.indexOf(target);
      if (by > 0) {
        if (at < 0) targets.push(target);
        else count(extraPtrs, `${owner} ${target}`, 1);
      } else if (extraPtrs.size > 0 && extraPtrs.has(`${owner} ${target}`)) count(extraPtrs, `${owner} ${target}`, -1);
      else if (at >= 0) targets.splice(at, 1);
    }
  }

  /** What batches indexed while a whole build served touched: recomputed once the live maps serve again. */
  let deferred: Touched | undefined;

  function* applySteps(batch: readonly ObjectChange[]): Generator<void, AppliedDelta | undefined, void> {
    const touched: Touched = deferred ?? { keys: new Set(), namespaces: new Set(), pods: [], services: false };
    // Coming back from whole builds, the allocation may have moved anywhere: re-run it.
    const wantingBefore = deferred?.services ? Infinity : wanting;
    deferred = undefined;
    for (const change of batch) {
      let bySource = objects.get(change.source);
      if (!bySource) objects.set(change.source, (bySource = new Map()));
      const old = bySource.get(change.key);
      if (old) {
        index(old, -1, touched);
        bySource.delete(change.key);
      }
      if (change.input) {
        const record: ObjectRecord = { source: change.source, input: change.input, seq: ++seq, rank: rankOf.get(change.source) ?? options.precedence.length };
        bySource.set(change.key, record);
        index(record, 1, touched);
      }
    }
    if (needsWholeBuild()) {
      deferred = touched;
      return undefined;
    }

    // A Pod change reaches the selecting services of its namespace whose selector keys it carries
    // (before or after): matches, and the "Pods there have …" hint of a selector that matches nothing.
    for (const pod of touched.pods) {
      const keys = selecting.get(pod.namespace);
      if (!keys) continue;
      // Another source's Pod of the same name may now be the one the derivation sees.
      const labelSets = [pod.labels ?? {}, ...(pods.get(pod.namespace)?.get(pod.name) ?? []).map((e) => e.value.labels ?? {})];
      for (const key of keys.keys()) {
        if (touched.keys.has(key)) continue;
        if ((candidates.get(key) ?? []).some((c) => c.value.selector && labelSets.some((labels) => carriesKeyOf(c.value.selector!, labels)))) touched.keys.add(key);
      }
    }

    // ClusterIP allocation is one pass over every service; re-run it only when it can have moved.
    let reallocated = false;
    if (touched.services && (wantingBefore > 0 || wanting > 0)) {
      const before = allocation;
      const affected = new Set<string>([...before.assigned.keys(), ...before.rejected].map((s) => serviceKey(s.namespace, s.name)));
      const next = allocateClusterIps(allServices(), serviceCidrs);
      for (const s of [...next.assigned.keys(), ...next.rejected]) affected.add(serviceKey(s.namespace, s.name));
      for (const key of affected) {
        if (touched.keys.has(key)) continue;
        if (allocationOf(key, before) !== allocationOf(key, next)) touched.keys.add(key);
      }
      // Keys whose candidates were removed in this batch were touched already; compare the rest under the new allocation.
      allocation = next;
      reallocated = true;
    }

    // Recompute the touched keys off to the side: queries keep reading the maps as they were.
    const podCache = new Map<string, PodInput[]>();
    const computed = new Map<string, { part: ServiceNames | undefined; diagnostics: readonly Diagnostic[] }>();
    let work = 0;
    for (const key of touched.keys) {
      computed.set(key, computeKey(key, podCache));
      if (++work % 256 === 0) yield;
    }
    return commit(computed, touched, reallocated);
  }

  /** Writes the recomputed parts into the live maps: synchronous, so no query sees half of it. */
  function commit(computed: Map<string, { part: ServiceNames | undefined; diagnostics: readonly Diagnostic[]; registered?: boolean }>, touched: Touched, reallocated: boolean): AppliedDelta {
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const changedNames: DomainName[] = [];
    const changedOwners = new Map<DomainName, DomainName[]>();
    const namespacesTouched = new Set(touched.namespaces);
    const written: { names: [DomainName, NameNode | undefined][]; reverse: [DomainName, PTRRecord[] | undefined][]; namespaces: [string, boolean][]; podIps: [string, Set<string> | undefined][]; registered: [string, boolean][] } = { names: [], reverse: [], namespaces: [], podIps: [], registered: [] };
    for (const [key, { part, diagnostics, registered }] of computed) {
      if (diagnostics.length > 0) keyDiagnostics.set(key, diagnostics);
      else keyDiagnostics.delete(key);
      const old = parts.get(key);
      // Which source a service came from decides its public-looking short forms (short-form-stage.ts):
      // a change of source alone changes its answers, so its names count as changed.
      const isRegistered = part !== undefined && registered === true;
      if (registeredServices.has(key) !== isRegistered) {
        if (isRegistered) registeredServices.add(key);
        else registeredServices.delete(key);
        written.registered.push([key, isRegistered]);
        if (old && part && old.summary.fingerprint === part.summary.fingerprint) changedNames.push(part.name);
      }
      if (!old && !part) continue; // endpoints of a service nobody defines
      if (old && part && old.summary.kind === part.summary.kind && old.summary.fingerprint === part.summary.fingerprint) continue; // same names: keep the old part and its memo
      if (old) {
        for (const name of old.names) {
          if (part?.nodes.has(name)) continue;
          names.delete(name);
          written.names.push([name, undefined]);
        }
        setPtrs(old.ptrs, -1, changedOwners);
        endpointTotal -= old.endpoints;
        changedNames.push(old.name);
      }
      if (part) {
        for (const [name, node] of part.nodes) {
          names.set(name, node);
          written.names.push([name, node]);
        }
        setPtrs(part.ptrs, 1, changedOwners);
        endpointTotal += part.endpoints;
        parts.set(key, { name: part.name, names: [...part.nodes.keys()], ptrs: part.ptrs, summary: part.summary, endpoints: part.endpoints });
        summaries.set(key, part.summary);
        if (!old) changedNames.push(part.name);
      } else {
        parts.delete(key);
        summaries.delete(key);
      }
      const ns = (part ?? old)!.summary.namespace;
      if (!old) count(servicesPerNamespace, ns, 1);
      if (!part) count(servicesPerNamespace, ns, -1);
      if (!old || !part) namespacesTouched.add(ns);
      (old ? (part ? changed : removed) : added).push(key);
    }
    for (const [owner, targets] of changedOwners) {
      if (targets.length === 0) {
        reverse.delete(owner);
        written.reverse.push([owner, undefined]);
      } else {
        const ptrs: PTRRecord[] = targets.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map((target) => ({ type: 'PTR', name: owner, ttl, target }));
        reverse.set(owner, ptrs);
        written.reverse.push([owner, ptrs]);
      }
      changedNames.push(owner);
    }
    const namespacesAdded: string[] = [];
    const namespacesRemoved: string[] = [];
    for (const ns of namespacesTouched) {
      const exists = BUILT_IN_NAMESPACES.includes(ns) || namespaceObjects.has(ns) || podsPerNamespace.has(ns) || servicesPerNamespace.has(ns);
      if (exists && !namespaces.has(ns)) {
        addNamespace(ns);
        namespacesAdded.push(ns);
        written.namespaces.push([ns, true]);
      } else if (!exists && namespaces.has(ns)) {
        namespaces.delete(ns);
        names.delete(`${ns}.svc.${zone}`);
        names.delete(`${ns}.pod.${zone}`);
        namespacesRemoved.push(ns);
        written.namespaces.push([ns, false]);
      }
      // Pod addresses of the namespace, every source's Pods alike (for --pods verified).
      if (!podsPerNamespace.has(ns)) {
        if (podIps.delete(ns)) written.podIps.push([ns, undefined]);
      } else {
        const ips = new Set<string>();
        for (const raw of podNamespacesAsWritten.get(ns) ?? []) for (const entries of pods.get(raw)?.values() ?? []) for (const e of entries) for (const ip of e.value.ips) ips.add(ip);
        podIps.set(ns, ips);
        written.podIps.push([ns, ips]);
      }
    }
    version++;
    log.push({ version, names: changedNames });
    if (log.length > CHANGE_LOG_BATCHES) log.shift();
    return { servicesAdded: added, servicesRemoved: removed, servicesChanged: changed, recomputed: computed.size, namespacesAdded, namespacesRemoved, names: changedNames, reallocated, entries: written };
  }

  function needsWholeBuild(): boolean {
    return workloads > 0 || asApplied > 0;
  }

  function publish(serial: number, hosts?: HostIndex): Registry {
    const allocatedAddresses = new Map<string, 'allocated'>();
    for (const ips of allocation.allocated.values()) for (const ip of ips) allocatedAddresses.set(ip, 'allocated');
    let sortedServices: readonly ServiceSummary[] | undefined;
    let inputs: readonly SourcedInput[] | undefined;
    const view = {
      zone,
      ttl,
      serial: serial >>> 0,
      namespaces,
      names,
      reverse,
      podIps,
      counts: { namespaces: namespaces.size, services: parts.size, endpoints: endpointTotal, pods: podTotal },
      derived: { allocatedClusterIps: allocation.allocated, addresses: allocatedAddresses, simulatedPods: 0 },
      version,
      changes,
      ...(hosts ? { hosts } : {}),
      registeredServices,
    };
    // Listings and explain only: sorted or derived when first read, never on the query path.
    Object.defineProperty(view, 'services', {
      enumerable: true,
      get: () => (sortedServices ??= [...summaries.values()].sort((x, y) => (x.namespace === y.namespace ? cmp(x.name, y.name) : cmp(x.namespace, y.namespace)))),
    });
    Object.defineProperty(view, 'inputs', {
      enumerable: true,
      get: () => (inputs ??= deriveControlPlane(orderedInputs(), { serviceCidrs, ...(options.podCidrs ? { podCidrs: options.podCidrs } : {}) }).inputs),
    });
    return view as unknown as Registry;
  }

  return {
    applySteps,
    needsWholeBuild,
    publish,
    orderedInputs,
    diagnostics: () => [...allocation.diagnostics, ...[...keyDiagnostics.values()].flat()],
  };
}

/** What the live registry keeps of a committed part (ServiceNames without its node map). */
interface KeptPart {
  readonly name: DomainName;
  readonly names: readonly DomainName[];
  readonly ptrs: readonly DomainName[];
  readonly summary: ServiceSummary;
  readonly endpoints: number;
}

/** What a batch's objects reach before derivation widens it. */
interface Touched {
  readonly keys: Set<string>;
  readonly namespaces: Set<string>;
  readonly pods: PodInput[];
  services: boolean;
}

/** The labels carry a key the selector asks about (an empty selector asks about every Pod). */
function carriesKeyOf(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  let empty = true;
  for (const key in selector) {
    empty = false;
    if (key in labels) return true;
  }
  return empty;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
