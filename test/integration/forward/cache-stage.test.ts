import { afterEach, describe, expect, it } from 'vitest';
import type { Answer, Query } from '../../../src/dns/types.js';
import { createReplyCache, type CacheOptions } from '../../../src/resolver/cache-stage.js';
import { createForwardStage } from '../../../src/resolver/forward-stage.js';
import type { Next } from '../../../src/resolver/stage.js';
import { createUpstreamClient, type UpstreamClient } from '../../../src/upstream/upstream-client.js';
import { decodeReply, type DecodedReply } from '../../helpers/dns-client.js';
import { questionOf, reply, rr, soa, startFakeUpstream, type Behaviour, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { queryObject } from '../../helpers/query-object.js';

const clients: UpstreamClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));

const A = [192, 0, 2, 1];
const byName: Behaviour = (q) => {
  const name = questionOf(q).name;
  if (name.startsWith('gone')) return reply(q, { rcode: 3, authority: [soa('example.org', 3600, 60)] });
  if (name.startsWith('nosoa')) return reply(q, { rcode: 3 });
  if (name.startsWith('empty')) return reply(q, { authority: [soa('example.org', 20, 600)] });
  if (name.startsWith('broken')) return reply(q, { rcode: 2 });
  if (name.startsWith('long')) return reply(q, { answer: [rr(name, 1, 86400, A)] });
  if (name.startsWith('big')) return reply(q, { tc: true }); // truncated over UDP and TCP alike
  return reply(q, { answer: [rr(name, 1, 300, A), rr(name, 1, 120, [192, 0, 2, 2])] });
};

/** cache → forward → a real local upstream, with a clock the test moves. */
async function pipeline(options: CacheOptions = {}, behaviour: Behaviour = byName) {
  const upstream: FakeUpstream = await startFakeUpstream(behaviour);
  const c = createUpstreamClient({ servers: [{ address: '127.0.0.1', port: upstream.port }], timeoutMs: 500 });
  clients.push(c);
  const clock = { now: 1_000_000 };
  const cache = createReplyCache({ now: () => clock.now, ...options });
  const forward = createForwardStage(c);
  const last: Next = () => {
    throw new Error('unreachable');
  };
  const ask = async (query: Query): Promise<DecodedReply> => {
    const answer: Answer = await cache.stage(query, (q) => forward(q, last));
    if (answer.kind !== 'relayed') throw new Error(`expected a relayed answer, got rcode ${answer.rcode}`);
    return decodeReply(Buffer.from(answer.bytes));
  };
  return { upstream, cache, clock, ask };
}

