// Ingress, Gateway API and LoadBalancer hostnames: manifests → host index → whole answers, diagnostics, records and explain.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecordClass, RecordType, type Query, type RecordsAnswer } from '../../../src/dns/types.js';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { explainName } from '../../../src/resolver/explain.js';
import { formatHostsFile, listRecords } from '../../../src/resolver/list-records.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';
import { answerText, type AnswerText } from '../../helpers/zone-text.js';

const FILE = 'test/fixtures/ingress/hosts.yaml';
const converted = convertRegistryText(FILE, readFileSync(FILE, 'utf8'));
const hosts = { zones: ['example.test'], defaultAddresses: ['127.0.0.1'] };
const built = buildRegistry([converted.input], { clusterDomain: 'cluster.local', ttl: 5, serial: 7, hosts });
const registry = built.registry;
const resolve = createResolver(createRegistryRef(registry), {
  zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'], ingressZones: ['example.test'],
});

function ask(name: string, type: number): AnswerText {
  const query: Query = {
    id: 1, opcode: 0, recursionDesired: true, checkingDisabled: false, name, lowerName: name.toLowerCase(), type, class: RecordClass.IN,
    edns: undefined, transport: 'udp', client: { address: '127.0.0.1', port: 5353 },
  };
  return answerText(resolve(query) as RecordsAnswer);
}

const SOA = 'example.test. 5 IN SOA ns.dns.example.test. hostmaster.example.test. 7 7200 1800 86400 5';
const ok = (answer: string[], additional: string[] = []): AnswerText => ({ rcode: 'NOERROR', aa: true, answer, authority: [], additional });
const nodata: AnswerText = { rcode: 'NOERROR', aa: true, answer: [], authority: [SOA], additional: [] };
const nx: AnswerText = { rcode: 'NXDOMAIN', aa: true, answer: [], authority: [SOA], additional: [] };
const refused: AnswerText = { rcode: 'REFUSED', aa: false, answer: [], authority: [], additional: [] };
const { A, AAAA, CNAME, SOA: SOAT, NS, MX, ANY } = { ...RecordType, MX: 15 };

