import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { createDnsServer, RegistryError } from '../../src/index.js';
import { queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

describe('embedding: the README example', () => {
  // README: "Embedding in a test suite" — keep the two in step.
  it('resolves registered services through node:dns', async () => {
    const server = createDnsServer({ port: 0 });
    const { udp } = await server.start();
    try {
      const resolver = new Resolver();
      resolver.setServers([`127.0.0.1:${udp.port}`]);

      await server.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] },
      });
      expect(await resolver.resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.10']);
      // Node 24 adds `type: 'SRV'` to each record; the fields that matter are the same on every version.
      expect(await resolver.resolveSrv('_http._tcp.web.shop.svc.cluster.local')).toEqual([
        expect.objectContaining({ name: 'web.shop.svc.cluster.local', port: 80, priority: 0, weight: 100 }),
      ]);

      // The native service is the same object (service/shop/web): it replaces the Kubernetes one.
      await server.apply('namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.11 }\n  db: { clusterIP: 10.96.0.12 }\n');
      expect(await resolver.resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.11']);

      expect(await server.remove({ kind: 'Service', namespace: 'shop', name: 'web' })).toEqual(['service/shop/web']);
      await expect(resolver.resolve4('web.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      expect(await resolver.resolve4('db.shop.svc.cluster.local')).toEqual(['10.96.0.12']);
      expect(await server.remove({ kind: 'Native', namespace: 'shop', name: '-' })).toEqual(['namespace//shop', 'service/shop/db']);
      await expect(resolver.resolve4('db.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    } finally {
      await server.stop();
    }
  });
});

describe('registry changes in process', () => {
  it('rejects invalid objects with file/line/field messages and keeps what was registered', async () => {
    const { server, port } = await startServer();
    await server.apply('namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10 }\n');
    const bad = server.apply('namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.999 }\n');
    await expect(bad).rejects.toBeInstanceOf(RegistryError);
    await expect(bad).rejects.toMatchObject({ code: 'REGISTRY_INVALID', diagnostics: ['body:3: services.web.clusterIP: "10.96.0.999" is not an IP address'] });
    await expect(server.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { clusterIP: 'nope' } })).rejects.toMatchObject({
      diagnostics: ['service/default/x: spec.clusterIP: "nope" is not an IP address'],
    });
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
  });

  it('lets registrations shadow a file service and replace() drop them all', async () => {
    const { server, port } = await startServer({ zones: ['test/fixtures/equivalence/native.yaml'] });
    await server.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.99.0.1' } });
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.99.0.1']);
    expect(server.registrations().map((r) => r.key)).toEqual(['service/shop/web']);
    await server.replace([]);
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    expect(server.registrations()).toEqual([]);
  });

  it('expires registrations with a lease', async () => {
    const { server, port } = await startServer();
    const [reg] = await server.apply('namespace: dev\nservices:\n  tmp: { clusterIP: 10.96.7.7 }\n', { leaseSeconds: 0.3 });
    expect(reg!.expiresAtMs).toBeGreaterThan(Date.now());
    expect((await queryUdp(port, 'tmp.dev.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
    await pollUntil(async () => ((await queryUdp(port, 'tmp.dev.svc.cluster.local', 'A')).rcode === 'NXDOMAIN' ? true : undefined), 3000);
    expect(server.registrations()).toEqual([]);
  });

  it('starts and stops many servers in one process without leaking handles', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    for (let i = 0; i < 15; i++) {
      const server = createDnsServer({ port: 0, zones: ['zones'], upstream: [{ address: '127.0.0.1', port: 9 }] });
      const { udp } = await server.start();
      expect((await queryUdp(udp.port, 'web.shop.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
      await server.stop();
    }
    await new Promise((r) => setTimeout(r, 50));
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
