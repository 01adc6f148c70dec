/**
 * The one prom-client import: one metrics registry per server instance (embedded servers never
 * collide). Names and labels mirror CoreDNS's where the meaning is the same, so its dashboards work.
 *
 * Per-query metrics cost a few typed-array increments: `countQuery` takes small numbers (transport,
 * family, qtype, rcode, zone, sizes, seconds), maps them to indexes through lookup tables and adds
 * into one preallocated Float64Array. Nothing is hashed, validated or formatted per query; prom-client
 * sees the cells only at scrape time, through collectors registered here (`get()` builds the label
 * sets of the cells that are not zero). One flat array also makes metrics of several worker
 * processes cheap to add up (`queryCells()` / `setPeerCells()`).
 *
 * With `--workers`, each worker counts into its own instance and the primary, at scrape time, asks
 * each for a `PeerReport`: its cells, and the series every answering process keeps (cache, forward,
 * limits, panics), which prom-client's AggregatorRegistry adds up by label set. What only the
 * primary knows (registry, reloads, Kubernetes watches, process metrics) is the primary's own.
 *
 * Everything that is not per query (reloads, limits, watch restarts, …) uses ordinary prom-client
 * counters: add one with `metrics.counter(name, help, labelNames)` and call `.inc(labels)` on it; the
 * README's Metrics table lists every name.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';

const QTYPE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'],
  [35, 'NAPTR'], [43, 'DS'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'], [252, 'AXFR'], [251, 'IXFR'], [255, 'ANY'],
];
/** Type label per type index; the last one is CoreDNS's "other" for every uncommon type. */
const TYPE_LABELS = [...QTYPE_NAMES.map(([, name]) => name), 'other'];
const OTHER_TYPE = TYPE_LABELS.length - 1;
/** qtype (0–255) → type index; types above 255 are all "other". */
const TYPE_INDEX = new Uint8Array(256).fill(OTHER_TYPE);
QTYPE_NAMES.forEach(([type], i) => (TYPE_INDEX[type] = i));

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
/** rcodes 0–15 from the header, 16 = BADVERS (extended, RFC 6891 §9). */
const RCODE_SLOTS = 17;

/** CoreDNS folds unusual query types into "other" to keep label cardinality bounded. */
export function qtypeLabel(type: number): string {
  return TYPE_LABELS[type < 256 ? TYPE_INDEX[type]! : OTHER_TYPE]!;
}

export function rcodeLabel(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** Index arguments of `countQuery`. */
export const Transport = { udp: 0, tcp: 1 } as const;
/** `zone` argument: the cluster zone, or anything else (forwarded, refused, malformed). */
export const QueryZone = { cluster: 0, other: 1 } as const;

const DURATION_BOUNDS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
const SIZE_BOUNDS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000];
/** Size (0–65535) → bucket index (the +Inf bucket is SIZE_BOUNDS.length). */
const SIZE_INDEX = new Uint8Array(65536);
for (let size = 0, b = 0; size < 65536; size++) {
  while (b < SIZE_BOUNDS.length && size > SIZE_BOUNDS[b]!) b++;
  SIZE_INDEX[size] = b;
}

// One flat array of cells; each family of cells has a base offset. A histogram row holds one cell
// per bucket (non-cumulative, +Inf last) and then the sum; the count is the sum of the buckets.
const Z = 2;
const P = 2;
const F = 2;
const T = TYPE_LABELS.length;
const DUR_ROW = DURATION_BOUNDS.length + 2;
const SIZE_ROW = SIZE_BOUNDS.length + 2;
const REQ_BASE = 0; // [zone][proto][family][type]
const RESP_BASE = REQ_BASE + Z * P * F * T; // [zone][rcode]
const DUR_BASE = RESP_BASE + Z * RCODE_SLOTS; // [zone][type] rows
const QSIZE_BASE = DUR_BASE + Z * T * DUR_ROW; // [zone][proto] rows
const RSIZE_BASE = QSIZE_BASE + Z * P * SIZE_ROW; // [zone][proto] rows
/** Length of the array `queryCells()` returns (the same in every process of one build). */
export const QUERY_CELLS = RSIZE_BASE + Z * P * SIZE_ROW;

/**
 * The per-query counting surface, all numbers. `seconds < 0` means "not timed": the query is counted
 * in the duration histogram with the last timed duration (see `server.ts` for the sampling).
 */
export interface QueryCounter {
  countQuery(
    transport: number,
    family: 4 | 6,
    qtype: number,
    rcode: number,
    zone: number,
    requestBytes: number,
    responseBytes: number,
    seconds: number,
  ): void;
}

