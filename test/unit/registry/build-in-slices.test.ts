// A large build spread over turns of the event loop gives the same snapshot as the one-piece build,
// and pauses whenever a slice has used its time (driven by an injected clock, not a real one).
import { describe, expect, it } from 'vitest';
import { buildRegistryInSlices, runInSlices } from '../../../src/registry/build-in-slices.js';
import { diffRegistries, diffRegistriesSteps } from '../../../src/registry/registry-diff.js';
import { keyedFromMerged, keyedFromMergedSteps } from '../../../src/sources/merged-objects.js';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import type { RegistryInput } from '../../../src/registry/model.js';

function largeInput(services: number): RegistryInput {
  const origin = { file: 'big.yaml', line: 1 };
  return {
    namespaces: [{ name: 'big', origin }],
    services: Array.from({ length: services }, (_, i) => ({
      namespace: 'big', name: `s${i}`, kind: i % 10 === 0 ? 'Headless' as const : 'ClusterIP' as const,
      clusterIPs: i % 10 === 0 ? [] : [`10.96.${i >> 8}.${i & 255}`], externalName: undefined,
      ports: [{ name: 'http', protocol: 'tcp' as const, port: 80 }], publishNotReadyAddresses: false, origin,
    })),
    endpointGroups: Array.from({ length: services / 10 }, (_, j) => ({
      namespace: 'big', service: `s${j * 10}`, source: 'native' as const, ports: [{ name: 'http', protocol: 'tcp' as const, port: 8080 }],
      endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.244.${j >> 6}.${((j & 63) << 2) + k}`], hostname: `p-${k}`, ready: true })), origin,
    })),
    pods: [],
  };
}

describe('buildRegistryInSlices', () => {
  it('builds what buildRegistry builds, pausing each time a slice has run its length', async () => {
    const inputs = [largeInput(5_000)];
    const options = { clusterDomain: 'cluster.local', ttl: 5, serial: 7 };
    let clock = 0;
    let pauses = 0;
    // Every clock reading advances 1 ms: a 5 ms slice is a handful of steps of a few hundred objects.
    const sliced = await buildRegistryInSlices(inputs, options, { sliceMs: 5, now: () => clock++, pause: async () => void pauses++ });
    const whole = buildRegistry(inputs, options);
    expect(sliced).toEqual(whole);
    expect(whole.registry.names.size).toBeGreaterThan(10_000);
    expect(pauses).toBeGreaterThan(5);
  });

  it('lets other work run between slices', async () => {
    const order: string[] = [];
    const building = buildRegistryInSlices([largeInput(2_000)], { clusterDomain: 'cluster.local', ttl: 5, serial: 1 }, { sliceMs: 0 }).then(() => order.push('built'));
    setImmediate(() => order.push('query'));
    await building;
    expect(order).toEqual(['query', 'built']);
  });
});

describe('the other steps of a large reload, in slices', () => {
  const input = largeInput(5_000);
  const options = { clusterDomain: 'cluster.local', ttl: 5, serial: 7 };
  const sliced = async <T>(steps: Generator<void, T, void>) => {
    let clock = 0;
    let pauses = 0;
    const value = await runInSlices(steps, { sliceMs: 1, now: () => clock++, pause: async () => void pauses++ });
    return { value, pauses };
  };

  it('keying a merged file (the fingerprints) pauses and gives what the one-piece call gives', async () => {
    const { value, pauses } = await sliced(keyedFromMergedSteps(input, [], false));
    expect(value).toEqual(keyedFromMerged(input, [], false));
    expect(value.objects).toHaveLength(1 + 5_000 + 500);
    expect(pauses).toBeGreaterThan(20); // (5,501 objects + 1,500 endpoints) / 256 per step
  });

  it('the reload diff pauses and gives what the one-piece diff gives', async () => {
    const before = buildRegistry([input], options).registry;
    const changed = { ...input, services: input.services.slice(1).map((s, i) => (i === 7 ? { ...s, clusterIPs: ['10.96.200.1'] } : s)) };
    const after = buildRegistry([changed, { ...largeInput(0), services: [{ ...input.services[1]!, name: 'new' }] }], options).registry;
    const { value, pauses } = await sliced(diffRegistriesSteps(before, after));
    expect(value).toEqual(diffRegistries(before, after));
    expect([value.servicesAdded, value.servicesRemoved, value.servicesChanged]).toEqual([['new.big'], ['s0.big'], ['s8.big']]);
    expect(pauses).toBeGreaterThan(10); // 15,000 services looked at / 1,024 per step
  });
});
