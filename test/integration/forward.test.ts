import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createDnsServer } from '../../src/server.js';
import { buildQuery, decodeReply, queryTcp, queryUdp, sendUdp } from '../helpers/dns-client.js';
import { reply, rr, soa, startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
const A = (ip: string) => ip.split('.').map(Number);
const answerA: Behaviour = (q) => reply(q, { answer: [rr('example.org', 1, 300, A('192.0.2.1'))] });

/**
 * A live upstream must answer within the timeout even on a loaded machine, so it is generous; tests of
 * silent upstreams pass a short one (waiting for silence only ever takes longer, never fails).
 */
async function forwardingServer(ports: number[], extra: Parameters<typeof startServer>[0] = {}) {
  return startServer({ zones, upstream: ports.map((port) => ({ address: '127.0.0.1', port })), upstreamTimeoutMs: 10_000, ...extra });
}

describe('forwarding', () => {
  it('relays the upstream reply byte for byte apart from the id, unknown types included', async () => {
    let sent: Buffer | undefined;
    const upstream = await startFakeUpstream((q) => {
      sent = reply(q, { answer: [rr('example.org', 1, 300, A('192.0.2.1')), rr('example.org', 65, 300, [0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32])] });
      return sent;
    });
    const { port } = await forwardingServer([upstream.port]);
    const raw = (await sendUdp(port, buildQuery('example.org', 'A', { id: 0xbeef })))!;
    expect(raw.readUInt16BE(0)).toBe(0xbeef);
    expect(raw.subarray(2)).toEqual(sent!.subarray(2));
    expect(decodeReply(raw).answer).toEqual(['example.org. 300 IN A 192.0.2.1', 'example.org. 300 IN TYPE65 \\# 10 00010000010003026832']);
    expect(decodeReply(raw).flags).toContain('ra');
  });

  it('retries over TCP when the upstream truncates', async () => {
    const upstream = await startFakeUpstream((q, transport) => (transport === 'udp' ? reply(q, { tc: true }) : answerA(q, transport)));
    const { port } = await forwardingServer([upstream.port]);
    const r = await queryUdp(port, 'example.org', 'A');
    expect(r.answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('moves on to the next upstream when one does not answer', async () => {
    const dead = await startFakeUpstream(() => 'drop');
    const alive = await startFakeUpstream(answerA);
    const { port } = await forwardingServer([dead.port, alive.port], { upstreamTimeoutMs: 1000 });
    expect((await queryUdp(port, 'example.org', 'A')).answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
    expect(dead.queries).toHaveLength(1);
    // The healthy upstream is preferred from then on.
    expect((await queryUdp(port, 'other.example.org', 'A')).rcode).toBe('NOERROR');
    expect(dead.queries).toHaveLength(1);
  });

  it('answers SERVFAIL with an extended error within the timeouts when every upstream is dead', async () => {
    const dead1 = await startFakeUpstream(() => 'drop');
    const dead2 = await startFakeUpstream(() => 'drop');
    const { port } = await forwardingServer([dead1.port, dead2.port], { upstreamTimeoutMs: 300 });
    const r = await queryUdp(port, 'example.org', 'A', { edns: {} });
    expect([dead1.queries.length, dead2.queries.length]).toEqual([1, 1]);
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.edns?.ede?.code).toBe(22);
    expect(r.edns?.ede?.text).toMatch(/^no upstream answered: 127\.0\.0\.1:\d+ timed out; 127\.0\.0\.1:\d+ timed out$/);
  });

  it('ignores replies with a wrong id or a different question', async () => {
    const upstream = await startFakeUpstream((q) => [
      reply(q, { id: q.readUInt16BE(0) ^ 0xffff, answer: [rr('example.org', 1, 300, A('6.6.6.6'))] }),
      reply(buildQuery('evil.example', 'A', { id: q.readUInt16BE(0) }), { answer: [rr('evil.example', 1, 300, A('6.6.6.6'))] }),
      answerA(q, 'udp') as Buffer,
    ]);
    const { port } = await forwardingServer([upstream.port]);
    expect((await queryUdp(port, 'example.org', 'A')).answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
  });

  it('forwards reverse names the registry does not know', async () => {
    const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('1.2.0.192.in-addr.arpa', 12, 60, Buffer.from([4, 0x68, 0x6f, 0x73, 0x74, 0]))] }));
    const { port } = await forwardingServer([upstream.port]);
    expect((await queryUdp(port, '1.2.0.192.in-addr.arpa', 'PTR')).answer).toEqual(['1.2.0.192.in-addr.arpa. 60 IN PTR host.']);
    expect((await queryUdp(port, '10.0.96.10.in-addr.arpa', 'PTR')).answer).toEqual(['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.']);
    expect(upstream.queries).toHaveLength(1);
  });

  it('shares one upstream query among identical concurrent queries', async () => {
    const upstream = await startFakeUpstream(async (q) => {
      await new Promise((r) => setTimeout(r, 100));
      return answerA(q, 'udp');
    });
    const { port } = await forwardingServer([upstream.port], { cacheSize: 0 });
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => queryUdp(port, 'example.org', 'A', { id: i + 1 })));
    expect(replies.map((r) => [r.id, r.answer])).toEqual(Array.from({ length: 5 }, (_, i) => [i + 1, ['example.org. 300 IN A 192.0.2.1']]));
    expect(upstream.queries).toHaveLength(1);
  });
});

