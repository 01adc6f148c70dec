import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPublisher } from '../../../src/registry/publisher.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { MAX_LEASE_SECONDS, RegistrationsSource } from '../../../src/sources/registrations-source.js';
import { RegistryError } from '../../../src/errors.js';

afterEach(() => {
  vi.useRealTimers();
});

const service = (name: string, ip: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { clusterIP: ip } });

async function started(): Promise<{ source: RegistrationsSource; ref: ReturnType<typeof createRegistryRef>; stop: () => Promise<void> }> {
  const ref = createRegistryRef();
  const publisher = createPublisher(ref, { clusterDomain: 'cluster.local', ttl: 5 });
  const source = new RegistrationsSource({ now: () => Date.now() });
  publisher.add(source);
  await publisher.start();
  await publisher.published();
  return { source, ref, stop: () => publisher.stop() };
}

describe('registrations source: leases', () => {
  it('refuses a lease longer than 7 days (or not a positive number) and changes nothing', async () => {
    const { source, stop } = await started();
    for (const lease of [MAX_LEASE_SECONDS + 1, 3_000_000, 0, -1, Number.NaN, Infinity]) {
      const error = await source.apply(service('web', '10.96.0.1'), { leaseSeconds: lease }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).diagnostics).toEqual([`lease: ${lease} is not a number of seconds between 0 and 604800 (7 days)`]);
    }
    expect(source.list()).toEqual([]);
    await stop();
  });

  it('a 7-day lease leaves the process idle until it runs out, then expires once', async () => {
    const { source, ref, stop } = await started();
    // Timers and the clock are fake; setImmediate stays real so the publisher's builds run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const applied = source.apply(service('web', '10.96.0.1'), { leaseSeconds: MAX_LEASE_SECONDS });
    await vi.advanceTimersByTimeAsync(100); // the publisher's coalescing window
    await applied;
    expect(ref.current()?.names.has('web.shop.svc.cluster.local')).toBe(true);
    // One pending timer for the lease, and advancing a day at a time never wakes the sweep early
    // (a delay past 2^31-1 ms would fire after 1 ms, again and again).
    expect(vi.getTimerCount()).toBe(1);
    for (let day = 1; day < 7; day++) {
      await vi.advanceTimersByTimeAsync(24 * 3600 * 1000);
      expect(source.stats().sweeps).toBe(0);
    }
    await vi.advanceTimersByTimeAsync(24 * 3600 * 1000 + 100);
    expect(source.stats()).toEqual({ registrations: 0, sweeps: 1 });
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    await source.apply([]); // waits for the build that dropped it
    expect(ref.current()?.names.has('web.shop.svc.cluster.local')).toBe(false);
    await stop();
  });
});

describe('registrations source: many registrations', () => {
  it('keeps apply working with 125,000 registrations (no unbounded spread into a call)', async () => {
    const { source, ref, stop } = await started();
    const many = Array.from({ length: 125_000 }, (_, i) => service(`svc-${i}`, `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`));
    const made = await source.apply(many, { leaseSeconds: 3600 });
    expect(made).toHaveLength(125_000);
    const [one] = await source.apply(service('web', '10.200.0.1'), { leaseSeconds: 60 });
    expect(one?.key).toBe('service/shop/web');
    expect(source.list()).toHaveLength(125_001);
    expect(ref.current()?.counts.services).toBe(125_001);
    await stop();
  }, 120_000);
});