describe('cache stage', () => {
  it('answers a repeat without asking the upstream, with the id and case of the new query', async () => {
    const { upstream, cache, ask } = await pipeline();
    await ask(queryObject('www.example.org', 'A', { id: 1 }));
    const again = await ask(queryObject('WWW.example.ORG', 'A', { id: 2 }));
    expect(again).toMatchObject({ id: 2, question: ['WWW.example.ORG. IN A'], answer: ['www.example.org. 300 IN A 192.0.2.1', 'www.example.org. 120 IN A 192.0.2.2'] });
    expect(upstream.queries).toHaveLength(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it('counts every TTL down, and expires the entry at the smallest answer TTL', async () => {
    const { upstream, clock, ask } = await pipeline();
    await ask(queryObject('www.example.org', 'A'));
    clock.now += 100_900;
    expect((await ask(queryObject('www.example.org', 'A'))).answer).toEqual(['www.example.org. 200 IN A 192.0.2.1', 'www.example.org. 20 IN A 192.0.2.2']);
    clock.now += 19_100; // 120 s after it was stored
    await ask(queryObject('www.example.org', 'A'));
    expect(upstream.queries).toHaveLength(2);
  });

  it('caps a long positive TTL', async () => {
    const { upstream, clock, ask } = await pipeline({ maxTtl: 60 });
    await ask(queryObject('long.example.org', 'A'));
    clock.now += 59_000;
    await ask(queryObject('long.example.org', 'A'));
    expect(upstream.queries).toHaveLength(1);
    clock.now += 1_000;
    await ask(queryObject('long.example.org', 'A'));
    expect(upstream.queries).toHaveLength(2);
  });

  it('keeps NXDOMAIN for min(SOA TTL, MINIMUM) and NODATA likewise (RFC 2308 §5), nothing without an SOA', async () => {
    const { upstream, clock, ask } = await pipeline();
    expect((await ask(queryObject('gone.example.org', 'A'))).rcode).toBe('NXDOMAIN');
    await ask(queryObject('empty.example.org', 'AAAA'));
    clock.now += 19_000;
    const nx = await ask(queryObject('gone.example.org', 'A'));
    expect(nx.authority).toEqual(['example.org. 3581 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60']);
    expect((await ask(queryObject('empty.example.org', 'AAAA'))).authority[0]).toMatch(/^example\.org\. 1 IN SOA /);
    expect(upstream.queries).toHaveLength(2);
    clock.now += 1_000; // NODATA (SOA TTL 20) is gone, NXDOMAIN (MINIMUM 60) is not
    await ask(queryObject('empty.example.org', 'AAAA'));
    await ask(queryObject('gone.example.org', 'A'));
    expect(upstream.queries).toHaveLength(3);
    clock.now += 40_000;
    await ask(queryObject('gone.example.org', 'A'));
    expect(upstream.queries).toHaveLength(4);
    await ask(queryObject('nosoa.example.org', 'A'));
    await ask(queryObject('nosoa.example.org', 'A'));
    expect(upstream.queries).toHaveLength(6);
  });

  it('caps a negative TTL', async () => {
    const { upstream, clock, ask } = await pipeline({ maxNegativeTtl: 10 });
    await ask(queryObject('gone.example.org', 'A'));
    clock.now += 10_000;
    await ask(queryObject('gone.example.org', 'A'));
    expect(upstream.queries).toHaveLength(2);
  });

  it('keeps an upstream SERVFAIL only briefly (default 5 s), or not at all', async () => {
    const { upstream, clock, ask } = await pipeline();
    await ask(queryObject('broken.example.org', 'A'));
    clock.now += 4_900;
    expect((await ask(queryObject('broken.example.org', 'A'))).rcode).toBe('SERVFAIL');
    expect(upstream.queries).toHaveLength(1);
    clock.now += 100;
    await ask(queryObject('broken.example.org', 'A'));
    expect(upstream.queries).toHaveLength(2);
    const off = await pipeline({ servfailTtl: 0 });
    await off.ask(queryObject('broken.example.org', 'A'));
    await off.ask(queryObject('broken.example.org', 'A'));
    expect(off.upstream.queries).toHaveLength(2);
  });

  it('does not keep a truncated reply, nor its own SERVFAIL for an upstream that does not answer', async () => {
    const { upstream, cache, ask } = await pipeline();
    expect((await ask(queryObject('big.example.org', 'A'))).flags).toContain('tc');
    await ask(queryObject('big.example.org', 'A'));
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp', 'udp', 'tcp']);
    expect(cache.stats().size).toBe(0);

    const silent = await pipeline({}, () => 'drop');
    const forward = (q: Query) => silent.cache.stage(q, () => ({ kind: 'records', rcode: 2, authoritative: false, answer: [], authority: [], additional: [] }));
    await forward(queryObject('example.org', 'A'));
    expect(silent.cache.stats()).toEqual({ hits: 0, misses: 1, size: 0 });
  });

  it('keys on the DO and CD bits and on EDNS itself', async () => {
    const { upstream, ask } = await pipeline();
    await ask(queryObject('www.example.org', 'A'));
    await ask(queryObject('www.example.org', 'A', { edns: {} }));
    await ask(queryObject('www.example.org', 'A', { edns: { do: true } }));
    await ask(queryObject('www.example.org', 'A', { cd: true }));
    await ask(queryObject('www.example.org', 'A', { edns: { do: true, udpSize: 4096 } }));
    expect(upstream.queries).toHaveLength(4);
  });

  it('evicts the least recently used entry at its cap', async () => {
    const { upstream, cache, ask } = await pipeline({ maxEntries: 2 });
    await ask(queryObject('a.example.org', 'A'));
    await ask(queryObject('b.example.org', 'A'));
    await ask(queryObject('a.example.org', 'A')); // a is now the most recent
    await ask(queryObject('c.example.org', 'A')); // evicts b
    expect(upstream.queries.map((q) => q.name)).toEqual(['a.example.org', 'b.example.org', 'c.example.org']);
    await ask(queryObject('a.example.org', 'A'));
    await ask(queryObject('b.example.org', 'A'));
    expect(upstream.queries.map((q) => q.name)).toEqual(['a.example.org', 'b.example.org', 'c.example.org', 'b.example.org']);
    expect(cache.stats()).toMatchObject({ size: 2, hits: 2 });
  });

  it('passes everything on when turned off', async () => {
    const { upstream, cache, ask } = await pipeline({ maxEntries: 0 });
    await ask(queryObject('www.example.org', 'A'));
    await ask(queryObject('www.example.org', 'A'));
    expect(upstream.queries).toHaveLength(2);
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, size: 0 });
  });
});
