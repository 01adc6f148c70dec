import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../../../src/registry/publisher.js';
import { createRegistryRef, type MutableRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { clusterIpService, headlessService, TestSource } from '../../helpers/test-source.js';
import { queryObject } from '../../helpers/query-object.js';

const publishers: Publisher[] = [];
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

function setUp(ids: readonly string[], precedence?: readonly string[]): { publisher: Publisher; ref: MutableRegistryRef; sources: TestSource[] } {
  const ref = createRegistryRef();
  const publisher = createPublisher(ref, { clusterDomain: 'cluster.local', ttl: 5, ...(precedence ? { precedence } : {}) });
  publishers.push(publisher);
  const sources = ids.map((id) => new TestSource(id));
  for (const s of sources) publisher.add(s);
  return { publisher, ref, sources };
}

const addressesOf = (ref: MutableRegistryRef, name = 'web.shop.svc.cluster.local') => {
  const node = ref.current()?.names.get(name);
  return node ? [...node.a.map((r) => r.address), ...node.aaaa.map((r) => r.address)] : undefined;
};

describe('publisher: coalescing', () => {
  it('turns 1,000 updates pushed one per event-loop turn into far fewer builds, and serves the last one', async () => {
    const { publisher, ref, sources } = setUp(['kubernetes']);
    const [kube] = sources as [TestSource];
    await publisher.start();
    for (let i = 0; i < 100; i++) kube.to.upsert(`service/shop/svc-${i}`, clusterIpService('shop', `svc-${i}`, `10.96.1.${i}`).input);
    kube.to.synced();
    await publisher.published();
    const before = publisher.stats();
    expect(before.builds).toBe(1);

    // A rollout: 1,000 endpoint updates of one headless service, each arriving in its own turn
    // (as watch events do), while queries keep reading snapshots.
    const events = 1000;
    for (let i = 1; i <= events; i++) {
      kube.to.upsert('service/shop/web', headlessService('shop', 'web', [`10.244.${i >> 8}.${i & 255}`]).input);
      await new Promise((r) => setImmediate(r));
    }
    await kube.to.published();
    const after = publisher.stats();
    expect(after.changes - before.changes).toBe(events);
    expect(after.builds - before.builds).toBeGreaterThanOrEqual(1);
    expect(after.builds - before.builds).toBeLessThan(events / 10);
    expect(addressesOf(ref)).toEqual([`10.244.${events >> 8}.${events & 255}`]);
    expect(addressesOf(ref, 'svc-99.shop.svc.cluster.local')).toEqual(['10.96.1.99']);
  });

  it('builds once for a burst pushed in one turn, and once more for what arrives while it is pending', async () => {
    const { publisher, ref, sources } = setUp(['files']);
    const [files] = sources as [TestSource];
    await publisher.start();
    files.to.synced();
    await publisher.published();
    const start = publisher.stats().builds;
    for (let i = 0; i < 500; i++) files.to.upsert('service/shop/web', clusterIpService('shop', 'web', `10.96.0.${i % 250}`).input);
    const first = files.to.published();
    files.to.remove('service/shop/web');
    files.to.upsert('service/shop/api', clusterIpService('shop', 'api', '10.96.9.9').input);
    await Promise.all([first, files.to.published()]);
    expect(publisher.stats().builds - start).toBe(1);
    expect(addressesOf(ref)).toBeUndefined();
    expect(addressesOf(ref, 'api.shop.svc.cluster.local')).toEqual(['10.96.9.9']);
  });
});

describe('publisher: precedence between sources', () => {
  it('serves registrations over files over kubernetes, per service, endpoints from the winning source', async () => {
    const { publisher, ref, sources } = setUp(['kubernetes', 'files', 'registrations']);
    const [kube, files, regs] = sources as [TestSource, TestSource, TestSource];
    await publisher.start();
    kube.to.upsert('service/shop/web', headlessService('shop', 'web', ['10.244.0.1', '10.244.0.2']).input);
    kube.to.upsert('service/shop/db', clusterIpService('shop', 'db', '10.96.0.3').input);
    files.to.upsert('service/shop/web', clusterIpService('shop', 'web', '10.96.0.2').input);
    regs.to.upsert('service/shop/web', clusterIpService('shop', 'web', '10.96.0.1').input);
    for (const s of sources) s.to.synced();
    await publisher.published();
    expect(addressesOf(ref)).toEqual(['10.96.0.1']);
    expect(addressesOf(ref, 'db.shop.svc.cluster.local')).toEqual(['10.96.0.3']);
    // The kubernetes endpoints of the shadowed headless service are not served under its name.
    expect(ref.current()?.names.has('10-244-0-1.web.shop.svc.cluster.local')).toBe(false);
    expect(publisher.diagnostics().map((d) => d.message)).toEqual([
      'service "web" in namespace "shop" is shadowed by the registrations source (test:1)',
      'service "web" in namespace "shop" is shadowed by the registrations source (test:1)',
    ]);

    regs.to.remove('service/shop/web');
    await publisher.published();
    expect(addressesOf(ref)).toEqual(['10.96.0.2']);

    files.to.remove('service/shop/web');
    await publisher.published();
    expect(addressesOf(ref)).toEqual(['10.244.0.1', '10.244.0.2']);
    expect(ref.current()?.names.get('10-244-0-1.web.shop.svc.cluster.local')?.a.map((r) => r.address)).toEqual(['10.244.0.1']);
  });

  it('follows another order when told, and refuses a source that is not in it', async () => {
    const { publisher, ref, sources } = setUp(['registrations', 'kubernetes'], ['kubernetes', 'registrations']);
    const [regs, kube] = sources as [TestSource, TestSource];
    expect(() => publisher.add(new TestSource('files'))).toThrow('registry source "files" is not in the precedence list (kubernetes, registrations)');
    await publisher.start();
    regs.to.upsert('service/shop/web', clusterIpService('shop', 'web', '10.96.0.1').input);
    kube.to.upsert('service/shop/web', clusterIpService('shop', 'web', '10.96.0.9').input);
    regs.to.synced();
    kube.to.synced();
    await publisher.published();
    expect(addressesOf(ref)).toEqual(['10.96.0.9']);
  });
});

describe('publisher: readiness', () => {
  it('is ready only when every source has synced; cluster names get SERVFAIL before', async () => {
    const { publisher, ref, sources } = setUp(['files', 'kubernetes']);
    const [files, kube] = sources as [TestSource, TestSource];
    const resolve = createResolver(ref, { zone: 'cluster.local', podMode: 'disabled', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'] });
    await publisher.start();
    files.to.upsert('service/shop/web', clusterIpService('shop', 'web', '10.96.0.1').input);
    files.to.synced();
    await files.to.published(); // resolves at once: not every source has synced
    await new Promise((r) => setTimeout(r, 100));
    expect(publisher.ready()).toBe(false);
    expect(ref.current()).toBeUndefined();
    expect(await resolve(queryObject('web.shop.svc.cluster.local', 'A'))).toMatchObject({ kind: 'records', rcode: 2 });
    expect(publisher.stats().builds).toBe(0);

    kube.to.upsert('service/shop/api', clusterIpService('shop', 'api', '10.96.0.2').input);
    kube.to.synced();
    await publisher.published();
    expect(publisher.ready()).toBe(true);
    expect(await resolve(queryObject('web.shop.svc.cluster.local', 'A'))).toMatchObject({ rcode: 0 });
    expect(addressesOf(ref, 'api.shop.svc.cluster.local')).toEqual(['10.96.0.2']);
    expect(publisher.stats().builds).toBe(1);
  });
});

describe('publisher: per-object changes', () => {
  it('keeps the memoised answer of an unrelated name across a batch and drops the changed one', async () => {
    const { publisher, ref, sources } = setUp(['kubernetes']);
    const [kube] = sources as [TestSource];
    const resolve = createResolver(ref, { zone: 'cluster.local', podMode: 'disabled', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'] });
    await publisher.start();
    kube.to.upsert('service/shop/web', headlessService('shop', 'web', ['10.244.0.1']).input);
    kube.to.upsert('service/shop/db', clusterIpService('shop', 'db', '10.96.0.3').input);
    kube.to.synced();
    await publisher.published();
    const unrelated = await resolve(queryObject('db.shop.svc.cluster.local', 'A'));
    const before = await resolve(queryObject('web.shop.svc.cluster.local', 'A'));

    kube.to.upsert('service/shop/web', headlessService('shop', 'web', ['10.244.0.2']).input);
    await publisher.published();
    // The same object: its encoded reply is reused too (the encoder keeps bytes per answer object).
    expect(await resolve(queryObject('db.shop.svc.cluster.local', 'A'))).toBe(unrelated);
    const after = await resolve(queryObject('web.shop.svc.cluster.local', 'A'));
    expect(after).not.toBe(before);
    expect(after).toMatchObject({ rcode: 0, answer: [{ type: 'A', name: 'web.shop.svc.cluster.local', ttl: 5, address: '10.244.0.2' }] });
    // Only the changed service was recomputed, and the SOA serial moved on.
    expect(ref.current()?.version).toBe(2);
  });

  it('commits a large batch at once: between its slices queries see all of the old registry, then all of the new', async () => {
    const { publisher, ref, sources } = setUp(['files']);
    const [files] = sources as [TestSource];
    await publisher.start();
    files.to.synced();
    await publisher.published();
    const count = 3000;
    for (let i = 0; i < count; i++) files.to.upsert(`service/ns-${i % 7}/svc-${i}`, clusterIpService(`ns-${i % 7}`, `svc-${i}`, `10.97.${i >> 8}.${i & 255}`).input);
    const done = files.to.published();
    let settled = false;
    void done.then(() => (settled = true));
    const seen: string[] = [];
    let turns = 0;
    while (!settled) {
      turns++;
      const names = ref.current()!.names;
      const first = names.has('svc-0.ns-0.svc.cluster.local');
      const last = names.has(`svc-${count - 1}.ns-${(count - 1) % 7}.svc.cluster.local`);
      expect(first).toBe(last);
      const state = first ? 'new' : 'old';
      if (seen.at(-1) !== state) seen.push(state);
      await new Promise((r) => setImmediate(r));
    }
    expect(seen).toEqual(['old', 'new'].slice(0, seen.length));
    expect(turns).toBeGreaterThan(1); // the batch was computed over several turns of the event loop
    expect(ref.current()!.counts.services).toBe(count);
    expect([...ref.current()!.names.keys()].filter((n) => /^svc-\d+\.ns-\d\.svc\.cluster\.local$/.test(n)).length).toBe(count);
  });
});