/** A non-hot-path counter: labels by name, as prom-client takes them. */
export interface SimpleCounter {
  inc(labels?: Record<string, string>, value?: number): void;
}

export interface ServerMetrics extends QueryCounter {
  observeForward(upstream: { readonly address: string; readonly port: number }, outcome: 'ok' | 'timeout' | 'error', seconds: number): void;
  observeLimit(kind: string): void;
  observePanic(): void;
  /** A UDP reply held back by response rate limiting: `drop`ped, or sent truncated (`slip`). */
  observeRateLimited(action: 'drop' | 'slip'): void;
  observeReload(result: 'success' | 'failure'): void;
  /** One registry batch: objects changed per source, and the seconds it took to apply. */
  observeRegistryApply(changes: Readonly<Record<string, number>>, seconds: number): void;
  setRegistry(counts: { namespaces: number; services: number; endpoints: number; pods: number }): void;
  setCache(stats: { hits: number; misses: number; size: number } | undefined): void;
  /** Which engine answers UDP: `cluster_dns_udp_engine_info{engine}` is 1 for it. */
  setUdpEngine(engine: 'native' | 'dgram'): void;
  /** The native engine's counters, caught up at scrape time as setCache (undefined on node:dgram). */
  setUdpStats(stats: { batches: number; datagrams: number; overflow: number } | undefined): void;
  /**
   * Registers a counter for events off the query path (reload failures, watch restarts, …). The
   * name follows `cluster_dns_<subsystem>_<what>_total`; registering a name twice returns the first.
   */
  counter(name: string, help: string, labelNames?: readonly string[]): SimpleCounter;
  /** A copy of the per-query cells, for adding up across worker processes. */
  queryCells(): Float64Array;
  /**
   * Reports the cells of another process (a worker, by id) as part of this registry's totals; the
   * latest cells per peer count. `undefined` retires a peer: its last cells stay in the totals, so
   * counters never go backwards when a worker exits.
   */
  setPeerCells(peer: number, cells: Float64Array | undefined): void;
  /** What this process has counted, for the primary of `--workers` to add up (call setCache first). */
  peerReport(): Promise<PeerReport>;
  /**
   * A worker's report, by its slot (1…N), as part of the totals, as `setPeerCells` (the latest
   * report per slot counts; `undefined` retires the slot's process: its counters stay in the
   * totals, its gauges go). Also shown per slot as `cluster_dns_worker_requests_total{worker}`.
   */
  setPeer(peer: number, report: PeerReport | undefined): void;
  render(): Promise<string>;
  readonly contentType: string;
}

/** One process's counts, as a worker sends them to the primary over IPC (structured-clone safe). */
export interface PeerReport {
  readonly cells: Float64Array;
  /** The series every answering process keeps (cache, forward, limits, panics), as prom-client JSON. */
  readonly series: readonly MetricObjectWithValues<MetricValue<string>>[];
}

interface CollectedValue {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

/**
 * A metric prom-client renders by calling `get()` at scrape time: the shape of its own metric objects
 * (name, help, type, aggregator, get), without per-observation bookkeeping.
 */
function collected(name: string, help: string, type: 'counter' | 'histogram', values: () => CollectedValue[]): Metric {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }), reset() {} } as unknown as Metric;
}

