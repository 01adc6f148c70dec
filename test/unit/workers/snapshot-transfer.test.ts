/** A registry snapshot sent to --workers workers answers exactly as the one it was serialized from. */
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { listRecords } from '../../../src/resolver/list-records.js';
import type { Registry } from '../../../src/registry/registry.js';
import { readZones } from '../../../src/sources/zones-reader.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/workers/snapshot-transfer.js';
import { queryObject } from '../../helpers/query-object.js';

const resolverOptions = { zone: 'cluster.local', podMode: 'verified' as const, defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'] };

async function zonesRegistry(): Promise<Registry> {
  const files = await readZones(['zones']);
  return buildRegistry(files.map((f) => ({ ...f.input, source: 'files' })), { clusterDomain: 'cluster.local', ttl: 5, serial: 42 }).registry;
}

describe('snapshot transfer to workers (v8 structured clone, read back in parts)', () => {
  it('drops inputs and keeps everything a query reads, large Maps and arrays split into parts', async () => {
    const original = await zonesRegistry();
    expect(original.inputs?.length).toBeGreaterThan(0);
    let encodePauses = 0;
    const bytes = await encodeSnapshot(original, { partEntries: 4, pause: async () => void encodePauses++ });
    expect(bytes.parts.length).toBeGreaterThan(original.names.size / 4);
    let pauses = 0;
    const copy = await decodeSnapshot(bytes, { pause: async () => void pauses++ });
    // The event loop gets a turn before every part, in the primary and in the worker.
    expect([encodePauses, pauses]).toEqual([bytes.parts.length, bytes.parts.length]);
    expect(copy.inputs).toBeUndefined();
    const { inputs: _inputs, ...rest } = original;
    expect(copy).toEqual(rest);
    expect([...copy.names.keys()]).toEqual([...original.names.keys()]);
    expect(copy.services).toEqual(original.services);
  });

  it('answers every name of the zones/ registry (derived ones included) and the misses the same way', async () => {
    const original = await zonesRegistry();
    const copy = await decodeSnapshot(await encodeSnapshot(original, { partEntries: 7 }));
    const rows = listRecords(original, { podMode: 'verified', nameServerAddresses: ['127.0.0.1'] });
    expect(listRecords(copy, { podMode: 'verified', nameServerAddresses: ['127.0.0.1'] })).toEqual(rows);
    expect(rows.some((r) => r.note === 'allocated') && rows.some((r) => r.note === 'simulated')).toBe(true);
    const before = createResolver(createRegistryRef(original), resolverOptions);
    const after = createResolver(createRegistryRef(copy), resolverOptions);
    const questions: [string, string][] = [
      ...rows.map((r): [string, string] => [r.name, r.type]),
      ['web.shop', 'A'], ['nope.shop.svc.cluster.local', 'A'], ['web.shop.svc.cluster.local', 'AAAA'], ['cluster.local', 'SOA'], ['10-244-1-5.shop.pod.cluster.local', 'A'],
    ];
    for (const [name, type] of questions) {
      const query = queryObject(name, type);
      expect(await after(query), `${name} ${type}`).toEqual(await before(query));
    }
  });
});
