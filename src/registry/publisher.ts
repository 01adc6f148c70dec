/**
 * The one publisher: every source pushes keyed objects into its own map here; the keys pushed since
 * the last batch are coalesced into one batch (at most one running and one pending) that the live
 * registry applies per object (live-registry.ts: only the names those objects own are recomputed,
 * committed between queries), and the registry is ready once every source has synced (CoreDNS
 * waits for its informers' HasSynced). Only a registry with workloads to simulate is built whole.
 */
import type { BuildOptions, SourcedInput } from './build-registry.js';
import { buildRegistryInSlices, runInSlices } from './build-in-slices.js';
import { formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { createLiveRegistry, type AppliedDelta, type ObjectChange } from './live-registry.js';
import type { RegistryInput } from './model.js';
import { buildHostIndex, type HostIndex } from './build-host-index.js';
import type { Registry } from './registry.js';
import { diffRegistriesSteps, type RegistryDiff } from './registry-diff.js';
import type { MutableRegistryRef } from './registry-ref.js';
import type { ObjectKey, RegistryLog, RegistrySink, RegistrySource, SourceEntry } from './registry-source.js';

/**
 * Which source wins when two define the same service, first wins: what a user registers by hand is
 * a deliberate override of the files, and the files a deliberate override of what the cluster says
 * (as a hosts file shadows DNS). Kubernetes is last so a laptop can patch one service of a cluster.
 */
export const DEFAULT_PRECEDENCE: readonly string[] = ['registrations', 'files', 'kubernetes'];

export interface PublisherOptions {
  readonly clusterDomain: string;
  readonly ttl: number;
  /** Ranges for allocated ClusterIPs and simulated Pods (buildRegistry's defaults when absent). */
  readonly serviceCidrs?: BuildOptions['serviceCidrs'];
  readonly podCidrs?: BuildOptions['podCidrs'];
  /** Ingress, Gateway and LoadBalancer hostnames: zones and default address (buildRegistry's default: none). */
  readonly hosts?: BuildOptions['hosts'];
  /** Source ids, highest precedence first. Default DEFAULT_PRECEDENCE. */
  readonly precedence?: readonly string[];
  /** Clock for SOA serials. Default Date.now. */
  readonly now?: () => number;
  readonly log?: RegistryLog;
  /** Told about each published registry (metrics, --workers), with what the batch changed unless it was built whole. */
  readonly onPublish?: (registry: Registry, delta: AppliedDelta | undefined, hostsChanged: HostIndex | undefined) => void;
  /** Told about each batch applied: object changes per source and how long the batch took (metrics). */
  readonly onApplied?: (batch: AppliedBatch) => void;
  /**
   * Least time between the starts of two batches, ms. Default 10. The first change after a quiet
   * spell is applied on the next turn of the event loop; changes that arrive while a batch is pending
   * or within this window of the last one share the next batch, so a rollout's 1,000 watch events
   * are a few batches, and a change is served within this window plus one batch.
   */
  readonly coalesceMs?: number;
}

export interface AppliedBatch {
  /** Objects upserted or removed, by source id. */
  readonly changes: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** `incremental`: per object; `whole`: built whole (workloads to simulate). */
  readonly mode: 'incremental' | 'whole';
}

export interface PublisherStats {
  /** Batches applied (or, with workloads to simulate, snapshots built whole). */
  readonly builds: number;
  /** upsert/remove/replaceAll calls received. */
  readonly changes: number;
}

export interface Publisher {
  /** Attaches a source; its id must be in the precedence list. Call before start(). */
  add(source: RegistrySource): void;
  /** Starts every source in the order added; a source whose start throws (--strict) fails it. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every source has called synced() and the first snapshot is published. */
  ready(): boolean;
  /** Resolves once every change pushed so far is served (at once before readiness). */
  published(): Promise<void>;
  /** The sources' current problems, then the last build's, for `check`-like listings. */
  diagnostics(): readonly Diagnostic[];
  stats(): PublisherStats;
}

/** One source's keyed objects (the live registry keeps their push order). */
interface SourceState {
  readonly source: RegistrySource;
  readonly objects: Map<ObjectKey, SourcedInput>;
  diagnostics: readonly Diagnostic[];
  synced: boolean;
}

const NONE: readonly never[] = Object.freeze([]);

export function createPublisher(ref: MutableRegistryRef, options: PublisherOptions): Publisher {
  const precedence = options.precedence ?? DEFAULT_PRECEDENCE;
  const now = options.now ?? Date.now;
  const coalesceMs = options.coalesceMs ?? 10;
  const states = new Map<string, SourceState>();
  const createLive = () =>
    createLiveRegistry({
      clusterDomain: options.clusterDomain,
      ttl: options.ttl,
      precedence,
      ...(options.serviceCidrs ? { serviceCidrs: options.serviceCidrs } : {}),
      ...(options.podCidrs ? { podCidrs: options.podCidrs } : {}),
    });
  let live = createLive();
  /** Keys pushed since the last batch began, in push order (`source\0key`). */
  const pending = new Map<string, { source: string; key: ObjectKey }>();
  let changeSeq = 0;
  let builtSeq = 0;
  let builds = 0;
  let changes = 0;
  let changesSinceBuild = 0;
  let scheduled = false;
  let timer: NodeJS.Timeout | undefined;
  let lastBuildStarted = -Infinity;
  let building = false;
  let stopped = false;
  let lastSerial = 0;
  let lastBuildDiagnostics: readonly Diagnostic[] = [];
  /** Objects that publish hostnames, per source in push order, and the index built from them. */
  const hostObjectsBySource = new Map<string, Map<ObjectKey, SourcedInput>>();
  let hostIndex: { index: HostIndex; diagnostics: Diagnostic[] } | undefined;
  let waiters: { seq: number; resolve: () => void }[] = [];

  const allSynced = () => [...states.values()].every((s) => s.synced);
  const isReady = () => allSynced() && ref.current() !== undefined;

  function changed(): void {
    changeSeq++;
    changes++;
    changesSinceBuild++;
    requestBuild();
  }

  function mark(source: string, key: ObjectKey): void {
    const id = `${source}\0${key}`;
    pending.delete(id); // re-inserted last: the batch replays pushes in the order they last happened
    pending.set(id, { source, key });
  }

  /** At most one batch running and one pending: a request while one is pending is already covered. */
  function requestBuild(): void {
    if (scheduled || building || stopped || !allSynced()) return;
    scheduled = true;
    const run = () => {
      scheduled = false;
      timer = undefined;
      void runBuild();
    };
    const wait = lastBuildStarted + coalesceMs - performance.now();
    if (wait <= 0) setImmediate(run);
    else timer = setTimeout(run, wait);
  }

  async function runBuild(): Promise<void> {
    if (stopped || !allSynced()) return;
    if (changeSeq === builtSeq && ref.current() !== undefined) return; // nothing new since the last batch
    building = true;
    lastBuildStarted = performance.now();
    const seq = changeSeq;
    try {
      // Pushes meanwhile only mark the next batch as pending: this one takes the keys pushed so far.
      await publish(builds === 0 ? 'load' : 'update');
      builtSeq = seq;
    } catch (error) {
      options.log?.error({ err: error }, 'registry update failed; the last good registry keeps serving');
      // The live registry may hold half of that batch: start a fresh one from every object next time.
      live = createLive();
      for (const state of states.values()) for (const key of state.objects.keys()) mark(state.source.id, key);
    } finally {
      building = false;
    }
    if (stopped) return;
    const done = waiters.filter((w) => w.seq <= builtSeq);
    waiters = waiters.filter((w) => w.seq > builtSeq);
    for (const w of done) w.resolve();
    if (changeSeq > builtSeq) requestBuild();
  }

  async function publish(reason: 'load' | 'update'): Promise<void> {
    const started = performance.now();
    const batch: ObjectChange[] = [];
    const perSource: Record<string, number> = {};
    for (const { source, key } of pending.values()) {
      batch.push({ source, key, input: states.get(source)?.objects.get(key) });
      perSource[source] = (perSource[source] ?? 0) + 1;
    }
    pending.clear();
    const events = changesSinceBuild;
    changesSinceBuild = 0;
    lastSerial = Math.max(lastSerial + 1, Math.floor(now() / 1000)) >>> 0;
    const delta = await runInSlices(live.applySteps(batch));
    let registry: Registry;
    let diagnostics: readonly Diagnostic[];
    let diff: RegistryDiff | undefined;
    const hostsTouched = trackHostObjects(batch);
    if (delta) {
      // Hostnames are their own small index (build-host-index.ts): rebuilt from the host objects
      // alone, and only when the batch touched one, so a change costs the host objects at most.
      if (hostsTouched || hostIndex === undefined) hostIndex = buildCurrentHostIndex();
      registry = live.publish(lastSerial, hostIndex.index);
      diagnostics = [...live.diagnostics(), ...hostIndex.diagnostics];
    } else {
      // Simulated workload Pods share one address pool with every endpoint: built whole (live-registry.ts).
      const built = await buildRegistryInSlices(live.orderedInputs(), {
        clusterDomain: options.clusterDomain,
        ttl: options.ttl,
        serial: lastSerial,
        ...(options.serviceCidrs ? { serviceCidrs: options.serviceCidrs } : {}),
        ...(options.podCidrs ? { podCidrs: options.podCidrs } : {}),
        ...(options.hosts ? { hosts: options.hosts } : {}),
      });
      hostIndex = undefined; // the next incremental batch rebuilds it from the host objects
      registry = built.registry;
      diagnostics = built.diagnostics;
      // Built whole, so a whole diff costs no more than the build did.
      diff = await runInSlices(diffRegistriesSteps(ref.current(), registry));
    }
    ref.swap(registry);
    builds++;
    // Build diagnostics (a service shadowed, defined twice) are logged when they first appear only.
    const seen = new Set(lastBuildDiagnostics.map(formatDiagnostic));
    lastBuildDiagnostics = diagnostics;
    for (const d of diagnostics) {
      const text = formatDiagnostic(d);
      if (!seen.has(text)) options.log?.warn({ file: d.file, line: d.line, field: d.field }, text);
    }
    const seconds = (performance.now() - started) / 1000;
    logBatch(reason, registry, delta ?? diff, events, batch.length, seconds);
    options.onApplied?.({ changes: perSource, seconds, mode: delta ? 'incremental' : 'whole' });
    options.onPublish?.(registry, delta, hostsTouched ? registry.hosts : undefined);
  }

  /** Keeps the objects that publish hostnames apart, per source in push order; true when the batch touched one. */
  function trackHostObjects(batch: readonly ObjectChange[]): boolean {
    let touched = false;
    for (const change of batch) {
      let objects = hostObjectsBySource.get(change.source);
      if (!objects) hostObjectsBySource.set(change.source, (objects = new Map()));
      const had = objects.delete(change.key);
      const has = (change.input?.hostObjects?.length ?? 0) > 0;
      if (has) objects.set(change.key, change.input!);
      if (had || has) touched = true;
    }
    return touched;
  }

  /** The host index of the current host objects, in the whole build's order (precedence, newest push first). */
  function buildCurrentHostIndex(): { index: HostIndex; diagnostics: Diagnostic[] } {
    const ordered: SourcedInput[] = [];
    for (const id of precedence) ordered.push(...[...(hostObjectsBySource.get(id)?.values() ?? [])].reverse());
    return buildHostIndex(ordered, options.hosts ?? { zones: [], defaultAddresses: [] });
  }

  function logBatch(reason: 'load' | 'update', registry: Registry, change: AppliedDelta | RegistryDiff | undefined, events: number, objects: number, seconds: number): void {
    const c = registry.counts;
    const delta = change && 'names' in change ? change : undefined;
    const diff = change && !('names' in change) ? change : undefined;
    options.log?.info(
      {
        reason,
        mode: delta ? 'incremental' : 'whole',
        events,
        objects,
        durationMs: Math.round(seconds * 10_000) / 10,
        services: c.services,
        endpoints: c.endpoints,
        namespaces: c.namespaces,
        pods: c.pods,
        ...(delta
          ? {
              recomputed: delta.recomputed,
              servicesAdded: delta.servicesAdded.length,
              servicesRemoved: delta.servicesRemoved.length,
              servicesChanged: delta.servicesChanged.length,
              namesChanged: delta.names.length,
              ...(delta.namespacesAdded.length + delta.namespacesRemoved.length ? { namespacesAdded: delta.namespacesAdded.length, namespacesRemoved: delta.namespacesRemoved.length } : {}),
              ...(delta.reallocated ? { reallocated: true } : {}),
            }
          : {}),
        ...(diff
          ? {
              servicesAdded: diff.servicesAdded.length,
              servicesRemoved: diff.servicesRemoved.length,
              servicesChanged: diff.servicesChanged.length,
              endpointsDelta: diff.endpointsAfter - diff.endpointsBefore,
            }
          : {}),
        ...(registry.derived.allocatedClusterIps.size ? { clusterIpsAllocated: registry.derived.allocatedClusterIps.size } : {}),
        ...(registry.derived.simulatedPods ? { simulatedPods: registry.derived.simulatedPods } : {}),
      },
      reason === 'load' ? 'registry loaded' : delta ? 'registry updated' : 'registry rebuilt',
    );
    if (delta && delta.names.length > 0) {
      options.log?.debug(
        {
          servicesAdded: delta.servicesAdded.slice(0, 20),
          servicesRemoved: delta.servicesRemoved.slice(0, 20),
          servicesChanged: delta.servicesChanged.slice(0, 20),
          names: delta.names.slice(0, 20),
        },
        'registry names changed (first 20 of each)',
      );
    }
    if (diff && diff.servicesAdded.length + diff.servicesRemoved.length + diff.servicesChanged.length > 0) {
      options.log?.debug(
        { servicesAdded: diff.servicesAdded.slice(0, 20), servicesRemoved: diff.servicesRemoved.slice(0, 20), servicesChanged: diff.servicesChanged.slice(0, 20) },
        'registry diff (first 20 of each)',
      );
    }
  }

  function sinkFor(state: SourceState): RegistrySink {
    const id = state.source.id;
    // Written out field by field: V8 gave each `{ ...input, source }` copy its own hidden class.
    const tag = (input: RegistryInput): SourcedInput => ({
      namespaces: input.namespaces,
      services: input.services,
      endpointGroups: input.endpointGroups,
      pods: input.pods,
      workloads: input.workloads ?? NONE,
      hostObjects: input.hostObjects ?? NONE,
      source: id,
    });
    return {
      upsert(key, input) {
        state.objects.set(key, tag(input));
        mark(id, key);
        changed();
      },
      remove(key) {
        if (!state.objects.delete(key)) return;
        mark(id, key);
        changed();
      },
      replaceAll(entries: Iterable<SourceEntry>) {
        // Every key is replayed (the push order decides duplicates); parts whose names come out
        // the same keep their memoised answers (live-registry.ts compares them).
        for (const key of state.objects.keys()) mark(id, key);
        state.objects.clear();
        for (const e of entries) {
          state.objects.set(e.key, tag(e.input));
          mark(id, e.key);
        }
        changed();
      },
      report(diagnostics) {
        state.diagnostics = diagnostics;
      },
      synced() {
        if (state.synced) return;
        state.synced = true;
        options.log?.debug({ source: id }, 'source synced');
        if (allSynced()) {
          changeSeq++;
          requestBuild();
        }
      },
      published,
    };
  }

  function published(): Promise<void> {
    if (!allSynced() || stopped) return Promise.resolve();
    const seq = changeSeq;
    if (builtSeq >= seq && ref.current() !== undefined) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ seq, resolve }));
  }

  return {
    add(source) {
      if (!precedence.includes(source.id)) {
        throw new Error(`registry source "${source.id}" is not in the precedence list (${precedence.join(', ')})`);
      }
      if (states.has(source.id)) throw new Error(`registry source "${source.id}" is added twice`);
      states.set(source.id, { source, objects: new Map(), diagnostics: [], synced: false });
    },
    async start() {
      for (const state of states.values()) await state.source.start(sinkFor(state));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.resolve();
      await Promise.all([...states.values()].map((s) => s.source.stop()));
    },
    ready: isReady,
    published,
    diagnostics: () => [...[...states.values()].flatMap((s) => s.diagnostics), ...lastBuildDiagnostics],
    stats: () => ({ builds, changes }),
  };
}
