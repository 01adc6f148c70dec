import { describe, expect, it } from 'vitest';
import { parseCidr, cidrContains, type Cidr } from '../../../src/dns/cidr.js';
import { allocateClusterIps } from '../../../src/registry/allocate-cluster-ips.js';
import type { ServiceInput } from '../../../src/registry/model.js';

const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t)!);
const DEFAULT = cidrs('10.96.0.0/12', 'fd00:10:96::/108');

function svc(name: string, more: Partial<ServiceInput> = {}): ServiceInput {
  return { namespace: 'default', name, kind: 'ClusterIP', clusterIPs: [], externalName: undefined, ports: [], publishNotReadyAddresses: false, origin: { file: 'f.yaml', line: 1 }, ...more };
}

/** `name` → addresses, for whole-result comparisons. */
function allocate(services: ServiceInput[], ranges: Cidr[] = DEFAULT): Record<string, readonly string[]> {
  const result = allocateClusterIps(services, ranges);
  return Object.fromEntries(services.filter((s) => result.assigned.has(s)).map((s) => [s.name, result.assigned.get(s)!]));
}

const names = (n: number, prefix = 'svc') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Two names whose first candidate in `range` is the same offset: found by allocating each alone. */
function collidingPair(range: Cidr[]): [string, string] {
  const seen = new Map<string, string>();
  for (const name of names(500, 'c')) {
    const ip = allocate([svc(name)], range)[name]![0]!;
    const other = seen.get(ip);
    if (other) return other < name ? [other, name] : [name, other];
    seen.set(ip, name);
  }
  throw new Error('no collision found');
}

