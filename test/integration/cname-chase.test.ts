import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { encodeName, queryTcp, queryUdp, type DecodedReply } from '../helpers/dns-client.js';
import { questionOf, reply, rr, soa, startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.js';
import { startServer } from '../helpers/start-server.js';
import { execFileAsync, hasDig } from '../helpers/cli.js';

const zones = ['test/fixtures/external-names.yaml'];
const ipv4 = (ip: string) => ip.split('.').map(Number);

/** The world outside the cluster, as a local upstream sees it. */
const world: Behaviour = (q) => {
  const { name, type } = questionOf(q);
  switch (`${name}|${type}`) {
    case 'legacy.example.org|1':
      return reply(q, { answer: [rr('legacy.example.org', 5, 600, encodeName('lb.example.net')), rr('lb.example.net', 1, 60, ipv4('192.0.2.10')), rr('lb.example.net', 1, 60, ipv4('192.0.2.11'))] });
    case 'legacy.example.org|28':
      return reply(q, { answer: [rr('legacy.example.org', 5, 600, encodeName('lb.example.net')), rr('lb.example.net', 28, 60, [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 0x10])] });
    case 'legacy.example.org|65':
      // HTTPS (RFC 9460), a type nobody here models: priority 1, target "." (the owner itself).
      return reply(q, { answer: [rr('legacy.example.org', 5, 600, encodeName('lb.example.net')), rr('lb.example.net', 65, 300, [0, 1, 0])] });
    case 'gone.example.org|1':
      return reply(q, { rcode: 3, authority: [soa('example.org', 3600, 30)] });
    case 'bounce.example.org|1':
      return reply(q, { answer: [rr('bounce.example.org', 5, 60, encodeName('bounce.shop.svc.cluster.local'))] });
    default:
      return reply(q, { rcode: 3, authority: [soa('example.org', 3600, 30)] });
  }
};

async function chasingServer() {
  const upstream = await startFakeUpstream(world);
  const { port } = await startServer({ zones, upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 1000 });
  return { port, upstream };
}

const LEGACY_A = [
  'legacy.shop.svc.cluster.local. 5 IN CNAME legacy.example.org.',
  'legacy.example.org. 600 IN CNAME lb.example.net.',
  'lb.example.net. 60 IN A 192.0.2.10',
  'lb.example.net. 60 IN A 192.0.2.11',
];

describe.each(['udp', 'tcp'] as const)('ExternalName chased through the upstream, over %s', (transport) => {
  const ask = (port: number, name: string, type: string): Promise<DecodedReply> => (transport === 'udp' ? queryUdp(port, name, type) : queryTcp(port, name, type));

  it('answers the whole chain with the target\'s addresses, RA set', async () => {
    const { port } = await chasingServer();
    const r = await ask(port, 'legacy.shop.svc.cluster.local', 'A');
    expect(r).toMatchObject({ rcode: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'], answer: LEGACY_A, authority: [], additional: [] });
    const aaaa = await ask(port, 'legacy.shop.svc.cluster.local', 'AAAA');
    expect(aaaa.answer).toEqual([LEGACY_A[0], LEGACY_A[1], 'lb.example.net. 60 IN AAAA 2001:db8::10']);
  });

  it('passes types nobody here models through as they came (RFC 3597)', async () => {
    const { port } = await chasingServer();
    const r = await (transport === 'udp' ? queryUdp(port, 'legacy.shop.svc.cluster.local', 65) : queryTcp(port, 'legacy.shop.svc.cluster.local', 65));
    expect(r).toMatchObject({ rcode: 'NOERROR', answer: [LEGACY_A[0], LEGACY_A[1], 'lb.example.net. 300 IN TYPE65 \\# 3 000100'] });
  });

  it('a short form chains the same way', async () => {
    const { port } = await chasingServer();
    const r = await ask(port, 'legacy.shop', 'A');
    expect(r).toMatchObject({ rcode: 'NOERROR', flags: ['qr', 'rd', 'ra'], answer: ['legacy.shop. 5 IN CNAME legacy.shop.svc.cluster.local.', ...LEGACY_A] });
  });

  it('the target\'s NXDOMAIN comes back as NXDOMAIN with the CNAME and the upstream SOA', async () => {
    const { port } = await chasingServer();
    const r = await ask(port, 'gone.shop.svc.cluster.local', 'A');
    expect(r).toMatchObject({
      rcode: 'NXDOMAIN',
      answer: ['gone.shop.svc.cluster.local. 5 IN CNAME gone.example.org.'],
      authority: ['example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 30'],
    });
  });

  it.each([
    ['a loop inside the cluster', 'loop-a.shop.svc.cluster.local'],
    ['a loop through the upstream', 'bounce.shop.svc.cluster.local'],
    ['a chain of 9 CNAMEs', 'c0.shop.svc.cluster.local'],
  ])('%s is SERVFAIL', async (_, name) => {
    const { port } = await chasingServer();
    const r = await ask(port, name, 'A');
    expect(r).toMatchObject({ rcode: 'SERVFAIL', answer: [], authority: [] });
  });

  it('the target is asked once and then served from the cache', async () => {
    const { port, upstream } = await chasingServer();
    await ask(port, 'legacy.shop.svc.cluster.local', 'A');
    const again = await ask(port, 'legacy.shop.svc.cluster.local', 'A');
    expect(again.answer.slice(0, 1)).toEqual([LEGACY_A[0]]);
    expect(again.answer).toHaveLength(4);
    expect(upstream.queries.filter((q) => q.name === 'legacy.example.org')).toHaveLength(1);
  });
});

describe('clients that do not chase CNAMEs themselves', () => {
  it('Node\'s Resolver (c-ares) gets the target\'s addresses for an ExternalName', async () => {
    const { port } = await chasingServer();
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    expect((await resolver.resolve4('legacy.shop.svc.cluster.local')).sort()).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(await resolver.resolve6('legacy.shop.svc.cluster.local')).toEqual(['2001:db8::10']);
    // c-ares gives each address the smallest TTL along the chain: our CNAME's.
    expect(await resolver.resolve4('legacy.shop.svc.cluster.local', { ttl: true })).toEqual([
      { address: '192.0.2.10', ttl: 5 },
      { address: '192.0.2.11', ttl: 5 },
    ]);
    await expect(resolver.resolve4('gone.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('loop-a.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ESERVFAIL' });
  });

  it('with --upstream none the answer is the CNAME alone, as before, and c-ares finds no address', async () => {
    const { port } = await startServer({ zones });
    const r = await queryUdp(port, 'legacy.shop.svc.cluster.local', 'A');
    expect(r).toMatchObject({ rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['legacy.shop.svc.cluster.local. 5 IN CNAME legacy.example.org.'] });
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    // The symptom: a bare CNAME gives c-ares no address at all.
    expect(await resolver.resolve4('legacy.shop.svc.cluster.local')).toEqual([]);
  });

  it.skipIf(!hasDig && !process.env.CI)('dig sees the chain over UDP and TCP', async () => {
    const { port } = await chasingServer();
    for (const tcp of ['+notcp', '+tcp']) {
      const { stdout } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+time=10', '+tries=1', tcp, '+noall', '+answer', '+comments', 'legacy.shop.svc.cluster.local', 'A']);
      expect(stdout).toMatch(/status: NOERROR/);
      expect(stdout).toMatch(/flags: qr aa rd ra;/);
      const records = stdout.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.split(/\s+/).join(' '));
      expect(records).toEqual(LEGACY_A);
    }
    const { stdout: fail } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+time=10', '+tries=1', 'c0.shop.svc.cluster.local', 'A']);
    expect(fail).toMatch(/status: SERVFAIL/);
  });
});
