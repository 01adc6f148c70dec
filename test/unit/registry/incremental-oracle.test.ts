/**
 * The whole build as oracle for the per-object registry: random batches of upserts, removes and
 * replaceAlls across the three sources go through the real publisher; after each batch every name
 * the objects could produce (and near misses, PTRs, structure names, short forms, pod names)
 * answers through one long-lived resolver (its memos carried across batches) exactly as a fresh
 * resolver over buildRegistry of the same final objects answers, and the registry's counts,
 * namespaces, pod addresses, summaries, allocations and diagnostics are the same.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/dns/cidr.js';
import { reverseName } from '../../../src/dns/ip.js';
import { buildRegistry, type SourcedInput } from '../../../src/registry/build-registry.js';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import type { EndpointGroupInput, PodInput, RegistryInput, ServiceInput, WorkloadInput } from '../../../src/registry/model.js';
import { emptyRegistryInput } from '../../../src/registry/model.js';
import { createPublisher, DEFAULT_PRECEDENCE, type Publisher } from '../../../src/registry/publisher.js';
import type { Registry } from '../../../src/registry/registry.js';
import { applyDelta, createChangeLog } from '../../../src/registry/registry-delta.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver, type ResolverOptions } from '../../../src/resolver/create-resolver.js';
import { queryObject } from '../../helpers/query-object.js';
import { TestSource } from '../../helpers/test-source.js';

const SEED = Number(process.env.ORACLE_SEED ?? 20_261_202);
const ZONE = 'cluster.local';
const NAMESPACES = ['a', 'b'];
const SERVICES = ['web', 'db', 'ext'];
const SOURCES = DEFAULT_PRECEDENCE;
const SERVICE_IPS = ['10.96.0.10', '10.96.0.11', 'fd00:10:96::a'];
// 10.96.0.10 is also an endpoint address: two names share one PTR owner.
const ENDPOINT_IPS = ['10.244.0.1', '10.244.0.2', '10.96.0.10', 'fd00:10:244::1'];
const LABELS: readonly Record<string, string>[] = [{ app: 'web' }, { app: 'db' }, { app: 'web', tier: 'x' }, { tier: 'x' }];
const PORTS = [
  { name: 'http', protocol: 'tcp' as const, port: 80 },
  { name: undefined, protocol: 'udp' as const, port: 53 },
  { name: 'dns', protocol: 'udp' as const, port: 5353 },
];
const serviceCidrs = ['10.96.0.0/12', 'fd00:10:96::/108'].map((t) => parseCidr(t)!);
const resolverOptions: ResolverOptions = {
  zone: ZONE,
  podMode: 'verified',
  defaultNamespace: 'a',
  nameServerAddresses: ['10.96.0.53'],
  reverseCidrs: serviceCidrs,
};
const QTYPES = ['A', 'AAAA', 'SRV', 'CNAME', 'PTR', 'ANY', 'TXT', 'SOA'];

const origin = (line: number) => ({ file: 'oracle.yaml', line });
const one = <T>(items: readonly T[]) => fc.constantFrom(...items);

function serviceArb(namespace: string, name: string): fc.Arbitrary<ServiceInput> {
  const base = fc.record({
    ports: fc.subarray(PORTS),
    selector: fc.option(one([{ app: 'web' }, { app: 'db' }, { tier: 'x' }]), { nil: undefined }),
    publishNotReadyAddresses: fc.boolean(),
    line: fc.nat(9),
  });
  const shape = fc.oneof(
    fc.record({ kind: fc.constant('ClusterIP' as const), clusterIPs: fc.subarray(SERVICE_IPS, { minLength: 1, maxLength: 2 }), externalName: fc.constant(undefined) }),
    // Written without a ClusterIP: allocated, maybe dual-stack.
    fc.record({ kind: fc.constant('ClusterIP' as const), clusterIPs: fc.constant([]), externalName: fc.constant(undefined), ipFamilyPolicy: fc.option(one(['PreferDualStack' as const]), { nil: undefined }) }),
    fc.record({ kind: fc.constant('Headless' as const), clusterIPs: fc.constant([]), externalName: fc.constant(undefined) }),
    fc.record({ kind: fc.constant('ExternalName' as const), clusterIPs: fc.constant([]), externalName: one([`web.a.svc.${ZONE}`, `db.b.svc.${ZONE}`, `ext.a.svc.${ZONE}`, 'example.org']) }),
  );
  return fc.tuple(base, shape).map(([b, s]) => {
    const { line, ...rest } = b;
    return { namespace, name, ...rest, ...s, origin: origin(line) } as ServiceInput;
  });
}

function groupArb(namespace: string, service: string): fc.Arbitrary<EndpointGroupInput> {
  return fc.record({
    source: one(['EndpointSlice', 'Endpoints'] as const),
    ports: fc.subarray(PORTS),
    endpoints: fc.array(
      fc.record({ addresses: fc.subarray(ENDPOINT_IPS, { minLength: 1, maxLength: 2 }), hostname: fc.option(one(['h0', 'h1']), { nil: undefined }), ready: fc.boolean() }),
      { maxLength: 3 },
    ),
  }).map((g) => ({ namespace, service, ...g, origin: origin(3) }));
}

function podArb(namespace: string, name: string): fc.Arbitrary<PodInput> {
  return fc.record({
    ips: fc.subarray(['10.244.1.1', '10.244.1.2', 'fd00:10:244::9'], { maxLength: 2 }),
    labels: one(LABELS),
    ready: fc.boolean(),
    phase: one(['Running', 'Running', 'Succeeded']),
    hostname: fc.option(one(['h0', 'h1']), { nil: undefined }),
    subdomain: fc.option(one(['web', 'db']), { nil: undefined }),
  }).map((p) => ({ namespace, name, origin: origin(5), containerPorts: [], ...p }));
}

function workloadArb(namespace: string): fc.Arbitrary<WorkloadInput> {
  return fc.nat(2).map((replicas) => ({
    kind: 'Deployment' as const,
    namespace,
    name: 'deploy',
    replicas,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [] },
    template: { labels: { app: 'web' }, hostname: undefined, subdomain: undefined, containerPorts: [] },
    serviceName: undefined,
    owner: undefined,
    origin: origin(7),
  }));
}

const input = (part: Partial<RegistryInput>): RegistryInput => ({ ...emptyRegistryInput(), ...part });

/** One keyed object as a source pushes it. */
const objectArb: fc.Arbitrary<{ key: string; input: RegistryInput }> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(one(NAMESPACES), one(SERVICES)).chain(([ns, name]) => serviceArb(ns, name).map((svc) => ({ key: `service/${ns}/${name}`, input: input({ services: [svc] }) }))) },
  { weight: 4, arbitrary: fc.tuple(one(NAMESPACES), one(SERVICES), fc.nat(1)).chain(([ns, svc, n]) => groupArb(ns, svc).map((g) => ({ key: `endpointslice/${ns}/${svc}-${n}`, input: input({ endpointGroups: [g] }) }))) },
  { weight: 3, arbitrary: fc.tuple(one(NAMESPACES), one(['p0', 'p1'])).chain(([ns, name]) => podArb(ns, name).map((pod) => ({ key: `pod/${ns}/${name}`, input: input({ pods: [pod] }) }))) },
  { weight: 1, arbitrary: one(['a', 'c']).map((name) => ({ key: `namespace//${name}`, input: input({ namespaces: [{ name, origin: origin(1) }] }) })) },
  { weight: 1, arbitrary: one(NAMESPACES).chain((ns) => workloadArb(ns).map((w) => ({ key: `deployment/${ns}/deploy`, input: input({ workloads: [w] }) }))) },
  // A big file parsed off-thread is one object holding many (a service and its endpoints here).
  {
    weight: 1,
    arbitrary: fc.tuple(one(NAMESPACES), one(SERVICES)).chain(([ns, name]) =>
      fc.tuple(serviceArb(ns, name), groupArb(ns, name), serviceArb(ns, 'db')).map(([svc, g, db]) => ({ key: 'file//big.json', input: input({ services: [svc, db], endpointGroups: [g] }) })),
    ),
  },
);

