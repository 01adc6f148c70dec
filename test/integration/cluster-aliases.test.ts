// --cluster-domain with two zones over real UDP: each answers every name, with its own SOA.
import { describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns-client.js';
import { startServer } from '../helpers/start-server.js';

describe('several cluster zones', () => {
  it('answers a service, an SRV and an NXDOMAIN in the second zone as in the first', async () => {
    const { port } = await startServer({ zones: ['test/fixtures/equivalence/native.yaml'], clusterDomain: 'cluster.local,cluster.internal' });
    const web = await queryUdp(port, 'web.shop.svc.cluster.internal', 'A');
    expect({ rcode: web.rcode, flags: web.flags, answer: web.answer }).toEqual({ rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['web.shop.svc.cluster.internal. 5 IN A 10.96.0.10'] });
    const srv = await queryUdp(port, '_http._tcp.web.shop.svc.cluster.internal', 'SRV');
    expect(srv.answer).toEqual(['_http._tcp.web.shop.svc.cluster.internal. 5 IN SRV 0 100 80 web.shop.svc.cluster.internal.']);
    expect(srv.additional).toEqual(['web.shop.svc.cluster.internal. 5 IN A 10.96.0.10', 'web.shop.svc.cluster.internal. 5 IN AAAA fd00::10']);
    const nx = await queryUdp(port, 'nope.shop.svc.cluster.internal', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authority[0]).toMatch(/^cluster\.internal\. 5 IN SOA ns\.dns\.cluster\.internal\. hostmaster\.cluster\.internal\. \d+ 7200 1800 86400 5$/);
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
  });
});
