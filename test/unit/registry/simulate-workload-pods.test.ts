import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr } from '../../../src/dns/cidr.js';
import { derive, groupText, pod, service, workload } from './derive-helpers.js';

const POD_V4 = parseCidr('10.244.0.0/16')!;
const POD_V6 = parseCidr('fd00:10:244::/56')!;
/** Generated names: k8s.io/apimachinery SafeEncodeString's alphabet. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

describe('workload simulation', () => {
  it('names StatefulSet Pods <name>-0…<name>-(n-1), with hostname = name and subdomain = serviceName', () => {
    const { simulated } = derive([workload('StatefulSet', 'db', { replicas: 3, serviceName: 'db' })]);
    expect(simulated.map((p) => [p.name, p.hostname, p.subdomain, p.ready, p.simulated, p.owner])).toEqual([
      ['db-0', 'db-0', 'db', true, true, { kind: 'StatefulSet', name: 'db' }],
      ['db-1', 'db-1', 'db', true, true, { kind: 'StatefulSet', name: 'db' }],
      ['db-2', 'db-2', 'db', true, true, { kind: 'StatefulSet', name: 'db' }],
    ]);
    for (const p of simulated) {
      expect(p.ips).toHaveLength(1);
      expect(cidrContains(POD_V4, p.ips[0]!)).toBe(true);
      expect(p.labels).toEqual({ app: 'db' });
    }
    expect(new Set(simulated.flatMap((p) => p.ips)).size).toBe(3);
  });

  it.each<[string, number | undefined, number]>([
    ['replicas default to 1', undefined, 1],
    ['replicas: 0 runs nothing', 0, 0],
    ['replicas: 4', 4, 4],
  ])('%s', (_, replicas, count) => {
    expect(derive([workload('StatefulSet', 'db', { replicas })]).simulated).toHaveLength(count);
    expect(derive([workload('Deployment', 'web', { replicas })]).simulated).toHaveLength(count);
  });

  it('names Deployment Pods <deployment>-<template hash>-<suffix>, with the pod-template-hash label, the same on every run', () => {
    const first = derive([workload('Deployment', 'web', { replicas: 3 })]).simulated;
    const again = derive([workload('StatefulSet', 'other', {}), workload('Deployment', 'web', { replicas: 3 })]).simulated.filter((p) => p.name.startsWith('web-'));
    expect(again).toEqual(first);
    const hash = first[0]!.labels!['pod-template-hash']!;
    expect(hash).toMatch(new RegExp(`^${SAFE}{6,10}$`));
    for (const p of first) {
      expect(p.name).toMatch(new RegExp(`^web-${hash}-${SAFE}{5}$`));
      expect(p.owner).toEqual({ kind: 'ReplicaSet', name: `web-${hash}` });
      expect(p.hostname).toBeUndefined();
    }
    expect(new Set(first.map((p) => p.name)).size).toBe(3);
    // A different template is a different ReplicaSet.
    const changed = derive([workload('Deployment', 'web', { replicas: 1, ports: [{ name: 'http', containerPort: 80 }] })]).simulated;
    expect(changed[0]!.labels!['pod-template-hash']).not.toBe(hash);
  });

  it('names ReplicaSet Pods <replicaset>-<suffix>, and leaves a Deployment\'s ReplicaSet to the Deployment', () => {
    expect(derive([workload('ReplicaSet', 'web-abc', { replicas: 2 })]).simulated.map((p) => p.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^web-abc-${SAFE}{5}$`))]),
    );
    const both = derive([workload('Deployment', 'web', { replicas: 2 }), workload('ReplicaSet', 'web-abc', { replicas: 2, owner: { kind: 'Deployment', name: 'web' } })]).simulated;
    expect(both).toHaveLength(2);
    expect(both.every((p) => p.owner?.name !== 'web-abc')).toBe(true);
  });

  it.each<[string, object]>([
    ['a Pod owned by the StatefulSet', pod('db-0', { labels: { app: 'other' }, ips: ['10.244.5.5'], owner: { kind: 'StatefulSet', name: 'db' } })],
    ['a Pod without owner that matches the selector', pod('db-manual', { labels: { app: 'db' }, ips: ['10.244.5.5'] })],
    ['a Pod not yet scheduled (no address)', pod('db-0', { labels: { app: 'db' }, ips: [], owner: { kind: 'StatefulSet', name: 'db' } })],
  ])('real Pods replace the simulated ones: %s', (_, real) => {
    expect(derive([workload('StatefulSet', 'db', { replicas: 3, serviceName: 'db' }), real]).simulated).toEqual([]);
  });

  it('real Pods of a Deployment are found through their ReplicaSet (by name and pod-template-hash)', () => {
    const real = { ...(pod('web-5d9f7c-x2x4z', { labels: { app: 'web', 'pod-template-hash': '5d9f7c' }, ips: ['10.244.5.5'], owner: { kind: 'ReplicaSet', name: 'web-5d9f7c' } }) as object) };
    expect(derive([workload('Deployment', 'web', { replicas: 2 }), real]).simulated).toEqual([]);
  });

  it('does not count Pods of another namespace, another owner or other labels', () => {
    const others = [
      pod('db-0', { namespace: 'elsewhere', labels: { app: 'db' }, ips: ['10.244.5.5'] }),
      pod('x', { labels: { app: 'db' }, ips: ['10.244.5.6'], owner: { kind: 'StatefulSet', name: 'other' } }),
      pod('y', { labels: { app: 'web' }, ips: ['10.244.5.7'] }),
    ];
    expect(derive([workload('StatefulSet', 'db', { replicas: 2 }), ...others]).simulated.map((p) => p.name)).toEqual(['db-0', 'db-1']);
  });

  it('never gives a simulated Pod an address a real Pod or endpoint has', () => {
    const plain = derive([workload('StatefulSet', 'db', { replicas: 1 })]).simulated[0]!.ips[0]!;
    const withReal = derive([workload('StatefulSet', 'db', { replicas: 1 }), pod('other', { labels: { app: 'x' }, ips: [plain] })]).simulated[0]!.ips;
    expect(withReal).toHaveLength(1);
    expect(withReal[0]).not.toBe(plain);
  });

  it('adds an IPv6 address only for Pods a Service asks IPv6 of', () => {
    const v4 = derive([workload('StatefulSet', 'db', { replicas: 1 }), service('db', { clusterIP: 'None', selector: { app: 'db' } })]).simulated[0]!;
    expect(v4.ips).toHaveLength(1);
    const dual = derive([workload('StatefulSet', 'db', { replicas: 1 }), service('db', { clusterIP: 'None', selector: { app: 'db' }, ipFamilyPolicy: 'PreferDualStack' })]).simulated[0]!;
    expect(dual.ips).toHaveLength(2);
    expect(cidrContains(POD_V4, dual.ips[0]!)).toBe(true);
    expect(cidrContains(POD_V6, dual.ips[1]!)).toBe(true);
  });

  it('feeds selectors: a StatefulSet and its headless Service alone give named endpoints with the template\'s ports', () => {
    const result = derive([
      service('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }] }),
      workload('StatefulSet', 'db', { replicas: 2, serviceName: 'db', ports: [{ name: 'pg', containerPort: 5432 }] }),
    ]);
    const [a, b] = result.simulated.map((p) => p.ips[0]);
    expect(groupText(result.groups)).toEqual([`default/db [pg/tcp/5432] db-0=${a} db-1=${b}`]);
    expect(result.derivedAddresses).toEqual(new Map([[a, 'simulated'], [b, 'simulated']]));
    expect(result.simulatedPods).toBe(2);
  });

  it('gives a Pod written for kubectl apply (no status) an address, ready and Running, as the cluster would', () => {
    const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box', labels: { app: 'box' } }, spec: { hostname: 'box', subdomain: 'box', containers: [{ name: 'c', image: 'x' }] } };
    const result = derive([service('box', { clusterIP: 'None', selector: { app: 'box' } }), applied]);
    const placed = result.inputs[0]!.pods.find((p) => p.name === 'box')!;
    expect(placed.ips).toHaveLength(1);
    expect(cidrContains(POD_V4, placed.ips[0]!)).toBe(true);
    expect([placed.ready, placed.phase, placed.simulated]).toEqual([true, 'Running', true]);
    expect(result.simulated).toEqual([]);
    expect(groupText(result.groups)).toEqual([`default/box [] box=${placed.ips[0]}`]);
    expect(result.derivedAddresses.get(placed.ips[0]!)).toBe('simulated');
  });

  it('counts a hand-written status without conditions as ready while Running, and a Pending one as not ready', () => {
    const written = (name: string, status: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, status });
    const result = derive([service('web', { clusterIP: 'None', selector: { app: 'web' } }), written('a', { podIP: '10.244.0.1' }), written('b', { phase: 'Pending', podIP: '10.244.0.2' })]);
    expect(groupText(result.groups)).toEqual(['default/web [] -=10.244.0.1 -=10.244.0.2(not ready)']);
  });
});
