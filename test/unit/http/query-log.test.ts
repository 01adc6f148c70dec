/** The /ui query ring: bounded, newest first, filters, failed names grouped, subscribers get new rows. */
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryLog, type QueryLog } from '../../../src/http/query-log.js';
import type { Answer } from '../../../src/dns/types.js';
import { pollUntil } from '../../helpers/poll.js';

const A: Answer = { kind: 'records', rcode: 0, authoritative: true, answer: [{ type: 'A', name: 'web.shop.svc.cluster.local', ttl: 5, address: '10.96.0.10' }], authority: [], additional: [] };
const NX: Answer = { kind: 'records', rcode: 3, authoritative: true, answer: [], authority: [], additional: [] };
const NODATA: Answer = { kind: 'records', rcode: 0, authoritative: true, answer: [], authority: [], additional: [] };
const REFUSED: Answer = { kind: 'records', rcode: 5, authoritative: false, answer: [], authority: [], additional: [] };

const logs: QueryLog[] = [];
afterEach(() => logs.splice(0).forEach((l) => l.close()));
function log(size: number, clock = { t: 1_000_000 }): QueryLog {
  const l = createQueryLog({ size, now: () => clock.t, flushMs: 5 });
  logs.push(l);
  return l;
}

describe('query log', () => {
  it('keeps the last N rows, newest first, with the answer as zone-file text and how it was answered', () => {
    const q = log(3);
    q.record('127.0.0.1', 5000, false, 'web.shop.svc.cluster.local', 1, 0, A, 1, 100, 100.5);
    q.record('127.0.0.1', 5001, true, 'nope.shop.svc.cluster.local', 1, 3, NX, 0, -1, -1);
    q.record('10.0.0.9', 5002, false, 'example.org', 1, 0, { kind: 'relayed', bytes: new Uint8Array(12), upstream: '10.0.0.2:53' }, 0, 200, 212);
    q.record('10.0.0.9', 5003, false, 'example.org', 1, 0, { kind: 'relayed', bytes: new Uint8Array(12), cached: true }, 0, 300, 300.25);
    const rows = q.rows();
    expect(rows.map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(rows[2]).toEqual({
      seq: 1,
      time: 1_000_000,
      client: '127.0.0.1:5001',
      transport: 'tcp',
      name: 'nope.shop.svc.cluster.local.',
      type: 'A',
      rcode: 'NXDOMAIN',
      nodata: false,
      answer: [],
      latencyMs: null,
      answeredBy: 'cluster',
    });
    expect(rows[1]).toMatchObject({ answeredBy: 'upstream', upstream: '10.0.0.2:53', latencyMs: 12 });
    expect(rows[0]).toMatchObject({ answeredBy: 'cache', latencyMs: 0.25 });
    expect(rows[0]).not.toHaveProperty('upstream');
  });

  it('keeps a relayed reply up to 1232 bytes for its answer column, larger ones only as "which upstream"', () => {
    const q = log(4);
    q.record('c', 1, true, 'big.example.org', 16, 0, { kind: 'relayed', bytes: new Uint8Array(4000), upstream: '10.0.0.2:53' }, 40, -1, -1);
    expect(q.rows()[0]).toMatchObject({ answer: [], answeredBy: 'upstream', upstream: '10.0.0.2:53', nodata: false });
  });

  it('formats a cluster answer as dig prints it', () => {
    const q = log(4);
    q.record('127.0.0.1', 5000, false, 'web.shop.svc.cluster.local', 1, 0, A, 1, 100, 101);
    expect(q.rows()[0]).toMatchObject({ answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'], latencyMs: 1, answeredBy: 'cluster', rcode: 'NOERROR' });
  });

  it('filters by rcode (NODATA and FAILED too), client, name and "slower than"', () => {
    const q = log(10);
    q.record('127.0.0.1', 1, false, 'web.shop.svc.cluster.local', 1, 0, A, 1, 0, 1);
    q.record('127.0.0.2', 2, false, 'web.shopp', 1, 5, REFUSED, 0, 0, 30);
    q.record('127.0.0.1', 3, false, 'web.shop.svc.cluster.local', 28, 0, NODATA, 0, -1, -1);
    q.record('127.0.0.1', 4, false, 'gone.shop.svc.cluster.local', 1, 3, NX, 0, 0, 5);
    const names = (rows: { name: string; type: string }[]) => rows.map((r) => `${r.name} ${r.type}`);
    expect(names(q.rows({ rcode: 'nxdomain' }))).toEqual(['gone.shop.svc.cluster.local. A']);
    expect(names(q.rows({ rcode: 'NODATA' }))).toEqual(['web.shop.svc.cluster.local. AAAA']);
    expect(names(q.rows({ rcode: 'FAILED' }))).toEqual(['gone.shop.svc.cluster.local. A', 'web.shop.svc.cluster.local. AAAA', 'web.shopp. A']);
    expect(names(q.rows({ client: '127.0.0.2' }))).toEqual(['web.shopp. A']);
    expect(names(q.rows({ name: 'WEB.SHOP.' }))).toEqual(['web.shop.svc.cluster.local. AAAA', 'web.shopp. A', 'web.shop.svc.cluster.local. A']);
    expect(names(q.rows({ slowerThanMs: 4 }))).toEqual(['gone.shop.svc.cluster.local. A', 'web.shopp. A']);
    expect(q.rows({ rcode: 'REFUSED' })[0]).toMatchObject({ answeredBy: 'local' });
    expect(names(q.rows(undefined, 10, 2))).toEqual(['gone.shop.svc.cluster.local. A']);
  });

  it('groups the failed names of the window by name, type and rcode, most frequent first', () => {
    const clock = { t: 1_000_000 };
    const q = log(10, clock);
    q.record('c', 1, false, 'old.shop.svc.cluster.local', 1, 3, NX, 0, -1, -1); // at 1_000_000
    clock.t = 1_000_000 + 10 * 60_000;
    q.touch(); // the coarse clock moves on
    for (let i = 0; i < 3; i++) q.record('c', 1, false, 'web.shopp', 1, 3, NX, 0, -1, -1);
    q.record('c', 1, false, 'web.shop.svc.cluster.local', 28, 0, NODATA, 0, -1, -1);
    q.record('c', 1, false, 'example.org', 1, 2, { kind: 'records', rcode: 2, authoritative: false, answer: [], authority: [], additional: [] }, 0, -1, -1);
    q.record('c', 1, false, 'web.shop.svc.cluster.local', 1, 0, A, 1, -1, -1);
    expect(q.failedNames(5 * 60_000)).toEqual([
      { name: 'web.shopp.', type: 'A', rcode: 'NXDOMAIN', count: 3, last: clock.t },
      { name: 'example.org.', type: 'A', rcode: 'SERVFAIL', count: 1, last: clock.t },
      { name: 'web.shop.svc.cluster.local.', type: 'AAAA', rcode: 'NODATA', count: 1, last: clock.t },
    ]);
  });

  it('is off at size 0, and watched while subscribed or a minute after touch()', () => {
    const off = log(0);
    off.record('c', 1, false, 'a', 1, 0, A, 1, -1, -1);
    expect(off.rows()).toEqual([]);
    const clock = { t: 0 };
    const q = log(2, clock);
    expect(q.watching()).toBe(false);
    q.touch();
    expect(q.watching()).toBe(true);
    const stop = q.subscribe(() => {});
    stop();
  });

  it('sends subscribers the rows recorded since they subscribed, oldest first, in batches', async () => {
    const q = log(100);
    q.record('c', 1, false, 'before', 1, 0, A, 1, -1, -1);
    const got: string[][] = [];
    const stop = q.subscribe((rows) => got.push(rows.map((r) => r.name)));
    expect(q.watching()).toBe(true);
    q.record('c', 1, false, 'one', 1, 0, A, 1, -1, -1);
    q.record('c', 1, false, 'two', 1, 0, A, 1, -1, -1);
    await pollUntil(() => (got.length > 0 ? true : undefined));
    expect(got).toEqual([['one.', 'two.']]);
    stop();
    expect(q.watching()).toBe(false);
  });
});
