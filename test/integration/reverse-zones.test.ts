import { describe, expect, it } from 'vitest';
import { queryTcp, queryUdp, type DecodedReply } from '../helpers/dns-client.js';
import { reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';
import { startServer } from '../helpers/start-server.js';
import { encodeName } from '../helpers/dns-client.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
const soaOf = (apex: string) => new RegExp(`^${apex.replace(/\./g, '\\.')}\\. 5 IN SOA ns\\.dns\\.cluster\\.local\\. hostmaster\\.cluster\\.local\\. \\d+ 7200 1800 86400 5$`);

/** A server forwarding to an upstream that claims every reverse name (so a forward would show). */
async function serverWithUpstream(extra: Parameters<typeof startServer>[0] = {}) {
  const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('9.9.9.9.in-addr.arpa', 12, 300, encodeName('dns9.example.net'))] }));
  const { port } = await startServer({ zones, upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 1000, ...extra });
  return { port, upstream };
}

describe.each(['udp', 'tcp'] as const)('reverse names over %s', (transport) => {
  const ask = (port: number, name: string, type: string): Promise<DecodedReply> => (transport === 'udp' ? queryUdp(port, name, type) : queryTcp(port, name, type));

  it('inside --service-cidr and --pod-cidr: known → PTR, unknown → authoritative NXDOMAIN with the zone SOA, never forwarded', async () => {
    const { port, upstream } = await serverWithUpstream();
    expect(await ask(port, '10.0.96.10.in-addr.arpa', 'PTR')).toMatchObject({
      rcode: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'], answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'],
    });
    const unknownService = await ask(port, '77.0.96.10.in-addr.arpa', 'PTR');
    expect(unknownService).toMatchObject({ rcode: 'NXDOMAIN', flags: ['qr', 'aa', 'rd', 'ra'], answer: [] });
    expect(unknownService.authority).toHaveLength(1);
    expect(unknownService.authority[0]).toMatch(soaOf('96.10.in-addr.arpa'));
    const unknownPod = await ask(port, '9.9.244.10.in-addr.arpa', 'PTR');
    expect(unknownPod.rcode).toBe('NXDOMAIN');
    expect(unknownPod.authority[0]).toMatch(soaOf('244.10.in-addr.arpa'));
    const ent = await ask(port, '1.244.10.in-addr.arpa', 'PTR');
    expect(ent).toMatchObject({ rcode: 'NOERROR', answer: [] });
    expect(ent.authority[0]).toMatch(soaOf('244.10.in-addr.arpa'));
    expect(upstream.queries).toEqual([]);
  });

  it('outside them: unknown reverse names are forwarded as before', async () => {
    const { port, upstream } = await serverWithUpstream();
    expect(await ask(port, '9.9.9.9.in-addr.arpa', 'PTR')).toMatchObject({ rcode: 'NOERROR', answer: ['9.9.9.9.in-addr.arpa. 300 IN PTR dns9.example.net.'] });
    expect(upstream.queries.map((q) => q.name)).toEqual(['9.9.9.9.in-addr.arpa']);
  });

  it('follows the configured ranges', async () => {
    const { port, upstream } = await serverWithUpstream({ serviceCidrs: ['172.20.0.0/16'], podCidrs: ['192.168.0.0/24'] });
    expect((await ask(port, '5.0.20.172.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    expect((await ask(port, '5.0.168.192.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    // 10.96.0.0/12 is no longer ours: an unknown address there goes upstream; a known one is still answered.
    expect((await ask(port, '77.0.96.10.in-addr.arpa', 'PTR')).rcode).toBe('NOERROR');
    expect((await ask(port, '10.0.96.10.in-addr.arpa', 'PTR')).answer).toEqual(['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.']);
    expect(upstream.queries.map((q) => q.name)).toEqual(['77.0.96.10.in-addr.arpa']);
  });
});