describe('hostnames inside --ingress-zones (k8s_gateway behaviour)', () => {
  const table: [string, number, AnswerText][] = [
    // Ingress spec.rules[].host with status.loadBalancer.ingress ip → A and AAAA.
    ['shop.example.test', A, ok(['shop.example.test. 5 IN A 192.0.2.10'])],
    ['SHOP.Example.Test', AAAA, ok(['shop.example.test. 5 IN AAAA 2001:db8::10'])],
    ['shop.example.test', ANY, ok(['shop.example.test. 5 IN A 192.0.2.10', 'shop.example.test. 5 IN AAAA 2001:db8::10'])],
    ['shop.example.test', MX, nodata],
    // spec.tls[].hosts.
    ['secure.example.test', A, ok(['secure.example.test. 5 IN A 192.0.2.10'])],
    // A wildcard host matches exactly one label; the name above it exists without data.
    ['pr-7.preview.example.test', A, ok(['pr-7.preview.example.test. 5 IN A 192.0.2.10'])],
    ['a.pr-7.preview.example.test', A, nx],
    ['preview.example.test', A, nodata],
    // Written without status: --ingress-address.
    ['admin.example.test', A, ok(['admin.example.test. 5 IN A 127.0.0.1'])],
    ['admin.example.test', AAAA, nodata],
    // Gateway listener hostname (wildcard) with status.addresses; routes attached through parentRefs.
    ['anything.apps.example.test', A, ok(['anything.apps.example.test. 5 IN A 192.0.2.20'])],
    ['store.apps.example.test', A, ok(['store.apps.example.test. 5 IN A 192.0.2.20'])],
    ['rpc.example.test', A, ok(['rpc.example.test. 5 IN A 192.0.2.20'])],
    ['apps.example.test', A, nodata],
    // The route's sectionName listener (*.apps.example.test) does not admit store.example.test; an unknown Gateway gives nothing.
    ['store.example.test', A, nx],
    ['orphan.example.test', A, nx],
    ['blocked.example.test', A, nx],
    // LoadBalancer status hostname → CNAME, for every type; external-dns annotation and <name>.<namespace>.<zone>.
    ['lb.example.test', A, ok(['lb.example.test. 5 IN CNAME elb-123.elb.example.net.'])],
    ['api.example.test', AAAA, ok(['api.example.test. 5 IN CNAME elb-123.elb.example.net.'])],
    ['lb2.example.test', A, ok(['lb2.example.test. 5 IN CNAME elb-123.elb.example.net.'])],
    ['lb.shop.example.test', CNAME, ok(['lb.shop.example.test. 5 IN CNAME elb-123.elb.example.net.'])],
    ['shop.example.test', CNAME, nodata],
    // The zone itself: authoritative SOA and NS, NXDOMAIN below it.
    ['example.test', SOAT, ok([SOA])],
    ['example.test', NS, ok(['example.test. 5 IN NS ns.dns.example.test.'], ['ns.dns.example.test. 5 IN A 127.0.0.1'])],
    ['example.test', A, nodata],
    ['ns.dns.example.test', A, ok(['ns.dns.example.test. 5 IN A 127.0.0.1'])],
    ['nope.example.test', A, nx],
    // Never a name outside the zones: outside.example.org is not served (REFUSED here, forwarding off).
    ['outside.example.org', A, refused],
    // The cluster zone is untouched: the LoadBalancer Service still answers its ClusterIP there.
    ['lb.shop.svc.cluster.local', A, ok(['lb.shop.svc.cluster.local. 5 IN A 10.96.0.50'])],
  ];
  it.each(table)('%s type %i', (name, type, expected) => {
    expect(ask(name, type)).toEqual(expected);
  });

  it('says what it left out, file:line: field: message, and the manifests themselves are valid', () => {
    expect(converted.diagnostics.map(formatDiagnostic)).toEqual([]);
    // Lines are each object's first line; the field names the part at fault.
    expect(built.diagnostics.map(formatDiagnostic)).toEqual([
      `${FILE}:83: warning: spec.hostnames: HTTPRoute shop/store: host "store.example.test" matches no listener of Gateway infra/edge (sectionName https); not served through it`,
      `${FILE}:107: warning: spec.parentRefs: HTTPRoute shop/blocked: Gateway infra/edge admits routes of namespace infra only (listener allowedRoutes.namespaces.from: Same, the default); not served through it`,
      `${FILE}:116: warning: spec.parentRefs: HTTPRoute shop/orphan: Gateway shop/missing is not in the registry; this HTTPRoute's hostnames are not served through it`,
      `${FILE}:34: warning: Ingress shop/admin: host "outside.example.org" is outside --ingress-zones (example.test); not served`,
      `${FILE}:45: warning: Ingress other/shop-copy: host "shop.example.test" is also claimed by Ingress shop/shop (${FILE}:3), which wins (created earlier); this Ingress is not served for it`,
    ]);
  });

  it('records lists every host, marking the ones answered with --ingress-address; the hosts file leaves wildcards out', () => {
    const rows = listRecords(registry, { podMode: 'insecure', nameServerAddresses: ['127.0.0.1'] }).filter((r) => r.name.endsWith('example.test.'));
    expect(rows.map((r) => `${r.name} ${r.type} ${r.data}${r.note ? ` ; ${r.note}` : ''}`)).toEqual([
      'example.test. SOA ns.dns.example.test. hostmaster.example.test. 7 7200 1800 86400 5',
      'example.test. NS ns.dns.example.test.',
      'ns.dns.example.test. A 127.0.0.1',
      '*.apps.example.test. A 192.0.2.20',
      '*.preview.example.test. A 192.0.2.10',
      '*.preview.example.test. AAAA 2001:db8::10',
      'admin.example.test. A 127.0.0.1 ; ingress-address',
      'api.example.test. CNAME elb-123.elb.example.net.',
      'lb.example.test. CNAME elb-123.elb.example.net.',
      'lb.shop.example.test. CNAME elb-123.elb.example.net.',
      'lb2.example.test. CNAME elb-123.elb.example.net.',
      'rpc.example.test. A 192.0.2.20',
      'secure.example.test. A 192.0.2.10',
      'secure.example.test. AAAA 2001:db8::10',
      'shop.example.test. A 192.0.2.10',
      'shop.example.test. AAAA 2001:db8::10',
      'store.apps.example.test. A 192.0.2.20',
    ]);
    expect(formatHostsFile(rows).split('\n').filter((l) => l.includes('example.test'))).toEqual([
      '127.0.0.1\tns.dns.example.test admin.example.test',
      '192.0.2.20\trpc.example.test store.apps.example.test',
      '192.0.2.10\tsecure.example.test shop.example.test',
      '2001:db8::10\tsecure.example.test shop.example.test',
    ]);
  });

  it('explain names the object that published a host, its Gateway, a wildcard, and --ingress-address', () => {
    const options = { podMode: 'insecure' as const, nameServerAddresses: ['127.0.0.1'], defaultNamespace: 'default', upstreams: 'none' as const, ingressZones: ['example.test'] };
    const store = explainName(registry, options, 'store.apps.example.test', 'A');
    expect(store).toMatchObject({
      rcode: 'NOERROR', rule: 'ingress-host', answer: ['store.apps.example.test. 5 IN A 192.0.2.20'],
      reason: 'host published by HTTPRoute shop/store, attached to Gateway infra/edge whose addresses it answers with; its status addresses',
      objects: [{ kind: 'HTTPRoute', namespace: 'shop', name: 'store', origin: `${FILE}:83`, detail: 'store.apps.example.test → 192.0.2.20' }],
    });
    expect(explainName(registry, options, 'pr-1.preview.example.test', 'A').reason).toBe('host published by Ingress shop/shop through the wildcard *.preview.example.test (one label); its status addresses');
    const admin = explainName(registry, options, 'admin.example.test', 'A');
    expect(admin.reason).toBe('host published by Ingress shop/admin; the object has no address in its status (written without one, or no controller yet), so it answers --ingress-address');
    expect(admin.objects[0]?.detail).toBe('admin.example.test → --ingress-address (no status)');
    const missing = explainName(registry, options, 'shpo.example.test', 'A');
    expect(missing).toMatchObject({ rcode: 'NXDOMAIN', rule: 'not-found', authority: [SOA] });
    expect(missing.hints.map((h) => h.name)).toContain('shop.example.test.');
  });
});

describe('without --ingress-zones', () => {
  it('serves no hostname and says so once per object', () => {
    const none = buildRegistry([converted.input], { clusterDomain: 'cluster.local', ttl: 5, serial: 7 });
    expect(none.registry.hosts?.hosts.size).toBe(0);
    expect(none.diagnostics.map(formatDiagnostic)).toContain(`${FILE}:34: warning: Ingress shop/admin: Ingress hostnames are served only inside --ingress-zones (none given); not served`);
  });
});
