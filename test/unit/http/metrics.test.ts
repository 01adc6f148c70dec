import { describe, expect, it } from 'vitest';
import { createServerMetrics, QueryZone, QUERY_CELLS, Transport } from '../../../src/http/metrics.js';

/** The exposition lines of one metric family (without HELP/TYPE), in order. */
function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

const server = 'server="dns://test",zone="cluster.local.",view=""';

describe('per-query metrics in typed arrays, rendered at scrape time', () => {
  it('renders CoreDNS names and labels for counted queries', async () => {
    const m = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    m.countQuery(Transport.udp, 4, 1, 0, QueryZone.cluster, 40, 90, 0.0001);
    m.countQuery(Transport.udp, 4, 1, 3, QueryZone.cluster, 40, 150, 0.003);
    m.countQuery(Transport.tcp, 6, 99, 5, QueryZone.other, 30, 30, 0.0002);
    const text = await m.render();
    expect(lines(text, 'coredns_dns_requests_total')).toEqual([
      `coredns_dns_requests_total{${server},proto="udp",family="4",type="A"} 2`,
      'coredns_dns_requests_total{server="dns://test",zone=".",view="",proto="tcp",family="6",type="other"} 1',
    ]);
    expect(lines(text, 'coredns_dns_responses_total')).toEqual([
      `coredns_dns_responses_total{${server},rcode="NOERROR",plugin="kubernetes"} 1`,
      `coredns_dns_responses_total{${server},rcode="NXDOMAIN",plugin="kubernetes"} 1`,
      'coredns_dns_responses_total{server="dns://test",zone=".",view="",rcode="REFUSED",plugin="forward"} 1',
    ]);
    const durationA = lines(text, 'coredns_dns_request_duration_seconds').filter((l) => l.includes('type="A"'));
    expect(durationA).toEqual([
      `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="0.00025"} 1`,
      `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="0.0005"} 1`,
      `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="0.001"} 1`,
      `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="0.002"} 1`,
      ...[0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192].map((le) => `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="${le}"} 2`),
      `coredns_dns_request_duration_seconds_bucket{${server},type="A",le="+Inf"} 2`,
      `coredns_dns_request_duration_seconds_sum{${server},type="A"} 0.0031`,
      `coredns_dns_request_duration_seconds_count{${server},type="A"} 2`,
    ]);
    const responseSize = lines(text, 'coredns_dns_response_size_bytes').filter((l) => l.includes('proto="udp"'));
    expect(responseSize.filter((l) => l.includes('le="100"') || l.includes('le="200"') || l.includes('_sum') || l.includes('_count'))).toEqual([
      `coredns_dns_response_size_bytes_bucket{${server},proto="udp",le="100"} 1`,
      `coredns_dns_response_size_bytes_bucket{${server},proto="udp",le="200"} 2`,
      `coredns_dns_response_size_bytes_sum{${server},proto="udp"} 240`,
      `coredns_dns_response_size_bytes_count{${server},proto="udp"} 2`,
    ]);
  });

  it('counts an untimed query (seconds < 0) in the bucket of the last timed one', async () => {
    const m = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    m.countQuery(Transport.udp, 4, 28, 0, QueryZone.cluster, 40, 60, 0.0015);
    m.countQuery(Transport.udp, 4, 28, 0, QueryZone.cluster, 40, 60, -1);
    m.countQuery(Transport.udp, 4, 28, 0, QueryZone.cluster, 40, 60, -1);
    const text = await m.render();
    expect(lines(text, 'coredns_dns_request_duration_seconds_bucket').filter((l) => l.includes('le="0.001"') || l.includes('le="0.002"'))).toEqual([
      `coredns_dns_request_duration_seconds_bucket{${server},type="AAAA",le="0.001"} 0`,
      `coredns_dns_request_duration_seconds_bucket{${server},type="AAAA",le="0.002"} 3`,
    ]);
    expect(lines(text, 'coredns_dns_request_duration_seconds_count')).toEqual([`coredns_dns_request_duration_seconds_count{${server},type="AAAA"} 3`]);
  });

  it('adds the cells of peer processes and keeps a retired peer in the totals', async () => {
    const primary = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const worker = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    primary.countQuery(Transport.udp, 4, 1, 0, QueryZone.cluster, 40, 60, 0.0001);
    worker.countQuery(Transport.udp, 4, 1, 0, QueryZone.cluster, 40, 60, 0.0001);
    worker.countQuery(Transport.udp, 4, 1, 0, QueryZone.cluster, 40, 60, 0.0001);
    expect(worker.queryCells()).toHaveLength(QUERY_CELLS);
    primary.setPeerCells(1, worker.queryCells());
    primary.setPeerCells(1, worker.queryCells()); // the latest report counts, never twice
    const requests = `coredns_dns_requests_total{${server},proto="udp",family="4",type="A"}`;
    expect(lines(await primary.render(), requests)).toEqual([`${requests} 3`]);
    primary.setPeerCells(1, undefined);
    expect(lines(await primary.render(), requests)).toEqual([`${requests} 3`]);
  });

  it('adds up workers’ reports: cells, forward and cache series by label set; a retired worker keeps its counters, not its gauges', async () => {
    const primary = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const workers = [1, 2].map(() => createServerMetrics('dns://test', 'cluster.local', { processMetrics: false }));
    const upstream = { address: '192.0.2.1', port: 53 };
    workers.forEach((w, i) => {
      for (let q = 0; q <= i; q++) w.countQuery(Transport.udp, 4, 1, 0, QueryZone.other, 40, 60, 0.001);
      w.observeForward(upstream, 'ok', 0.002);
      w.observeLimit('tcp-idle');
      w.setCache({ hits: 10 * (i + 1), misses: i + 1, size: 5 });
    });
    for (const [i, w] of workers.entries()) primary.setPeer(i + 1, await w.peerReport());
    let text = await primary.render();
    const requests = 'coredns_dns_requests_total{server="dns://test",zone=".",view="",proto="udp",family="4",type="A"}';
    expect(lines(text, requests)).toEqual([`${requests} 3`]);
    expect(lines(text, 'cluster_dns_worker_requests_total')).toEqual(['cluster_dns_worker_requests_total{worker="1"} 1', 'cluster_dns_worker_requests_total{worker="2"} 2']);
    expect(lines(text, 'coredns_forward_requests_total')).toEqual(['coredns_forward_requests_total{to="192.0.2.1:53"} 2']);
    expect(lines(text, 'coredns_forward_request_duration_seconds_count')).toEqual(['coredns_forward_request_duration_seconds_count{to="192.0.2.1:53",rcode="NOERROR"} 2']);
    expect(lines(text, 'coredns_cache_hits_total')).toEqual(['coredns_cache_hits_total{server="dns://test",type="success",zones=".",view=""} 30']);
    expect(lines(text, 'coredns_cache_entries')).toEqual(['coredns_cache_entries{server="dns://test",type="success",zones=".",view=""} 10']);
    expect(lines(text, 'cluster_dns_limits_hit_total')).toEqual(['cluster_dns_limits_hit_total{kind="tcp-idle"} 2']);
    expect(text.match(/^# TYPE coredns_forward_requests_total counter$/gm)).toHaveLength(1);

    // Worker 2 exits: what it counted stays, its cache entries go; its replacement counts from 0.
    primary.setPeer(2, undefined);
    const replacement = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    replacement.countQuery(Transport.udp, 4, 1, 0, QueryZone.other, 40, 60, 0.001);
    primary.setPeer(2, await replacement.peerReport());
    primary.setPeer(1, await workers[0]!.peerReport());
    text = await primary.render();
    expect(lines(text, requests)).toEqual([`${requests} 4`]);
    expect(lines(text, 'cluster_dns_worker_requests_total')).toEqual(['cluster_dns_worker_requests_total{worker="1"} 1', 'cluster_dns_worker_requests_total{worker="2"} 1']);
    expect(lines(text, 'coredns_forward_requests_total')).toEqual(['coredns_forward_requests_total{to="192.0.2.1:53"} 2']);
    expect(lines(text, 'coredns_cache_hits_total')).toEqual(['coredns_cache_hits_total{server="dns://test",type="success",zones=".",view=""} 30']);
    expect(lines(text, 'coredns_cache_entries')).toEqual(['coredns_cache_entries{server="dns://test",type="success",zones=".",view=""} 5']);
  });

  it('registers counters off the query path by name', async () => {
    const m = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const restarts = m.counter('cluster_dns_test_restarts_total', 'Restarts, by reason.', ['reason']);
    restarts.inc({ reason: 'gone' });
    m.counter('cluster_dns_test_restarts_total', 'Restarts, by reason.', ['reason']).inc({ reason: 'gone' }, 2);
    expect(lines(await m.render(), 'cluster_dns_test_restarts_total')).toEqual(['cluster_dns_test_restarts_total{reason="gone"} 3']);
  });
});
