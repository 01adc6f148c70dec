import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { diffRegistries } from '../../../src/registry/registry-diff.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';

const build = (names: string[]) =>
  buildRegistry([convertRegistryText('f.yaml', names.map((n) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${n}, namespace: shop}\nspec: {ports: [{port: 80}]}\n`).join('---\n')).input], {
    clusterDomain: 'cluster.local',
    ttl: 5,
    serial: 1,
  }).registry;

describe('the reload diff reports allocated ClusterIPs once', () => {
  it('names newly allocated addresses, and nothing on a rebuild of the same objects', () => {
    const first = build(['web']);
    const web = first.derived.allocatedClusterIps.get('shop/web')!;
    expect(diffRegistries(undefined, first).clusterIpsAllocated).toEqual([`web.shop=${web[0]}`]);
    expect(diffRegistries(first, build(['web'])).clusterIpsAllocated).toEqual([]);
    const second = build(['web', 'api']);
    expect(diffRegistries(first, second).clusterIpsAllocated).toEqual([`api.shop=${second.derived.allocatedClusterIps.get('shop/api')![0]}`]);
    expect(second.derived.allocatedClusterIps.get('shop/web')).toEqual(web);
  });
});