describe('the forwarding cache', () => {
  it('serves a repeat from the cache with the TTL counted down', async () => {
    let now = 1_000_000;
    const upstream = await startFakeUpstream(answerA);
    const { port, server } = await forwardingServer([upstream.port], { now: () => now });
    expect((await queryUdp(port, 'example.org', 'A')).answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
    now += 10_500;
    const again = await queryTcp(port, 'EXAMPLE.org', 'A', { id: 77 });
    expect(again.id).toBe(77);
    expect(again.question).toEqual(['EXAMPLE.org. IN A']);
    expect(again.answer).toEqual(['example.org. 290 IN A 192.0.2.1']);
    expect(upstream.queries).toHaveLength(1);
    expect(server.cacheStats()).toEqual({ hits: 1, misses: 1, size: 1 });
    now += 300_000;
    await queryUdp(port, 'example.org', 'A');
    expect(upstream.queries).toHaveLength(2);
  });

  it('caches NXDOMAIN for the SOA negative TTL and not at all without an SOA', async () => {
    let now = 0;
    const upstream = await startFakeUpstream((q) =>
      q.toString('latin1').includes('nosoa') ? reply(q, { rcode: 3 }) : reply(q, { rcode: 3, authority: [soa('example.org', 3600, 60)] }),
    );
    const { port } = await forwardingServer([upstream.port], { now: () => now });
    expect((await queryUdp(port, 'gone.example.org', 'A')).rcode).toBe('NXDOMAIN');
    now += 30_000;
    const cached = await queryUdp(port, 'gone.example.org', 'A');
    expect(cached.authority).toEqual(['example.org. 3570 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60']);
    expect(upstream.queries).toHaveLength(1);
    now += 31_000;
    await queryUdp(port, 'gone.example.org', 'A');
    expect(upstream.queries).toHaveLength(2);
    await queryUdp(port, 'nosoa.example.org', 'A');
    await queryUdp(port, 'nosoa.example.org', 'A');
    expect(upstream.queries).toHaveLength(4);
  });

  it('keeps an upstream SERVFAIL only briefly', async () => {
    let now = 0;
    const upstream = await startFakeUpstream((q) => reply(q, { rcode: 2 }));
    const { port } = await forwardingServer([upstream.port], { now: () => now });
    await queryUdp(port, 'broken.example.org', 'A');
    await queryUdp(port, 'broken.example.org', 'A');
    expect(upstream.queries).toHaveLength(1);
    now += 6000;
    expect((await queryUdp(port, 'broken.example.org', 'A')).rcode).toBe('SERVFAIL');
    expect(upstream.queries).toHaveLength(2);
  });

  it('evicts the least recently used entry at its size cap, and can be turned off', async () => {
    const upstream = await startFakeUpstream(answerA);
    const { port } = await forwardingServer([upstream.port], { cacheSize: 2 });
    for (const name of ['a.example.org', 'b.example.org', 'c.example.org', 'a.example.org']) await queryUdp(port, name, 'A');
    expect(upstream.queries).toHaveLength(4);
    const off = await forwardingServer([upstream.port], { cacheSize: 0 });
    await queryUdp(off.port, 'z.example.org', 'A');
    await queryUdp(off.port, 'z.example.org', 'A');
    expect(upstream.queries).toHaveLength(6);
  });
});

describe('forwarding loops', () => {
  it('refuses an upstream that is the server itself', async () => {
    expect(() => createDnsServer({ port: 15353, upstream: [{ address: '127.0.0.1', port: 15353 }] })).toThrow(ConfigError);
    expect(() => createDnsServer({ host: '0.0.0.0', port: 15353, upstream: [{ address: '127.0.0.1', port: 15353 }] })).toThrow(
      "upstream: 127.0.0.1:15353 is this server's own address (a forwarding loop)",
    );
  });

  it('detects a query that comes back around and answers SERVFAIL at once', async () => {
    // An "upstream" that forwards everything straight back to our server.
    let serverPort = 0;
    const upstream = await startFakeUpstream(
      (q) =>
        new Promise((resolve) => {
          const socket = createSocket('udp4');
          socket.on('message', (msg) => {
            socket.close();
            resolve(msg);
          });
          socket.send(q, serverPort, '127.0.0.1');
        }),
    );
    // A minute's timeout (the most allowed): the SERVFAIL can only come from the loop check.
    const { port } = await startServer({ zones, upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 60_000 });
    serverPort = port;
    const r = await queryUdp(port, 'loop.example.org', 'A', { edns: {} });
    expect(r.rcode).toBe('SERVFAIL');
    expect(upstream.queries).toHaveLength(1);
  });
});

describe('--allow-recursion', () => {
  it('refuses forwarding to clients outside the CIDRs while still answering cluster names', async () => {
    const upstream = await startFakeUpstream(answerA);
    const closed = await forwardingServer([upstream.port], { allowRecursion: ['10.0.0.0/8', 'fd00::/8'] });
    const refusedReply = await queryUdp(closed.port, 'example.org', 'A', { edns: {} });
    expect(refusedReply.rcode).toBe('REFUSED');
    expect(refusedReply.edns?.ede).toEqual({ code: 18, text: 'recursion is not allowed for this client (--allow-recursion)' });
    expect((await queryUdp(closed.port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    expect(upstream.queries).toHaveLength(0);

    const open = await forwardingServer([upstream.port], { allowRecursion: ['127.0.0.0/8'] });
    expect((await queryUdp(open.port, 'example.org', 'A')).answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
  });

  it('rejects a malformed CIDR at start-up', () => {
    expect(() => createDnsServer({ allowRecursion: ['10.0.0.0/33'] })).toThrow('allow-recursion: "10.0.0.0/33" is not an IP address or CIDR');
  });
});
