/**
 * The one publisher: every source pushes keyed objects into its own map here; bursts of pushes are
 * coalesced into few builds (at most one running and one pending), each build makes a whole new
 * snapshot with buildRegistry and swaps it in one reference (Knot's build-then-switch), and the
 * registry is ready once every source has synced (CoreDNS waits for its informers' HasSynced).
 */
import type { BuildOptions, SourcedInput } from './build-registry.js';
import { buildRegistryInSlices } from './build-in-slices.js';
import { formatDiagnostic, type Diagnostic } from './diagnostics.js';
import type { RegistryInput } from './model.js';
import type { Registry } from './registry.js';
import { diffRegistries } from './registry-diff.js';
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
  /** Told about each published snapshot (metrics). */
  readonly onPublish?: (registry: Registry) => void;
  /**
   * Least time between the starts of two builds, ms. Default 50. The first change after a quiet
   * spell is built on the next turn of the event loop; changes that arrive while a build is pending
   * or within this window of the last one share the next build, so a rollout's 1,000 watch events
   * are a few builds, and a change is served within this window plus one build.
   */
  readonly coalesceMs?: number;
}

export interface PublisherStats {
  /** Snapshots built and swapped. */
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

/** One source's keyed objects, in push order (a re-pushed key moves to the end: newest last). */
interface SourceState {
  readonly source: RegistrySource;
  readonly objects: Map<ObjectKey, SourcedInput>;
  diagnostics: readonly Diagnostic[];
  synced: boolean;
}

export function createPublisher(ref: MutableRegistryRef, options: PublisherOptions): Publisher {
  const precedence = options.precedence ?? DEFAULT_PRECEDENCE;
  const now = options.now ?? Date.now;
  const coalesceMs = options.coalesceMs ?? 50;
  const states = new Map<string, SourceState>();
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
  let waiters: { seq: number; resolve: () => void }[] = [];

  const allSynced = () => [...states.values()].every((s) => s.synced);
  const isReady = () => allSynced() && ref.current() !== undefined;

  function changed(): void {
    changeSeq++;
    changes++;
    changesSinceBuild++;
    requestBuild();
  }

  /** At most one build running and one pending: a request while one is pending is already covered. */
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
    if (changeSeq === builtSeq && ref.current() !== undefined) return; // nothing new since the last build
    building = true;
    lastBuildStarted = performance.now();
    const seq = changeSeq;
    try {
      // Built in slices: queries keep being answered between them. Pushes meanwhile only mark
      // the next build as pending (the inputs were collected before the first slice).
      await publish(builds === 0 ? 'load' : 'update');
      builtSeq = seq;
    } catch (error) {
      options.log?.error({ err: error }, 'registry build failed; the last good snapshot keeps serving');
    } finally {
      building = false;
    }
    if (stopped) return;
    const done = waiters.filter((w) => w.seq <= builtSeq);
    waiters = waiters.filter((w) => w.seq > builtSeq);
    for (const w of done) w.resolve();
    if (changeSeq > builtSeq) requestBuild();
  }

  /** Inputs in precedence order; within a source the newest push first (a re-registration wins). */
  function orderedInputs(): SourcedInput[] {
    const inputs: SourcedInput[] = [];
    for (const id of precedence) {
      const state = states.get(id);
      if (!state) continue;
      const values = [...state.objects.values()];
      for (let i = values.length - 1; i >= 0; i--) inputs.push(values[i]!);
    }
    // Control-plane derivation (allocated ClusterIPs, endpoints from selectors, workload pods) is a
    // pure step over these inputs and belongs here, before the build.
    return inputs;
  }

  async function publish(reason: 'load' | 'update'): Promise<void> {
    const started = performance.now();
    const before = ref.current();
    const inputs = orderedInputs();
    lastSerial = Math.max(lastSerial + 1, Math.floor(now() / 1000)) >>> 0;
    const built = await buildRegistryInSlices(inputs, {
      clusterDomain: options.clusterDomain,
      ttl: options.ttl,
      serial: lastSerial,
      ...(options.serviceCidrs ? { serviceCidrs: options.serviceCidrs } : {}),
      ...(options.podCidrs ? { podCidrs: options.podCidrs } : {}),
      ...(options.hosts ? { hosts: options.hosts } : {}),
    });
    ref.swap(built.registry);
    builds++;
    const events = changesSinceBuild;
    changesSinceBuild = 0;
    // Build diagnostics (a service shadowed, defined twice) are logged when they first appear only.
    const seen = new Set(lastBuildDiagnostics.map(formatDiagnostic));
    lastBuildDiagnostics = built.diagnostics;
    for (const d of built.diagnostics) {
      const text = formatDiagnostic(d);
      if (!seen.has(text)) options.log?.warn({ file: d.file, line: d.line, field: d.field }, text);
    }
    const diff = diffRegistries(before, built.registry);
    const c = built.registry.counts;
    options.log?.info(
      {
        reason,
        events,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        services: c.services,
        endpoints: c.endpoints,
        namespaces: c.namespaces,
        pods: c.pods,
        servicesAdded: diff.servicesAdded.length,
        servicesRemoved: diff.servicesRemoved.length,
        servicesChanged: diff.servicesChanged.length,
        endpointsDelta: diff.endpointsAfter - diff.endpointsBefore,
        ...(diff.clusterIpsAllocated.length ? { clusterIpsAllocated: diff.clusterIpsAllocated.length } : {}),
        ...(built.registry.derived.simulatedPods ? { simulatedPods: built.registry.derived.simulatedPods } : {}),
      },
      reason === 'load' ? 'registry loaded' : 'registry rebuilt',
    );
    if (diff.servicesAdded.length + diff.servicesRemoved.length + diff.servicesChanged.length > 0) {
      options.log?.debug(
        { servicesAdded: diff.servicesAdded.slice(0, 20), servicesRemoved: diff.servicesRemoved.slice(0, 20), servicesChanged: diff.servicesChanged.slice(0, 20) },
        'registry diff (first 20 of each)',
      );
    }
    options.onPublish?.(built.registry);
  }

  function sinkFor(state: SourceState): RegistrySink {
    const id = state.source.id;
    const tag = (input: RegistryInput): SourcedInput => ({ ...input, source: id });
    return {
      upsert(key, input) {
        state.objects.delete(key); // re-inserted last: the newest push of a source wins
        state.objects.set(key, tag(input));
        changed();
      },
      remove(key) {
        if (state.objects.delete(key)) changed();
      },
      replaceAll(entries: Iterable<SourceEntry>) {
        state.objects.clear();
        for (const e of entries) {
          state.objects.delete(e.key);
          state.objects.set(e.key, tag(e.input));
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
