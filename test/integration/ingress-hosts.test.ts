// Ingress and Gateway hostnames over real UDP and TCP on 127.0.0.1: from files, and from a registration (apply → next query sees it).
import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { queryTcp, queryUdp } from '../helpers/dns-client.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/ingress/hosts.yaml'];
const SOA = /^example\.test\. 5 IN SOA ns\.dns\.example\.test\. hostmaster\.example\.test\. \d+ 7200 1800 86400 5$/;

describe('ingress zones over the wire', () => {
  it.each(['udp', 'tcp'] as const)('answers hosts, wildcards, CNAMEs and NXDOMAIN authoritatively over %s', async (transport) => {
    const { port } = await startServer({ zones, ingressZones: 'example.test', ingressAddress: '127.0.0.1' });
    const ask = transport === 'udp' ? queryUdp : queryTcp;
    const shop = await ask(port, 'Shop.Example.Test', 'A');
    expect({ rcode: shop.rcode, flags: shop.flags, answer: shop.answer, authority: shop.authority }).toEqual({
      rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['Shop.Example.Test. 5 IN A 192.0.2.10'], authority: [],
    });
    const wildcard = await ask(port, 'pr-9.preview.example.test', 'AAAA');
    expect(wildcard.answer).toEqual(['pr-9.preview.example.test. 5 IN AAAA 2001:db8::10']);
    const lb = await ask(port, 'api.example.test', 'A');
    expect(lb.answer).toEqual(['api.example.test. 5 IN CNAME elb-123.elb.example.net.']);
    const admin = await ask(port, 'admin.example.test', 'A');
    expect(admin.answer).toEqual(['admin.example.test. 5 IN A 127.0.0.1']);
    const missing = await ask(port, 'nope.example.test', 'A');
    expect(missing.rcode).toBe('NXDOMAIN');
    expect(missing.flags).toEqual(['qr', 'aa', 'rd']);
    expect(missing.answer).toEqual([]);
    expect(missing.authority).toHaveLength(1);
    expect(missing.authority[0]).toMatch(SOA);
    // Outside the zones nothing is hijacked: forwarding is off here, so REFUSED.
    expect((await ask(port, 'outside.example.org', 'A')).rcode).toBe('REFUSED');
  });

  it('a registered Ingress is answered by the next query, and its removal too; Node’s Resolver agrees', async () => {
    const { server, port } = await startServer({ zones, ingressZones: ['example.test'] });
    const resolver = new Resolver();
    resolver.setServers([`127.0.0.1:${port}`]);
    await expect(resolver.resolve4('new.example.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const ingress = {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'new', namespace: 'shop' },
      spec: { rules: [{ host: 'new.example.test' }] }, status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } },
    };
    await server.apply(ingress);
    expect(await resolver.resolve4('new.example.test')).toEqual(['198.51.100.7']);
    expect(await resolver.resolve4('store.apps.example.test')).toEqual(['192.0.2.20']);
    await server.remove({ kind: 'Ingress', namespace: 'shop', name: 'new' });
    await expect(resolver.resolve4('new.example.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