type Action =
  | { readonly op: 'upsert'; readonly source: string; readonly key: string; readonly input: RegistryInput }
  | { readonly op: 'remove'; readonly source: string; readonly key: string }
  | { readonly op: 'replaceAll'; readonly source: string; readonly entries: readonly { key: string; input: RegistryInput }[] };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(one(SOURCES), objectArb).map(([source, o]) => ({ op: 'upsert' as const, source, key: o.key, input: o.input })) },
  { weight: 3, arbitrary: fc.tuple(one(SOURCES), objectArb).map(([source, o]) => ({ op: 'remove' as const, source, key: o.key })) },
  { weight: 1, arbitrary: fc.tuple(one(SOURCES), fc.array(objectArb, { maxLength: 4 })).map(([source, entries]) => ({ op: 'replaceAll' as const, source, entries })) },
);

/** The sources' objects as the test sees them: per source, in push order (a re-push moves to the end). */
class Model {
  readonly objects = new Map<string, Map<string, RegistryInput>>(SOURCES.map((s) => [s, new Map()]));
  apply(action: Action): void {
    const objects = this.objects.get(action.source)!;
    if (action.op === 'upsert') {
      objects.delete(action.key);
      objects.set(action.key, action.input);
    } else if (action.op === 'remove') objects.delete(action.key);
    else {
      objects.clear();
      for (const e of action.entries) {
        objects.delete(e.key);
        objects.set(e.key, e.input);
      }
    }
  }
  /** buildRegistry's input order: precedence, then the newest push of a source first. */
  inputs(): SourcedInput[] {
    return SOURCES.flatMap((source) => [...this.objects.get(source)!.values()].reverse().map((i) => ({ ...i, source })));
  }
}

