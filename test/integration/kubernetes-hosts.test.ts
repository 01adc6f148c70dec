// The Kubernetes source with --ingress-zones against the fake API (real HTTPS wire): Ingress, Gateway, HTTPRoute and LoadBalancer status → answers.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordClass, RecordType, type Query, type RecordsAnswer } from '../../src/dns/types.js';
import { createKubernetesSource } from '../../src/kubernetes/kubernetes-source.js';
import { buildRegistry } from '../../src/registry/build-registry.js';
import { createRegistryRef } from '../../src/registry/registry-ref.js';
import { createResolver } from '../../src/resolver/create-resolver.js';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from '../helpers/fake-kube-api.js';
import { namespace } from '../helpers/kube-objects.js';
import { manualTimers } from '../helpers/manual-timers.js';
import { pollUntil } from '../helpers/poll.js';
import { recordingSink, type RecordingSink } from '../helpers/recording-sink.js';
import { answerText } from '../helpers/zone-text.js';

const TOKEN = 'hosts-token-0123456789';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const ingress = (ip: string | undefined) => ({
  metadata: { name: 'shop', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: '1' },
  spec: { rules: [{ host: 'shop.example.test' }] },
  status: ip ? { loadBalancer: { ingress: [{ ip }] } } : { loadBalancer: {} },
});
const gateway = {
  metadata: { name: 'edge', namespace: 'infra' },
  spec: { gatewayClassName: 'envoy', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, hostname: '*.apps.example.test' }] },
  status: { addresses: [{ type: 'IPAddress', value: '192.0.2.20' }] },
};
const route = {
  metadata: { name: 'store', namespace: 'shop' },
  spec: { parentRefs: [{ name: 'edge', namespace: 'infra' }], hostnames: ['store.apps.example.test'] },
};
const loadBalancer = {
  metadata: { name: 'lb', namespace: 'shop', annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'lb.example.test' } },
  spec: { type: 'LoadBalancer', clusterIP: '10.96.0.50', ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: [{ ip: '198.51.100.5' }] } },
};

async function start(apiOptions: FakeKubeApiOptions = {}): Promise<{ api: FakeKubeApi; sink: RecordingSink; logs: string[] }> {
  const api = await startFakeKubeApi({ tokens: [TOKEN], ...apiOptions });
  cleanup.push(() => api.close());
  api.put('namespaces', namespace('shop'));
  api.put('namespaces', namespace('infra'));
  api.put('ingresses', ingress('192.0.2.10'));
  api.put('services', loadBalancer);
  if (apiOptions.gatewayApi !== false) {
    api.put('gateways', gateway);
    api.put('httproutes', route);
  }
  const logs: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, done) { logs.push(chunk.toString()); done(); } });
  const source = createKubernetesSource({
    connection: {
      server: api.url, description: 'test', certificateAuthority: { data: Buffer.from(api.caCert) }, insecureSkipTlsVerify: false,
      tlsServerName: undefined, clientCertificate: undefined, clientKey: undefined, credentials: { kind: 'token', token: TOKEN }, namespace: undefined,
    },
    pods: false,
    hosts: true,
    log: pino({ level: 'info' }, stream),
    timers: manualTimers(),
  });
  cleanup.push(() => source.stop());
  const sink = recordingSink();
  await source.start(sink);
  await pollUntil(() => (sink.syncedCount > 0 ? true : undefined));
  return { api, sink, logs };
}

function ask(sink: RecordingSink, name: string, type: number) {
  const registry = buildRegistry([...sink.objects.values()], { clusterDomain: 'cluster.local', ttl: 5, serial: 1, hosts: { zones: ['example.test'], defaultAddresses: ['127.0.0.1'] } }).registry;
  const resolve = createResolver(createRegistryRef(registry), { zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'], ingressZones: ['example.test'] });
  const query: Query = { id: 1, opcode: 0, recursionDesired: true, checkingDisabled: false, name, lowerName: name, type, class: RecordClass.IN, edns: undefined, transport: 'udp', client: { address: '127.0.0.1', port: 1 } };
  return answerText(resolve(query) as RecordsAnswer).answer;
}

describe('kubernetes source: hostnames from the live API', () => {
  it('discovers networking.k8s.io and gateway.networking.k8s.io, lists and watches their objects, and a status change is the next answer', async () => {
    const { api, sink } = await start();
    const listed = api.requests.filter((r) => !r.watch && r.resource).map((r) => r.path).sort();
    expect(listed).toEqual([
      '/api/v1/namespaces', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices',
      '/apis/gateway.networking.k8s.io/v1/gateways', '/apis/gateway.networking.k8s.io/v1/grpcroutes', '/apis/gateway.networking.k8s.io/v1/httproutes',
      '/apis/networking.k8s.io/v1/ingresses',
    ]);
    expect(ask(sink, 'shop.example.test', RecordType.A)).toEqual(['shop.example.test. 5 IN A 192.0.2.10']);
    expect(ask(sink, 'store.apps.example.test', RecordType.A)).toEqual(['store.apps.example.test. 5 IN A 192.0.2.20']);
    expect(ask(sink, 'lb.example.test', RecordType.A)).toEqual(['lb.example.test. 5 IN A 198.51.100.5']);
    expect(ask(sink, 'lb.shop.example.test', RecordType.A)).toEqual(['lb.shop.example.test. 5 IN A 198.51.100.5']);

    // The controller assigns a new address: a MODIFIED event; then it loses it (no address: --ingress-address).
    await pollUntil(() => (api.openWatches('ingresses') > 0 ? true : undefined));
    api.put('ingresses', ingress('192.0.2.11'));
    await pollUntil(() => (ask(sink, 'shop.example.test', RecordType.A)[0]?.endsWith('192.0.2.11') ? true : undefined));
    api.put('ingresses', ingress(undefined));
    await pollUntil(() => (ask(sink, 'shop.example.test', RecordType.A)[0]?.endsWith('127.0.0.1') ? true : undefined));
    api.delete('ingresses', 'shop', 'shop');
    await pollUntil(() => (sink.objects.has('ingress/shop/shop') ? undefined : true));
    expect(ask(sink, 'shop.example.test', RecordType.A)).toEqual([]);
  });

  it('a cluster without the Gateway API CRDs still serves Ingresses, and says Gateways are not watched', async () => {
    const { api, sink, logs } = await start({ gatewayApi: false });
    expect(api.requests.some((r) => r.path.includes('gateway.networking.k8s.io') && r.resource)).toBe(false);
    expect(ask(sink, 'shop.example.test', RecordType.A)).toEqual(['shop.example.test. 5 IN A 192.0.2.10']);
    expect(logs.join('')).toContain('no gateway.networking.k8s.io/v1 API; Gateway and route hostnames are not watched');
  });
});
