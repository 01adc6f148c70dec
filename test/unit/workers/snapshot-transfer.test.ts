/** A registry snapshot sent to --workers workers answers exactly as the one it was serialized from, and a change moves only the chunks it touches. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRegistry, type SourcedInput } from '../../../src/registry/build-registry.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { listRecords } from '../../../src/resolver/list-records.js';
import type { Registry } from '../../../src/registry/registry.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';
import { readZones } from '../../../src/sources/zones-reader.js';
import { bytesFor, chunkIds, decodeSnapshot, encodeSnapshot, MissingChunkError } from '../../../src/workers/snapshot-transfer.js';
import { queryObject } from '../../helpers/query-object.js';
import { clusterIpService, headlessService } from '../../helpers/test-source.js';

const resolverOptions = { zone: 'cluster.local', podMode: 'verified' as const, defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'] };
const build = (inputs: SourcedInput[]): Registry => buildRegistry(inputs, { clusterDomain: 'cluster.local', ttl: 5, serial: 42 }).registry;

async function zonesRegistry(): Promise<Registry> {
  const files = await readZones(['zones']);
  return build(files.map((f) => ({ ...f.input, source: 'files' })));
}

/** 600 ClusterIP services and 30 headless ones in 30 namespaces, plus `extra`. */
function bigRegistry(extra: SourcedInput[] = []): Registry {
  const inputs: SourcedInput[] = [];
  for (let i = 0; i < 600; i++) inputs.push(clusterIpService(`ns-${i % 30}`, `svc-${i}`, `10.96.${i >> 8}.${i & 255}`).input);
  for (let i = 0; i < 30; i++) inputs.push(headlessService(`ns-${i}`, `hl-${i}`, [`10.244.${i}.1`, `10.244.${i}.2`]).input);
  return build([...inputs, ...extra]);
}

describe('snapshot transfer to workers (v8 structured clone, in chunks)', () => {
  it('drops inputs and keeps everything a query reads, large Maps and arrays in chunks read with the event loop free between them', async () => {
    const original = await zonesRegistry();
    expect(original.inputs?.length).toBeGreaterThan(0);
    let encodePauses = 0;
    const encoded = await encodeSnapshot(original, { maxChunkEntries: 4, pause: async () => void encodePauses++ });
    expect(encoded.chunks.size).toBeGreaterThan(original.names.size / 4);
    let pauses = 0;
    const { registry: copy, store } = await decodeSnapshot(bytesFor(encoded, new Set()), new Map(), { pause: async () => void pauses++ });
    expect([encodePauses, pauses]).toEqual([encoded.chunks.size, encoded.chunks.size]);
    expect(new Set(store.keys())).toEqual(chunkIds(encoded));
    expect(copy.inputs).toBeUndefined();
    const { inputs: _inputs, ...rest } = original;
    expect(copy).toEqual(rest);
    expect([...copy.names.keys()]).toEqual([...original.names.keys()]);
  });

  it('answers every name of the zones/ registry (derived ones included) and the misses the same way', async () => {
    const original = await zonesRegistry();
    const { registry: copy } = await decodeSnapshot(bytesFor(await encodeSnapshot(original, { maxChunkEntries: 7 }), new Set()));
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

  it('sends a worker only the chunks a change touched, and the worker rebuilds the whole new snapshot from them and its own', async () => {
    const first = await encodeSnapshot(bigRegistry());
    const { store } = await decodeSnapshot(bytesFor(first, new Set()));
    const changed = bigRegistry([clusterIpService('ns-7', 'added', '10.96.200.1').input]);
    const second = await encodeSnapshot(changed);
    const delta = bytesFor(second, chunkIds(first));
    expect(second.chunks.size).toBeGreaterThan(10);
    expect(delta.chunks.size).toBeGreaterThan(0);
    expect(delta.chunks.size).toBeLessThan(second.chunks.size / 2);
    const { registry } = await decodeSnapshot(delta, store);
    const { inputs: _inputs, ...rest } = changed;
    expect(registry).toEqual(rest);
    expect(registry.names.get('added.ns-7.svc.cluster.local')?.a).toEqual([{ type: 'A', name: 'added.ns-7.svc.cluster.local', ttl: 5, address: '10.96.200.1' }]);
  });

  it('says so when a chunk is neither sent nor held', async () => {
    const encoded = await encodeSnapshot(bigRegistry());
    await expect(decodeSnapshot(bytesFor(encoded, chunkIds(encoded)), new Map())).rejects.toBeInstanceOf(MissingChunkError);
  });
});

describe('snapshot transfer: the hostname index', () => {
  it('a worker answers Ingress hosts, wildcards included, as the primary does', async () => {
    const file = 'test/fixtures/ingress/hosts.yaml';
    const input = convertRegistryText(file, readFileSync(file, 'utf8')).input;
    const original = buildRegistry([input], { clusterDomain: 'cluster.local', ttl: 5, serial: 42, hosts: { zones: ['example.test'], defaultAddresses: ['127.0.0.1'] } }).registry;
    const { registry: copy } = await decodeSnapshot(bytesFor(await encodeSnapshot(original), new Set()));
    const options = { ...resolverOptions, ingressZones: ['example.test'] };
    const here = createResolver(createRegistryRef(original), options);
    const there = createResolver(createRegistryRef(copy), options);
    for (const [name, type] of [['shop.example.test', 1], ['pr-1.preview.example.test', 28], ['lb.example.test', 1], ['nope.example.test', 1]] as const) {
      const asked = queryObject(name, type);
      expect(there(asked)).toEqual(here(asked));
    }
    expect(copy.hosts?.hosts.size).toBe(original.hosts?.hosts.size);
  });
});
