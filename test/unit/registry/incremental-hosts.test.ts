/**
 * The whole build as oracle for hostnames under per-object changes: random batches of Ingress and
 * Gateway/route objects (and a plain service beside them) upserted, removed and replaced across the
 * three sources go through the real publisher; after each batch the live registry's hostname index
 * and its diagnostics equal a whole build of the same objects, and a worker fed only the deltas
 * holds the same index.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostIndex } from '../../../src/registry/build-host-index.js';
import { buildRegistry, type SourcedInput } from '../../../src/registry/build-registry.js';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { emptyRegistryInput, type HostObjectInput, type RegistryInput } from '../../../src/registry/model.js';
import { createPublisher, DEFAULT_PRECEDENCE, type Publisher } from '../../../src/registry/publisher.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { clusterIpService, TestSource } from '../../helpers/test-source.js';

const ZONE = 'cluster.local';
const hosts = { zones: ['example.test'], defaultAddresses: ['127.0.0.1'] };
const HOSTNAMES = ['shop.example.test', 'api.example.test', '*.preview.example.test', 'outside.example.org'];
const TARGETS = [undefined, [{ ip: '192.0.2.10' }], [{ ip: '2001:db8::10' }], [{ hostname: 'lb.example.net' }]];

const hostObject = (kind: 'Ingress' | 'Gateway' | 'HTTPRoute', name: string): fc.Arbitrary<HostObjectInput> =>
  fc.record({
    hostnames: fc.subarray(HOSTNAMES, { minLength: 1 }),
    targets: fc.constantFrom(...TARGETS),
    createdAt: fc.constantFrom(undefined, '2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z'),
    line: fc.nat(9),
  }).map(({ hostnames, targets, createdAt, line }) => ({
    kind,
    namespace: 'shop',
    name,
    hostnames,
    targets: kind === 'HTTPRoute' ? undefined : targets,
    ...(kind === 'HTTPRoute' ? { parents: [{ namespace: 'shop', name: 'gw', sectionName: undefined }] } : {}),
    ...(kind === 'Gateway' ? { listeners: [{ name: 'http', hostname: undefined, allowedNamespaces: 'Same' as const }] } : {}),
    createdAt,
    origin: { file: 'hosts.yaml', line },
  }));

const OBJECTS = [
  { key: 'ingress/shop/a', arb: hostObject('Ingress', 'a') },
  { key: 'ingress/shop/b', arb: hostObject('Ingress', 'b') },
  { key: 'gateway/shop/gw', arb: hostObject('Gateway', 'gw') },
  { key: 'httproute/shop/r', arb: hostObject('HTTPRoute', 'r') },
];

type Action = { source: string; op: 'upsert'; key: string; input: RegistryInput } | { source: string; op: 'remove'; key: string };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ source: fc.constantFrom(...DEFAULT_PRECEDENCE), object: fc.constantFrom(...OBJECTS) }).chain(({ source, object }) =>
    object.arb.map((o): Action => ({ source, op: 'upsert', key: object.key, input: { ...emptyRegistryInput(), hostObjects: [o] } })),
  ),
  fc.record({ source: fc.constantFrom(...DEFAULT_PRECEDENCE), object: fc.constantFrom(...OBJECTS) }).map(({ source, object }): Action => ({ source, op: 'remove', key: object.key })),
  // A service beside them: a batch that touches no host object must leave the index as it was.
  fc.constantFrom(...DEFAULT_PRECEDENCE).map((source): Action => ({ source, op: 'upsert', ...clusterIpService('shop', 'web', '10.96.0.10') })),
);

/** The index as plain data, entries in key order. */
function outline(index: HostIndex | undefined): unknown {
  if (!index) return undefined;
  return { zones: index.zones, hosts: [...index.hosts].sort(([x], [y]) => x.localeCompare(y)), nonTerminals: [...index.nonTerminals].sort() };
}

const publishers: Publisher[] = [];
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

describe('incremental registry: hostnames', () => {
  it('holds the same hostname index and diagnostics as a whole build after every batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(actionArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }), async (batches) => {
        const ref = createRegistryRef();
        const deltas: (HostIndex | undefined)[] = [];
        const publisher = createPublisher(ref, { clusterDomain: ZONE, ttl: 5, coalesceMs: 0, hosts, onPublish: (_r, _d, changed) => deltas.push(changed) });
        publishers.push(publisher);
        const sources = DEFAULT_PRECEDENCE.map((id) => new TestSource(id));
        for (const s of sources) publisher.add(s);
        await publisher.start();
        for (const s of sources) s.to.synced();
        await publisher.published();
        // What each source holds, in push order (a re-pushed key moves to the end), as the publisher keeps it.
        const model = new Map<string, Map<string, RegistryInput>>(DEFAULT_PRECEDENCE.map((id) => [id, new Map()]));
        let workerHosts: HostIndex | undefined = ref.current()!.hosts;
        for (const batch of batches) {
          deltas.length = 0;
          for (const action of batch) {
            const objects = model.get(action.source)!;
            objects.delete(action.key);
            const sink = sources[DEFAULT_PRECEDENCE.indexOf(action.source)]!.to;
            if (action.op === 'upsert') {
              objects.set(action.key, action.input);
              sink.upsert(action.key, action.input);
            } else sink.remove(action.key);
          }
          await publisher.published();
          const inputs: SourcedInput[] = [];
          for (const id of DEFAULT_PRECEDENCE) inputs.push(...[...model.get(id)!.values()].reverse().map((i) => ({ ...i, source: id })));
          const whole = buildRegistry(inputs, { clusterDomain: ZONE, ttl: 5, serial: 1, hosts });
          const live = ref.current()!;
          expect(outline(live.hosts)).toEqual(outline(whole.registry.hosts));
          expect(publisher.diagnostics().map(formatDiagnostic).filter((d) => d.includes('example')).sort()).toEqual(whole.diagnostics.map(formatDiagnostic).filter((d) => d.includes('example')).sort());
          // A worker applies the index a delta carries, or keeps the one it has.
          for (const changed of deltas) if (changed) workerHosts = changed;
          expect(outline(workerHosts)).toEqual(outline(whole.registry.hosts));
        }
      }),
      { seed: 20_261_202, numRuns: 40, endOnFailure: true },
    );
  });
});
