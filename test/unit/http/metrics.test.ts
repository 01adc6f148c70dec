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

  it('registers counters off the query path by name', async () => {
    const m = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const restarts = m.counter('cluster_dns_test_restarts_total', 'Restarts, by reason.', ['reason']);
    restarts.inc({ reason: 'gone' });
    m.counter('cluster_dns_test_restarts_total', 'Restarts, by reason.', ['reason']).inc({ reason: 'gone' }, 2);
    expect(lines(await m.render(), 'cluster_dns_test_restarts_total')).toEqual(['cluster_dns_test_restarts_total{reason="gone"} 3']);
  });
});