export function createServerMetrics(serverLabel: string, zone: string, options: { processMetrics?: boolean } = {}): ServerMetrics {
  // `registry`: this process's own view (the per-query cells include what peers reported);
  // `summed`: series every answering process keeps, added up over the peers' reports at scrape time.
  const registry = new PromRegistry();
  const summed = new PromRegistry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const zoneLabels = [`${zone}.`, '.'];
  const protoLabels = ['udp', 'tcp'];
  const familyLabels = ['4', '6'];
  const rcodeLabels = Array.from({ length: RCODE_SLOTS }, (_, i) => rcodeLabel(i));
  const pluginLabels = ['kubernetes', 'forward'];

  const cells = new Float64Array(QUERY_CELLS);
  const peers = new Map<number, Float64Array>();
  const retired = new Float64Array(QUERY_CELLS);
  /** The bucket of the last timed query (for the untimed ones that follow it) and its seconds. */
  let lastDurationBucket = 0;
  let lastSeconds = 0;

  /** This process's cells plus what workers reported. */
  const total = (): Float64Array => {
    const out = new Float64Array(QUERY_CELLS);
    for (let i = 0; i < QUERY_CELLS; i++) out[i] = cells[i]! + retired[i]!;
    for (const peer of peers.values()) for (let i = 0; i < QUERY_CELLS; i++) out[i]! += peer[i] ?? 0;
    return out;
  };

  function histogramValues(c: Float64Array, base: number, bounds: readonly number[], rows: ReadonlyArray<Record<string, string>>, name: string): CollectedValue[] {
    const values: CollectedValue[] = [];
    const row = bounds.length + 2;
    rows.forEach((labels, r) => {
      const at = base + r * row;
      let count = 0;
      for (let b = 0; b <= bounds.length; b++) count += c[at + b]!;
      if (count === 0) return;
      let cumulative = 0;
      for (let b = 0; b <= bounds.length; b++) {
        cumulative += c[at + b]!;
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: b < bounds.length ? String(bounds[b]) : '+Inf' }, value: cumulative });
      }
      values.push({ metricName: `${name}_sum`, labels, value: c[at + bounds.length + 1]! });
      values.push({ metricName: `${name}_count`, labels, value: count });
    });
    return values;
  }

  const common = (z: number) => ({ server: serverLabel, zone: zoneLabels[z]!, view: '' });
  const typeRows = zoneLabels.flatMap((_, z) => TYPE_LABELS.map((type) => ({ ...common(z), type })));
  const protoRows = zoneLabels.flatMap((_, z) => protoLabels.map((proto) => ({ ...common(z), proto })));

  registry.registerMetric(
    collected('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and family.', 'counter', () => {
      const c = total();
      const values: CollectedValue[] = [];
      for (let z = 0; z < Z; z++)
        for (let p = 0; p < P; p++)
          for (let f = 0; f < F; f++)
            for (let t = 0; t < T; t++) {
              const value = c[REQ_BASE + ((z * P + p) * F + f) * T + t]!;
              if (value > 0) values.push({ labels: { ...common(z), proto: protoLabels[p]!, family: familyLabels[f]!, type: TYPE_LABELS[t]! }, value });
            }
      return values;
    }),
  );
  registry.registerMetric(
    collected('coredns_dns_responses_total', 'Counter of response status codes.', 'counter', () => {
      const c = total();
      const values: CollectedValue[] = [];
      for (let z = 0; z < Z; z++)
        for (let r = 0; r < RCODE_SLOTS; r++) {
          const value = c[RESP_BASE + z * RCODE_SLOTS + r]!;
          if (value > 0) values.push({ labels: { ...common(z), rcode: rcodeLabels[r]!, plugin: pluginLabels[z]! }, value });
        }
      return values;
    }),
  );
  registry.registerMetric(
    collected('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took.', 'histogram', () =>
      histogramValues(total(), DUR_BASE, DURATION_BOUNDS, typeRows, 'coredns_dns_request_duration_seconds'),
    ),
  );
  registry.registerMetric(
    collected('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP).', 'histogram', () =>
      histogramValues(total(), QSIZE_BASE, SIZE_BOUNDS, protoRows, 'coredns_dns_request_size_bytes'),
    ),
  );
  registry.registerMetric(
    collected('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.', 'histogram', () =>
      histogramValues(total(), RSIZE_BASE, SIZE_BOUNDS, protoRows, 'coredns_dns_response_size_bytes'),
    ),
  );

  const panics = new Counter({ name: 'coredns_panics_total', help: 'A metrics that counts the number of panics.', registers: [summed] });
  const cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones', 'view'], registers: [summed] });
  const cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses.', labelNames: ['server', 'zones', 'view'], registers: [summed] });
  const cacheEntries = new Gauge({ name: 'coredns_cache_entries', help: 'The number of elements in the cache.', labelNames: ['server', 'type', 'zones', 'view'], registers: [summed] });
  const forwardRequests = new Counter({ name: 'coredns_forward_requests_total', help: 'Counter of requests made per upstream.', labelNames: ['to'], registers: [summed] });
  const forwardResponses = new Counter({ name: 'coredns_forward_responses_total', help: 'Counter of responses received per upstream.', labelNames: ['to', 'rcode'], registers: [summed] });
  const forwardDuration = new Histogram({ name: 'coredns_forward_request_duration_seconds', help: 'Histogram of the time each request took.', labelNames: ['to', 'rcode'], buckets: [0.00025, 0.001, 0.004, 0.016, 0.064, 0.256, 1.024, 4.096], registers: [summed] });
  const limits = new Counter({ name: 'cluster_dns_limits_hit_total', help: 'Times a resource limit was hit, by kind.', labelNames: ['kind'], registers: [summed] });
  const udpEngine = new Gauge({ name: 'cluster_dns_udp_engine_info', help: 'The engine that answers UDP (1 for it): native (recvmmsg/sendmmsg) or dgram (node:dgram).', labelNames: ['engine'], registers: [registry] });
  const udpBatches = new Counter({ name: 'cluster_dns_udp_batches_total', help: 'Wake-ups of the native UDP engine that read datagrams (recvmmsg calls that returned some).', registers: [summed] });
  const udpDatagrams = new Counter({ name: 'cluster_dns_udp_batched_datagrams_total', help: 'Datagrams the native UDP engine read; divided by the batches, the mean batch size.', registers: [summed] });
  const udpOverflow = new Counter({ name: 'cluster_dns_udp_send_queue_overflow_total', help: 'UDP replies dropped because the send buffer was full (EAGAIN) and the native engine queue too.', registers: [summed] });
  let reportedUdp = { batches: 0, datagrams: 0, overflow: 0 };
  const rrlLimited = new Counter({ name: 'cluster_dns_rrl_limited_total', help: 'UDP replies held back by response rate limiting (--rrl-rate), by action: drop, or slip (sent truncated, TC=1).', labelNames: ['action'], registers: [summed] });
  // Bound once: under an attack this is counted per datagram.
  const rrlActions = { drop: rrlLimited.labels('drop'), slip: rrlLimited.labels('slip') };
  const objects = new Gauge({ name: 'cluster_dns_registry_objects', help: 'Objects in the registry now, by kind.', labelNames: ['kind'], registers: [registry] });
  const reloads = new Counter({ name: 'cluster_dns_registry_reloads_total', help: 'Registry rebuilds, by result.', labelNames: ['result'], registers: [registry] });
  const registryChanges = new Counter({ name: 'cluster_dns_registry_changes_total', help: 'Registry objects upserted or removed, by source.', labelNames: ['source'], registers: [registry] });
  // From a one-object change (~0.1 ms) to a first load of a large cluster (seconds).
  const registryApply = new Histogram({ name: 'cluster_dns_registry_apply_seconds', help: 'Time to apply one batch of registry changes (coalesced pushes), from its start to the commit.', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const lastReload = new Gauge({ name: 'cluster_dns_registry_last_reload_timestamp_seconds', help: 'When the registry was last rebuilt successfully (Unix time).', registers: [registry] });

  // Forwarded queries cost an upstream round trip; binding label children once per upstream keeps
  // the label hashing off even that path.
  type Bound = { requests: ReturnType<Counter['labels']>; ok: ReturnType<Counter['labels']>; timeout: ReturnType<Counter['labels']>; error: ReturnType<Counter['labels']>; duration: ReturnType<Histogram['labels']> };
  const upstreams = new WeakMap<object, Bound>();
  const extraCounters = new Map<string, SimpleCounter>();
  let reportedHits = 0;
  let reportedMisses = 0;
  type Series = PeerReport['series'];
  const peerSeries = new Map<number, Series>();
  /** Counters and histograms of processes that exited, folded into one list at the next scrape. */
  let retiredSeries: Series[] = [];
  let perWorkerRegistered = false;

  /** `cluster_dns_worker_requests_total{worker}`: how the kernel (or the cluster) spreads the load. */
  function registerPerWorker(): void {
    if (perWorkerRegistered) return;
    perWorkerRegistered = true;
    const requestCells = REQ_BASE + Z * P * F * T;
    registry.registerMetric(
      collected('cluster_dns_worker_requests_total', 'DNS requests answered by each worker process (--workers); a replaced worker counts from 0 again.', 'counter', () =>
        [...peers].sort(([a], [b]) => a - b).map(([peer, c]) => {
          let value = 0;
          for (let i = REQ_BASE; i < requestCells; i++) value += c[i]!;
          return { labels: { worker: String(peer) }, value };
        }),
      ),
    );
  }

  function setPeerCells(peer: number, peerCells: Float64Array | undefined): void {
    if (peerCells) {
      peers.set(peer, peerCells);
      return;
    }
    const last = peers.get(peer);
    peers.delete(peer);
    if (last) for (let i = 0; i < QUERY_CELLS; i++) retired[i]! += last[i] ?? 0;
  }

  async function summedText(): Promise<string> {
    if (peerSeries.size === 0 && retiredSeries.length === 0) return summed.metrics();
    if (retiredSeries.length > 1) retiredSeries = [await AggregatorRegistry.aggregate(retiredSeries).getMetricsAsJSON()];
    return AggregatorRegistry.aggregate([await summed.getMetricsAsJSON(), ...retiredSeries, ...peerSeries.values()]).metrics();
  }

  return {
    contentType: registry.contentType,
    countQuery(transport, family, qtype, rcode, zone, requestBytes, responseBytes, seconds) {
      const t = qtype < 256 ? TYPE_INDEX[qtype]! : OTHER_TYPE;
      const f = family === 6 ? 1 : 0;
      cells[REQ_BASE + ((zone * P + transport) * F + f) * T + t]!++;
      cells[RESP_BASE + zone * RCODE_SLOTS + (rcode < RCODE_SLOTS ? rcode : 0)]!++;
      const row = DUR_BASE + (zone * T + t) * DUR_ROW;
      if (seconds >= 0) {
        let b = 0;
        while (b < DURATION_BOUNDS.length && seconds > DURATION_BOUNDS[b]!) b++;
        lastDurationBucket = b;
        lastSeconds = seconds;
      }
      cells[row + lastDurationBucket]!++;
      cells[row + DUR_ROW - 1]! += lastSeconds;
      const q = QSIZE_BASE + (zone * P + transport) * SIZE_ROW;
      cells[q + SIZE_INDEX[requestBytes & 0xffff]!]!++;
      cells[q + SIZE_ROW - 1]! += requestBytes;
      const r = RSIZE_BASE + (zone * P + transport) * SIZE_ROW;
      cells[r + SIZE_INDEX[responseBytes & 0xffff]!]!++;
      cells[r + SIZE_ROW - 1]! += responseBytes;
    },
    observeForward(upstream, outcome, seconds) {
      let bound = upstreams.get(upstream);
      if (!bound) {
        const to = `${upstream.address}:${upstream.port}`;
        bound = {
          requests: forwardRequests.labels(to),
          ok: forwardResponses.labels(to, 'NOERROR'),
          timeout: forwardResponses.labels(to, 'TIMEOUT'),
          error: forwardResponses.labels(to, 'ERROR'),
          duration: forwardDuration.labels(to, 'NOERROR'),
        };
        upstreams.set(upstream, bound);
      }
      bound.requests.inc();
      if (outcome === 'ok') {
        bound.ok.inc();
        bound.duration.observe(seconds);
      } else {
        bound[outcome].inc();
      }
    },
    observeLimit(kind) {
      limits.labels(kind).inc();
    },
    observePanic() {
      panics.inc();
    },
    observeRateLimited(action) {
      rrlActions[action].inc();
    },
    observeReload(result) {
      reloads.labels(result).inc();
      if (result === 'success') lastReload.set(Date.now() / 1000);
    },
    observeRegistryApply(changes, seconds) {
      for (const [source, n] of Object.entries(changes)) registryChanges.labels(source).inc(n);
      registryApply.observe(seconds);
    },
    setRegistry(counts) {
      objects.labels('namespace').set(counts.namespaces);
      objects.labels('service').set(counts.services);
      objects.labels('endpoint').set(counts.endpoints);
      objects.labels('pod').set(counts.pods);
    },
    setCache(stats) {
      if (!stats) return;
      // The cache counts; the counters catch up on each scrape.
      cacheHits.labels(serverLabel, 'success', '.', '').inc(stats.hits - reportedHits);
      cacheMisses.labels(serverLabel, '.', '').inc(stats.misses - reportedMisses);
      reportedHits = stats.hits;
      reportedMisses = stats.misses;
      cacheEntries.labels(serverLabel, 'success', '.', '').set(stats.size);
    },
    setUdpEngine(engine) {
      udpEngine.reset();
      udpEngine.labels(engine).set(1);
    },
    setUdpStats(stats) {
      if (!stats) return;
      udpBatches.inc(stats.batches - reportedUdp.batches);
      udpDatagrams.inc(stats.datagrams - reportedUdp.datagrams);
      udpOverflow.inc(stats.overflow - reportedUdp.overflow);
      reportedUdp = { batches: stats.batches, datagrams: stats.datagrams, overflow: stats.overflow };
    },
    counter(name, help, labelNames = []) {
      let existing = extraCounters.get(name);
      if (!existing) {
        const c = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
        existing = { inc: (labels, value = 1) => (labels ? c.inc(labels, value) : c.inc(value)) };
        extraCounters.set(name, existing);
      }
      return existing;
    },
    queryCells: () => cells.slice(),
    setPeerCells,
    async peerReport() {
      return { cells: cells.slice(), series: await summed.getMetricsAsJSON() };
    },
    setPeer(peer, report) {
      setPeerCells(peer, report?.cells);
      if (report) {
        registerPerWorker();
        peerSeries.set(peer, report.series);
        return;
      }
      const last = peerSeries.get(peer);
      peerSeries.delete(peer);
      // A gone process's cache is gone with it; what it counted stays counted.
      if (last) retiredSeries.push(last.filter((m) => String(m.type) !== 'gauge'));
    },
    render: async () => `${await registry.metrics()}\n${await summedText()}`,
  };
}