/** Every name worth asking: what either registry holds, and what the objects could have produced. */
function namesToAsk(live: Registry, whole: Registry): string[] {
  const names = new Set<string>([...live.names.keys(), ...whole.names.keys(), ...live.reverse.keys(), ...whole.reverse.keys()]);
  for (const ns of [...NAMESPACES, 'c', 'default']) {
    names.add(`${ns}.svc.${ZONE}`);
    names.add(`${ns}.pod.${ZONE}`);
    for (const ip of ['10-244-1-1', '10-244-0-1', '10-9-9-9', 'fd00-10-244--9']) names.add(`${ip}.${ns}.pod.${ZONE}`);
    for (const svc of [...SERVICES, 'nope']) {
      const base = `${svc}.${ns}.svc.${ZONE}`;
      for (const prefix of ['', '_http._tcp.', '_dns._udp.', '_tcp.', '_udp.', 'h0.', 'h1.', '10-244-0-1.', '10-244-1-1.', 'zz.']) names.add(`${prefix}${base}`);
      // Short forms along the default namespace's search path.
      names.add(`${svc}.${ns}`);
      names.add(`${svc}.${ns}.svc`);
      names.add(`h0.${svc}.${ns}`);
    }
  }
  for (const svc of SERVICES) names.add(svc);
  for (const ip of [...SERVICE_IPS, ...ENDPOINT_IPS, '10.244.1.1', '10.96.0.99']) names.add(reverseName(ip));
  for (const extra of [ZONE, `svc.${ZONE}`, `pod.${ZONE}`, `dns-version.${ZONE}`, '96.10.in-addr.arpa', '0.96.10.in-addr.arpa']) names.add(extra);
  return [...names].sort();
}

/** What a registry says beyond answers, in a form two registries built differently can be compared in. */
function outline(registry: Registry) {
  return {
    serial: registry.serial,
    counts: registry.counts,
    namespaces: [...registry.namespaces].sort(),
    podIps: [...registry.podIps].map(([ns, ips]) => [ns, [...ips].sort()]).sort(),
    services: registry.services,
    allocated: [...registry.derived.allocatedClusterIps].sort(),
  };
}

const publishers: Publisher[] = [];
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

