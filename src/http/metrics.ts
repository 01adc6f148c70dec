/**
 * The one prom-client import: one metrics registry per server instance (embedded servers never
 * collide). Names and labels mirror CoreDNS's where the meaning is the same, so its dashboards work.
 * Label children are bound once and reused: the per-query cost is a few map lookups and adds.
 */
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

const QTYPES = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'],
  [35, 'NAPTR'], [43, 'DS'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'], [252, 'AXFR'], [251, 'IXFR'], [255, 'ANY'],
]);
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** CoreDNS folds unusual query types into "other" to keep label cardinality bounded. */
export function qtypeLabel(type: number): string {
  return QTYPES.get(type) ?? 'other';
}

export function rcodeLabel(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  return RCODES[rcode] ?? `RCODE${rcode}`;
}

export interface QueryObservation {
  readonly transport: 'udp' | 'tcp';
  readonly family: 4 | 6;
  readonly qtype: number;
  readonly rcode: number;
  readonly inZone: boolean;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly seconds: number;
}

export interface ServerMetrics {
  observeQuery(o: QueryObservation): void;
  observeForward(upstream: string, outcome: 'ok' | 'timeout' | 'error', seconds: number): void;
  observeLimit(kind: string): void;
  observePanic(): void;
  observeReload(result: 'success' | 'failure'): void;
  setRegistry(counts: { namespaces: number; services: number; endpoints: number; pods: number }): void;
  setCache(stats: { hits: number; misses: number; size: number } | undefined): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createServerMetrics(serverLabel: string, zone: string, options: { processMetrics?: boolean } = {}): ServerMetrics {
  const registry = new PromRegistry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const zoneLabel = `${zone}.`;
  const sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000];

  const requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'], registers: [registry] });
  const responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'], registers: [registry] });
  const duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took.', labelNames: ['server', 'zone', 'view', 'type'], buckets: [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192], registers: [registry] });
  const requestSize = new Histogram({ name: 'coredns_dns_request_size_bytes', help: 'Size of the EDNS0 UDP buffer in bytes (64K for TCP).', labelNames: ['server', 'zone', 'view', 'proto'], buckets: sizeBuckets, registers: [registry] });
  const responseSize = new Histogram({ name: 'coredns_dns_response_size_bytes', help: 'Size of the returned response in bytes.', labelNames: ['server', 'zone', 'view', 'proto'], buckets: sizeBuckets, registers: [registry] });
  const panics = new Counter({ name: 'coredns_panics_total', help: 'A metrics that counts the number of panics.', registers: [registry] });
  const cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones', 'view'], registers: [registry] });
  const cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses.', labelNames: ['server', 'zones', 'view'], registers: [registry] });
  const cacheEntries = new Gauge({ name: 'coredns_cache_entries', help: 'The number of elements in the cache.', labelNames: ['server', 'type', 'zones', 'view'], registers: [registry] });
  const forwardRequests = new Counter({ name: 'coredns_forward_requests_total', help: 'Counter of requests made per upstream.', labelNames: ['to'], registers: [registry] });
  const forwardResponses = new Counter({ name: 'coredns_forward_responses_total', help: 'Counter of responses received per upstream.', labelNames: ['to', 'rcode'], registers: [registry] });
  const forwardDuration = new Histogram({ name: 'coredns_forward_request_duration_seconds', help: 'Histogram of the time each request took.', labelNames: ['to', 'rcode'], buckets: [0.00025, 0.001, 0.004, 0.016, 0.064, 0.256, 1.024, 4.096], registers: [registry] });
  const limits = new Counter({ name: 'cluster_dns_limits_hit_total', help: 'Times a resource limit was hit, by kind.', labelNames: ['kind'], registers: [registry] });
  const objects = new Gauge({ name: 'cluster_dns_registry_objects', help: 'Objects in the registry now, by kind.', labelNames: ['kind'], registers: [registry] });
  const reloads = new Counter({ name: 'cluster_dns_registry_reloads_total', help: 'Registry rebuilds, by result.', labelNames: ['result'], registers: [registry] });
  const lastReload = new Gauge({ name: 'cluster_dns_registry_last_reload_timestamp_seconds', help: 'When the registry was last rebuilt successfully (Unix time).', registers: [registry] });

  // Label children, created on first use and reused (prom-client hashes label values otherwise).
  type Child<T> = T extends Counter ? ReturnType<Counter['labels']> : ReturnType<Histogram['labels']>;
  const children = new Map<string, Child<Counter> | Child<Histogram>>();
  const child = <T extends Child<Counter> | Child<Histogram>>(key: string, make: () => T): T => {
    let c = children.get(key) as T | undefined;
    if (!c) children.set(key, (c = make()));
    return c;
  };
  let reportedHits = 0;
  let reportedMisses = 0;

  return {
    contentType: registry.contentType,
    observeQuery(o) {
      const zone = o.inZone ? zoneLabel : '.';
      const type = qtypeLabel(o.qtype);
      const rcode = rcodeLabel(o.rcode);
      (child(`q|${zone}|${o.transport}|${o.family}|${type}`, () => requests.labels(serverLabel, zone, '', o.transport, String(o.family), type)) as Child<Counter>).inc();
      (child(`r|${zone}|${rcode}`, () => responses.labels(serverLabel, zone, '', rcode, o.inZone ? 'kubernetes' : 'forward')) as Child<Counter>).inc();
      (child(`d|${zone}|${type}`, () => duration.labels(serverLabel, zone, '', type)) as Child<Histogram>).observe(o.seconds);
      (child(`qs|${zone}|${o.transport}`, () => requestSize.labels(serverLabel, zone, '', o.transport)) as Child<Histogram>).observe(o.requestBytes);
      (child(`rs|${zone}|${o.transport}`, () => responseSize.labels(serverLabel, zone, '', o.transport)) as Child<Histogram>).observe(o.responseBytes);
    },
    observeForward(upstream, outcome, seconds) {
      forwardRequests.labels(upstream).inc();
      if (outcome === 'ok') {
        forwardResponses.labels(upstream, 'NOERROR').inc();
        forwardDuration.labels(upstream, 'NOERROR').observe(seconds);
      } else {
        forwardResponses.labels(upstream, outcome === 'timeout' ? 'TIMEOUT' : 'ERROR').inc();
      }
    },
    observeLimit(kind) {
      limits.labels(kind).inc();
    },
    observePanic() {
      panics.inc();
    },
    observeReload(result) {
      reloads.labels(result).inc();
      if (result === 'success') lastReload.set(Date.now() / 1000);
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
    render: () => registry.metrics(),
  };
}
