/**
 * The native UDP engine against its oracle, node:dgram: byte-identical replies for the same queries
 * (fuzzed, EDNS sizes, truncation, forwarded), IPv6 on ::1, the engine each server reports, and the
 * IPv6 text the engine gives for client addresses.
 */
import fc from 'fast-check';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../src/transport/native-udp.js';
import { buildQuery, decodeReply, sendUdp } from '../helpers/dns-client.js';
import { reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';
import { nativeAvailable, UDP_ENGINE } from '../helpers/udp-engine.js';
import { mutatedCase, randomCase, structuredCase, type Case } from '../fuzz/wire-arbitraries.js';
import { createWireProbe, type WireProbe } from '../fuzz/wire-probe.js';

const zones = ['test/fixtures/equivalence/native.yaml', 'test/fixtures/large-headless.yaml'];
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
/** Both servers' SOA serials come from this clock, so their replies can be equal byte for byte. */
const now = () => Date.UTC(2026, 11, 2);

async function metricsText(httpPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  return res.text();
}

describe('the engine a server runs on', () => {
  it('is the one this test project asks for, shown by /metrics and udpStats()', async () => {
    const { server } = await startServer({ zones, http: '127.0.0.1:0' });
    const expected = UDP_ENGINE === 'dgram' || !nativeAvailable ? 'dgram' : 'native';
    expect(await metricsText(server.httpAddress!.port)).toMatch(new RegExp(`^cluster_dns_udp_engine_info\\{engine="${expected}"\\} 1$`, 'm'));
    if (expected === 'dgram') expect(server.udpStats()).toBeUndefined();
    else expect(server.udpStats()).toMatchObject({ queued: 0, overflow: 0, sendErrors: 0 });
  });
});

describe.runIf(nativeAvailable)('native engine against node:dgram (the oracle)', () => {
  async function pair(options: Parameters<typeof startServer>[0] = {}) {
    const native = await startServer({ zones, now, udpEngine: 'native', ...options });
    const dgram = await startServer({ zones, now, udpEngine: 'dgram', ...options });
    return { native, dgram };
  }

  async function sameReplies(arbitrary: fc.Arbitrary<Case>, numRuns: number, seed: number): Promise<void> {
    const { native, dgram } = await pair();
    const probes: WireProbe[] = [await createWireProbe(native.port), await createWireProbe(dgram.port)];
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (c) => {
          const [a, b] = [await probes[0]!.exchange('udp', c.bytes), await probes[1]!.exchange('udp', c.bytes)];
          expect(a.map((r) => r.toString('hex'))).toEqual(b.map((r) => r.toString('hex')));
        }),
        { numRuns, seed, endOnFailure: true },
      );
    } finally {
      for (const p of probes) p.close();
    }
  }

  it('gives byte-identical replies to structured hostile messages (FORMERR, NOTIMP, BADVERS, drops)', async () => {
    await sameReplies(structuredCase, 300, SEED);
  });

  it('gives byte-identical replies to mutated queries and random bytes', async () => {
    await sameReplies(fc.oneof(mutatedCase, randomCase), 300, SEED + 1);
  });

  it('gives byte-identical replies for every EDNS size, with and without EDNS, truncation included', async () => {
    const { native, dgram } = await pair();
    const sizes = [undefined, 0, 511, 512, 513, 1232, 1233, 4096, 65535];
    const names: [string, string][] = [
      ['big.shop.svc.cluster.local', 'A'], // 60 endpoints
      ['web.shop.svc.cluster.local', 'A'],
      ['Web.Shop.SVC.cluster.local', 'A'],
      ['nope.shop.svc.cluster.local', 'A'],
      ['web.shop', 'A'],
      ['cluster.local', 'SOA'],
      ['10.0.96.10.in-addr.arpa', 'PTR'],
      ['example.org', 'A'],
    ];
    let id = 1;
    for (const [name, type] of names) {
      for (const size of sizes) {
        const query = buildQuery(name, type, { id: id++, ...(size === undefined ? {} : { edns: { udpSize: size } }) });
        const [a, b] = await Promise.all([sendUdp(native.port, query), sendUdp(dgram.port, query)]);
        expect(a, `${name} ${type} EDNS ${size}`).toBeDefined();
        expect(a!.toString('hex'), `${name} ${type} EDNS ${size}`).toBe(b!.toString('hex'));
        // 60 addresses do not fit in 512 octets: TC=1 and empty sections (RFC 2181 §9).
        if (name.startsWith('big.') && (size === undefined || size <= 512)) expect(decodeReply(a!).bits.tc).toBe(true);
      }
    }
  });

  it('sends forwarded answers (replies that come after the batch) to the right client, as node:dgram does', async () => {
    const upstream = await startFakeUpstream(async (query) => {
      await new Promise((r) => setTimeout(r, 5)); // answered after the batch that carried the query
      return reply(query, { answer: [rr('example.org', 1, 300, [192, 0, 2, 7])] });
    });
    {
      const { native, dgram } = await pair({ upstream: `127.0.0.1:${upstream.port}`, cacheSize: 0 });
      // Several clients at once, each with its own id: every reply must reach its own client.
      const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
      for (const port of [native.port, dgram.port]) {
        const replies = await Promise.all(ids.map((id) => sendUdp(port, buildQuery('example.org', 'A', { id }))));
        expect(replies.map((r) => decodeReply(r!).id)).toEqual(ids);
        expect(replies.map((r) => decodeReply(r!).answer)).toEqual(ids.map(() => ['example.org. 300 IN A 192.0.2.7']));
      }
      const query = buildQuery('example.org', 'A', { id: 7 });
      expect((await sendUdp(native.port, query))!.toString('hex')).toBe((await sendUdp(dgram.port, query))!.toString('hex'));
    }
  });

  it('answers on ::1 (IPv6) and gives the client address as node:dgram does (the recursion ACL reads it)', async () => {
    const upstream = await startFakeUpstream((query) => reply(query, { answer: [rr('example.org', 1, 300, [192, 0, 2, 7])] }));
    {
      for (const allowRecursion of ['::1/128', '::2/128']) {
        const native = await startServer({ zones, now, host: '::1', udpEngine: 'native', upstream: `127.0.0.1:${upstream.port}`, allowRecursion });
        const dgram = await startServer({ zones, now, host: '::1', udpEngine: 'dgram', upstream: `127.0.0.1:${upstream.port}`, allowRecursion });
        expect(native.addresses.udp).toEqual({ address: '::1', family: 'IPv6', port: native.port });
        for (const [name, expected] of [['web.shop.svc.cluster.local', 'NOERROR'], ['example.org', allowRecursion === '::1/128' ? 'NOERROR' : 'REFUSED']] as const) {
          const query = buildQuery(name, 'A', { id: 9 });
          const [a, b] = [await sendUdp(native.port, query, '::1'), await sendUdp(dgram.port, query, '::1')];
          expect(decodeReply(a!).rcode).toBe(expected);
          expect(a!.toString('hex')).toBe(b!.toString('hex'));
        }
      }
    }
  });

  it('frees the port when it stops (a new server binds it at once)', async () => {
    const { server, port } = await startServer({ zones, udpEngine: 'native' });
    await server.stop();
    const again = await startServer({ zones, udpEngine: 'native', port });
    expect(decodeReply((await sendUdp(again.port, buildQuery('web.shop.svc.cluster.local', 'A')))!).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
  });

  it('answers every query of bursts and counts them in its batch counters, with nothing queued or dropped', async () => {
    const { server, port } = await startServer({ zones, udpEngine: 'native' });
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    const seen = new Set<number>();
    client.on('message', (msg) => seen.add(msg.readUInt16BE(0)));
    // Waves of 50, sent faster than one wake-up per datagram takes them (loopback delivers at once),
    // and small enough for the client's default receive buffer to hold every reply.
    for (let wave = 0; wave < 10; wave++) {
      for (let id = wave * 50; id < wave * 50 + 50; id++) client.send(buildQuery('web.shop.svc.cluster.local', 'A', { id }), port, '127.0.0.1');
      await pollUntil(() => (seen.size === wave * 50 + 50 ? true : undefined));
    }
    client.close();
    const stats = server.udpStats()!;
    expect(stats.datagrams).toBeGreaterThanOrEqual(500);
    expect(stats).toMatchObject({ overflow: 0, sendErrors: 0, queued: 0 });
    expect(stats.batches).toBeGreaterThanOrEqual(1);
    expect(stats.batches).toBeLessThanOrEqual(stats.datagrams);
  });
});

describe('formatIPv6 (the native engine client addresses as text)', () => {
  const bytes = (text: string): Uint8Array => {
    // Expand a literal through the WHATWG URL parser's canonical form, then read its groups.
    const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
  };

  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened (RFC 5952 §4.2.2)
    ['fe80:0:0:1:0:0:0:1', 'fe80:0:0:1::1'], // the longest run
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], // of equal runs, the first
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped, as a dual-stack socket reports it
    ['::192.0.2.1', '::192.0.2.1'],
    ['FD00:10:96::A', 'fd00:10:96::a'],
  ])('%s → %s', (input, expected) => {
    expect(formatIPv6(bytes(input), 0)).toBe(expected);
  });

  it('matches the URL standard serializer (RFC 5952) for addresses that are not IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (groups) => {
        const raw = Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
        const v4Like = groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0 || groups[5] === 0xffff) && !(groups[5] === 0 && groups[6] === 0);
        fc.pre(!v4Like);
        const text = groups.map((g) => g.toString(16)).join(':');
        expect(formatIPv6(raw, 0)).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 2000, seed: SEED + 2 },
    );
  });
});