describe('incremental registry: the whole build is the oracle', () => {
  it('answers every name after every batch exactly as a whole build of the same objects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(actionArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (batches) => {
        const ref = createRegistryRef();
        const publisher = createPublisher(ref, { clusterDomain: ZONE, ttl: 5, serviceCidrs, coalesceMs: 0, ...(process.env.ORACLE_DEBUG ? { log: { info: console.log, warn: () => {}, debug: () => {}, error: (f: object, m: string) => console.log(m, f) } } : {}) });
        publishers.push(publisher);
        const sources = SOURCES.map((id) => new TestSource(id));
        for (const s of sources) publisher.add(s);
        await publisher.start();
        for (const s of sources) s.to.synced();
        await publisher.published();
        // One resolver for the whole run: its memos must follow every batch.
        const resolveLive = createResolver(ref, resolverOptions);
        const model = new Model();
        for (const batch of batches) {
          for (const action of batch) {
            model.apply(action);
            const sink = sources[SOURCES.indexOf(action.source)]!.to;
            if (action.op === 'upsert') sink.upsert(action.key, action.input);
            else if (action.op === 'remove') sink.remove(action.key);
            else sink.replaceAll(action.entries);
          }
          await publisher.published();
          const live = ref.current()!;
          const built = buildRegistry(model.inputs(), { clusterDomain: ZONE, ttl: 5, serial: live.serial, serviceCidrs });
          const whole = built.registry;
          // Only simulated workload Pods are built whole; everything else must have been applied per object.
          const simulating = model.inputs().some((i) => (i.workloads?.length ?? 0) > 0);
          expect(live.version === undefined).toBe(simulating);
          expect(outline(live)).toEqual(outline(whole));
          expect(publisher.diagnostics().map(formatDiagnostic).sort()).toEqual(built.diagnostics.map(formatDiagnostic).sort());
          const resolveWhole = createResolver(createRegistryRef(whole), resolverOptions);
          for (const name of namesToAsk(live, whole)) {
            for (const type of QTYPES) {
              const q = queryObject(name, type);
              const got = await resolveLive(q);
              const want = await resolveWhole(q);
              if (JSON.stringify(got) !== JSON.stringify(want)) expect({ name, type, answer: got }).toEqual({ name, type, answer: want });
            }
          }
        }
        await publisher.stop();
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
  });
});

describe('registry deltas (--workers): a copy that applies every delta holds what the live registry holds', () => {
  /** The maps of a registry as sorted entries, comparable whatever their insertion order. */
  const maps = (r: Registry) => ({
    names: [...r.names].sort(([a], [b]) => (a < b ? -1 : 1)),
    reverse: [...r.reverse].sort(([a], [b]) => (a < b ? -1 : 1)),
    namespaces: [...r.namespaces].sort(),
    podIps: [...r.podIps].map(([ns, ips]) => [ns, [...ips].sort()]).sort(),
    serial: r.serial,
    counts: r.counts,
  });

  it('after every batch, from a copy taken after the first load', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(actionArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (batches) => {
        const ref = createRegistryRef();
        let copy: Registry | undefined;
        let broken = false; // a whole build in between: a worker would be sent a snapshot
        const log = createChangeLog();
        const publisher = createPublisher(ref, {
          clusterDomain: ZONE,
          ttl: 5,
          serviceCidrs,
          coalesceMs: 0,
          onPublish: (registry, delta) => {
            if (!delta || broken) {
              broken = true;
              copy = undefined;
              return;
            }
            // The first copy is what a snapshot would carry (structured clone, as over IPC).
            copy = copy === undefined ? structuredClone({ ...registry, changes: undefined, inputs: undefined, services: [] }) as unknown as Registry : applyDelta(copy, { serial: registry.serial, counts: registry.counts, derived: registry.derived, entries: structuredClone(delta.entries), scopes: delta.names }, log);
          },
        });
        publishers.push(publisher);
        const sources = SOURCES.map((id) => new TestSource(id));
        for (const s of sources) publisher.add(s);
        await publisher.start();
        for (const s of sources) s.to.synced();
        await publisher.published();
        for (const batch of batches) {
          for (const action of batch) {
            const sink = sources[SOURCES.indexOf(action.source)]!.to;
            if (action.op === 'upsert') sink.upsert(action.key, action.input);
            else if (action.op === 'remove') sink.remove(action.key);
            else sink.replaceAll(action.entries);
          }
          await publisher.published();
          if (broken) break;
          expect(maps(copy!)).toEqual(maps(ref.current()!));
        }
        await publisher.stop();
      }),
      { seed: SEED + 1, numRuns: 60, endOnFailure: true },
    );
  });
});