describe('ClusterIP allocation', () => {
  it('gives the same addresses whatever order the services come in', () => {
    const services = names(40).map((n) => svc(n));
    const forward = allocate(services);
    const backward = allocate([...services].reverse());
    expect(backward).toEqual(forward);
    expect(new Set(Object.values(forward).flat()).size).toBe(40);
    for (const ips of Object.values(forward)) expect(ips).toHaveLength(1);
  });

  it('keeps every address when other services are added or removed', () => {
    const before = allocate(names(30).map((n) => svc(n)));
    const more = allocate([...names(30), ...names(30, 'new')].map((n) => svc(n)));
    const fewer = allocate(names(30).filter((_, i) => i % 3 !== 0).map((n) => svc(n)));
    for (const [name, ips] of Object.entries(fewer)) expect(ips).toEqual(before[name]);
    for (const [name, ips] of Object.entries(before)) expect(more[name]).toEqual(ips);
  });

  it('moves only the later of two colliding candidates (key order), and moves it back when the other goes', () => {
    const range = cidrs('10.0.0.0/26');
    const [first, second] = collidingPair(range);
    const alone = allocate([svc(second)], range)[second]!;
    const together = allocate([svc(second), svc(first)], range);
    expect(together[first]).toEqual(alone); // the earlier key keeps the candidate
    expect(together[second]).not.toEqual(alone);
    expect(allocate([svc(first), svc(second)], range)).toEqual(together);
    expect(allocate([svc(second)], range)[second]).toEqual(alone);
  });

  it('reserves explicit ClusterIPs first and never hands them out', () => {
    const generated = allocate([svc('web')])['web']![0]!;
    const taken = svc('pinned', { clusterIPs: [generated] });
    const result = allocateClusterIps([svc('web'), taken], DEFAULT);
    expect(result.assigned.get(taken)).toBeUndefined(); // written with an address: left as it is
    const web = result.assigned.get(result.assigned.keys().next().value!)!;
    expect(web).toHaveLength(1);
    expect(web[0]).not.toBe(generated);
    expect(result.allocated).toEqual(new Map([['default/web', web]]));
  });

  it('never hands out the network address, the first address (the kubernetes Service) or the broadcast address', () => {
    const range = cidrs('10.0.0.0/29');
    const all = allocate(names(5).map((n) => svc(n)), range);
    expect(Object.values(all).flat().sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });

  it('prefers the upper band of a large range, leaving the lower 256 addresses to explicit ones (KEP-3070)', () => {
    const range = cidrs('10.96.0.0/12');
    for (const ips of Object.values(allocate(names(50).map((n) => svc(n)), range))) {
      expect(cidrContains(parseCidr('10.96.0.0/24')!, ips[0]!)).toBe(false);
      expect(cidrContains(range[0]!, ips[0]!)).toBe(true);
    }
  });

  it.each<[string, Partial<ServiceInput>, Cidr[], (4 | 6)[]]>([
    ['no family asked: the primary (first) range', {}, DEFAULT, [4]],
    ['an IPv6-first cluster', {}, cidrs('fd00:10:96::/108', '10.96.0.0/12'), [6]],
    ['ipFamilies [IPv6]', { ipFamilies: [6] }, DEFAULT, [6]],
    ['PreferDualStack', { ipFamilyPolicy: 'PreferDualStack' }, DEFAULT, [4, 6]],
    ['RequireDualStack, IPv6 first', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: [6, 4] }, DEFAULT, [6, 4]],
    ['PreferDualStack on a single-stack cluster', { ipFamilyPolicy: 'PreferDualStack' }, cidrs('10.96.0.0/12'), [4]],
  ])('dual-stack: %s', (_, fields, ranges, families) => {
    const ips = allocate([svc('web', fields)], ranges)['web']!;
    expect(ips.map((ip) => (ip.includes(':') ? 6 : 4))).toEqual(families);
    for (const ip of ips) expect(ranges.some((r) => cidrContains(r, ip))).toBe(true);
  });

  it.each<[string, Partial<ServiceInput>, string]>([
    ['RequireDualStack without an IPv6 range', { ipFamilyPolicy: 'RequireDualStack' }, 'f.yaml:1: spec.ipFamilyPolicy: IPv6 needs an IPv6 service CIDR (--service-cidr)'],
    ['ipFamilies [IPv6] without an IPv6 range', { ipFamilies: [6] }, 'f.yaml:1: spec.ipFamilies: IPv6 needs an IPv6 service CIDR (--service-cidr)'],
  ])('rejects %s, as the API server would', (_, fields, message) => {
    const web = svc('web', fields);
    const result = allocateClusterIps([web], cidrs('10.96.0.0/12'));
    expect(result.rejected.has(web)).toBe(true);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}: ${d.field}: ${d.message}`)).toEqual([message]);
  });

  it('reports an exhausted range for the services that no longer fit (the last in key order) and leaves them out', () => {
    const services = names(7).map((n) => svc(n));
    const result = allocateClusterIps(services, cidrs('10.0.0.0/29'));
    expect(result.assigned.size).toBe(5);
    expect([...result.rejected].map((s) => s.name)).toEqual(['svc-5', 'svc-6']);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.field}: ${d.message}`)).toEqual([
      'error spec.clusterIP: no free address left in service CIDR 10.0.0.0/29 (--service-cidr) for service "svc-5" in namespace "default"',
      'error spec.clusterIP: no free address left in service CIDR 10.0.0.0/29 (--service-cidr) for service "svc-6" in namespace "default"',
    ]);
  });

  it('leaves headless, ExternalName and services with addresses alone', () => {
    const services = [
      svc('h', { kind: 'Headless' }),
      svc('e', { kind: 'ExternalName', externalName: 'example.org' }),
      svc('x', { clusterIPs: ['10.96.0.10'], ipFamilyPolicy: 'PreferDualStack' }),
    ];
    const result = allocateClusterIps(services, DEFAULT);
    expect(result.assigned.size + result.rejected.size + result.diagnostics.length).toBe(0);
  });

  it('gives a service defined twice the same address both times', () => {
    const a = svc('web');
    const b = svc('web', { origin: { file: 'g.yaml', line: 3 } });
    const result = allocateClusterIps([a, b], DEFAULT);
    expect(result.assigned.get(a)).toEqual(result.assigned.get(b));
  });
});
