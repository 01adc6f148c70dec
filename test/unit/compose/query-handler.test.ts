/** The per-packet path without sockets: bytes in → whole reply bytes out, SERVFAIL on a resolver failure, counting and query logs. */
import { describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../../src/compose/query-handler.js';
import { createServerResolver } from '../../../src/compose/resolver-pipeline.js';
import { createServerMetrics } from '../../../src/http/metrics.js';
import { resolveOptions } from '../../../src/options.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import type { Next } from '../../../src/resolver/stage.js';
import type { ListenerMeta } from '../../../src/transport/packet-handler.js';
import { buildQuery, decodeReply } from '../../helpers/dns-client.js';
import { fixtureRegistry } from '../resolver/fixture-registry.js';

const udp: ListenerMeta = { transport: 'udp', client: { address: '127.0.0.1', port: 40000 } };
const options = resolveOptions({ upstream: 'none' });
const resolve = createServerResolver(options, createRegistryRef(fixtureRegistry()), { outOfZone: [], chase: undefined });

/** Records what the handler logs, as [message or fields] entries. */
function recordingLog() {
  const lines: Array<{ level: string; fields: object; message?: string }> = [];
  return {
    lines,
    info: (fields: object, message?: string) => void lines.push({ level: 'info', fields, ...(message !== undefined ? { message } : {}) }),
    error: (fields: object, message?: string) => void lines.push({ level: 'error', fields, ...(message !== undefined ? { message } : {}) }),
  };
}

function handlerWith(next: Next, o: { logQueries?: boolean; metrics?: ReturnType<typeof createServerMetrics> } = {}) {
  const log = recordingLog();
  const handle = createQueryHandler(resolveOptions({ upstream: 'none', logQueries: o.logQueries ?? false }), {
    resolve: next,
    metrics: o.metrics,
    recentQueries: undefined,
    queryLog: log,
    rateLimited: log,
  });
  return { handle, log };
}

describe('query handler (compose/query-handler.ts)', () => {
  it('answers a cluster name synchronously, with the whole reply', () => {
    const { handle } = handlerWith(resolve);
    const reply = handle(buildQuery('Web.Shop.svc.cluster.local', 'A', { id: 7 }), udp);
    expect(reply).toBeInstanceOf(Uint8Array);
    const decoded = decodeReply(Buffer.from(reply as Uint8Array));
    expect({ id: decoded.id, rcode: decoded.rcode, flags: decoded.flags, question: decoded.question, answer: decoded.answer, authority: decoded.authority, additional: decoded.additional }).toEqual({
      id: 7,
      rcode: 'NOERROR',
      flags: ['qr', 'aa', 'rd'],
      question: ['Web.Shop.svc.cluster.local. IN A'],
      answer: ['Web.Shop.svc.cluster.local. 5 IN A 10.96.0.10'],
      authority: [],
      additional: [],
    });
  });

  it('drops a message that is itself a reply (QR=1), and answers FORMERR to a readable header with a bad body', () => {
    const { handle } = handlerWith(resolve);
    const asReply = buildQuery('web.shop.svc.cluster.local', 'A');
    asReply[2]! |= 0x80;
    expect(handle(asReply, udp)).toBeUndefined();
    const truncated = buildQuery('web.shop.svc.cluster.local', 'A').subarray(0, 20);
    expect(decodeReply(Buffer.from(handle(truncated, udp) as Uint8Array)).rcode).toBe('FORMERR');
  });

  it('answers SERVFAIL when the resolver throws or rejects, counts a panic and logs the query', async () => {
    const metrics = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const { handle, log } = handlerWith(
      (query) => {
        if (query.lowerName.startsWith('sync.')) throw new Error('boom');
        return Promise.reject(new Error('later'));
      },
      { metrics },
    );
    const sync = handle(buildQuery('sync.example.org', 'A', { id: 1 }), udp);
    expect(decodeReply(Buffer.from(sync as Uint8Array)).rcode).toBe('SERVFAIL');
    const later = handle(buildQuery('async.example.org', 'A', { id: 2 }), udp);
    expect(later).toBeInstanceOf(Promise);
    expect(decodeReply(Buffer.from((await later) as Uint8Array))).toMatchObject({ id: 2, rcode: 'SERVFAIL' });
    expect(log.lines.map((l) => [l.level, l.message, (l.fields as { qname?: string }).qname])).toEqual([
      ['error', 'resolver failed; answering SERVFAIL', 'sync.example.org'],
      ['error', 'resolver failed; answering SERVFAIL', 'async.example.org'],
    ]);
    expect((await metrics.render()).split('\n').filter((l) => l.startsWith('coredns_panics_total'))).toEqual(['coredns_panics_total 2']);
  });

  it('counts every query, timed one in 16 (the rest counted in its bucket): duration count equals requests', async () => {
    const metrics = createServerMetrics('dns://test', 'cluster.local', { processMetrics: false });
    const { handle } = handlerWith(resolve, { metrics });
    for (let i = 0; i < 20; i++) handle(buildQuery('web.shop.svc.cluster.local', 'A', { id: i }), udp);
    const text = await metrics.render();
    const line = (prefix: string) => text.split('\n').filter((l) => l.startsWith(prefix));
    expect(line('coredns_dns_requests_total')).toEqual(['coredns_dns_requests_total{server="dns://test",zone="cluster.local.",view="",proto="udp",family="4",type="A"} 20']);
    expect(line('coredns_dns_request_duration_seconds_count')).toEqual(['coredns_dns_request_duration_seconds_count{server="dns://test",zone="cluster.local.",view="",type="A"} 20']);
  });

  it('writes one query-log line per reply with --log-queries', () => {
    const { handle, log } = handlerWith(resolve, { logQueries: true });
    const hit = handle(buildQuery('web.shop.svc.cluster.local', 'A'), udp) as Uint8Array;
    const miss = handle(buildQuery('nope.shop.svc.cluster.local', 'A'), { transport: 'tcp', client: { address: '::1', port: 5353 } }) as Uint8Array;
    expect(log.lines.map(({ level, fields }) => ({ level, ...fields, durationMs: typeof (fields as { durationMs: unknown }).durationMs }))).toEqual([
      { level: 'info', client: '127.0.0.1:40000', transport: 'udp', qname: 'web.shop.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: 1, bytes: hit.length, durationMs: 'number' },
      { level: 'info', client: '::1:5353', transport: 'tcp', qname: 'nope.shop.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', answers: 0, bytes: miss.length, durationMs: 'number' },
    ]);
  });
});
