import { describe, expect, it } from 'vitest';
import { RecordClass, RecordType, type Query, type RecordsAnswer } from '../../../src/dns/types.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import type { PodMode } from '../../../src/resolver/cluster-answers.js';
import { answerText, type AnswerText } from '../../helpers/zone-text.js';
import { fixtureInput, fixtureRegistry } from './fixture-registry.js';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { parseCidr } from '../../../src/dns/cidr.js';
import { reverseName } from '../../../src/dns/ip.js';
import { DEFAULT_POD_CIDRS, DEFAULT_SERVICE_CIDRS } from '../../../src/options.js';

const SOA = 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5';

function query(name: string, type: number, qclass: number = RecordClass.IN): Query {
  return {
    id: 1, opcode: 0, recursionDesired: true, checkingDisabled: false, name, lowerName: name.toLowerCase(),
    type, class: qclass, edns: undefined, transport: 'udp', client: { address: '127.0.0.1', port: 5353 },
  };
}

async function ask(name: string, type: number, podMode: PodMode = 'insecure', qclass: number = RecordClass.IN): Promise<AnswerText> {
  const resolve = createResolver(createRegistryRef(fixtureRegistry()), {
    zone: 'cluster.local', podMode, defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'],
  });
  const answer = await resolve(query(name, type, qclass));
  expect(answer.kind).toBe('records');
  return answerText(answer as RecordsAnswer);
}

const ok = (answer: string[], additional: string[] = []): AnswerText => ({ rcode: 'NOERROR', aa: true, answer, authority: [], additional });
const nodata = (answer: string[] = []): AnswerText => ({ rcode: 'NOERROR', aa: true, answer, authority: [SOA], additional: [] });
const nx: AnswerText = { rcode: 'NXDOMAIN', aa: true, answer: [], authority: [SOA], additional: [] };
const { A, AAAA, SRV, PTR, TXT, CNAME, SOA: SOAT, NS, ANY, MX, AXFR, IXFR } = { ...RecordType, MX: 15 };

describe('cluster zone answers (Kubernetes DNS spec 1.1.0)', () => {
  const table: [string, number, AnswerText][] = [
    // 2.3.1 ClusterIP A/AAAA, dual-stack, NODATA for the missing family.
    ['web.shop.svc.cluster.local', A, ok(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['WEB.Shop.SVC.cluster.local', A, ok(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['web.shop.svc.cluster.local', AAAA, nodata()],
    ['web.shop.svc.cluster.local', MX, nodata()],
    ['api.shop.svc.cluster.local', AAAA, ok(['api.shop.svc.cluster.local. 5 IN AAAA fd00::11'])],
    ['api.shop.svc.cluster.local', ANY, ok(['api.shop.svc.cluster.local. 5 IN A 10.96.0.11', 'api.shop.svc.cluster.local. 5 IN AAAA fd00::11', 'api.shop.svc.cluster.local. 5 IN SRV 0 100 443 api.shop.svc.cluster.local.'])],
    // 2.3.2 SRV for named ports, target the service, addresses in additional; case-insensitive.
    ['_http._tcp.web.shop.svc.cluster.local', SRV, ok(['_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.'], ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['_DNS._UDP.web.shop.svc.cluster.local', SRV, ok(['_dns._udp.web.shop.svc.cluster.local. 5 IN SRV 0 100 53 web.shop.svc.cluster.local.'], ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['_https._tcp.api.shop.svc.cluster.local', SRV, ok(['_https._tcp.api.shop.svc.cluster.local. 5 IN SRV 0 100 443 api.shop.svc.cluster.local.'], ['api.shop.svc.cluster.local. 5 IN A 10.96.0.11', 'api.shop.svc.cluster.local. 5 IN AAAA fd00::11'])],
    ['_http._tcp.web.shop.svc.cluster.local', A, nodata()],
    // SRV on the bare service name (as CoreDNS): one per port, named or not; ClusterIP → the service.
    ['web.shop.svc.cluster.local', SRV, ok([
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 53 web.shop.svc.cluster.local.',
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 80 web.shop.svc.cluster.local.',
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 9090 web.shop.svc.cluster.local.',
    ], ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['api.shop.svc.cluster.local', SRV, ok(['api.shop.svc.cluster.local. 5 IN SRV 0 100 443 api.shop.svc.cluster.local.'], ['api.shop.svc.cluster.local. 5 IN A 10.96.0.11', 'api.shop.svc.cluster.local. 5 IN AAAA fd00::11'])],
    // … headless → one per ready endpoint and port, target the endpoint name, its addresses in additional.
    ['db.shop.svc.cluster.local', SRV, ok([
      'db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 10-244-1-11.db.shop.svc.cluster.local.',
      'db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.shop.svc.cluster.local.',
    ], [
      '10-244-1-11.db.shop.svc.cluster.local. 5 IN A 10.244.1.11',
      'db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10',
      'db-0.db.shop.svc.cluster.local. 5 IN AAAA fd00::10',
    ])],
    ['idle.shop.svc.cluster.local', SRV, nx],
    ['payments.shop.svc.cluster.local', SRV, ok(['payments.shop.svc.cluster.local. 5 IN CNAME payments.example.org.'])],
    ['_tcp.web.shop.svc.cluster.local', SRV, nodata()],
    ['_http._udp.web.shop.svc.cluster.local', SRV, nx],
    ['_nope._tcp.web.shop.svc.cluster.local', SRV, nx],
    // Endpoint names exist for ClusterIP services too (as CoreDNS answers).
    ['10-244-2-5.web.shop.svc.cluster.local', A, ok(['10-244-2-5.web.shop.svc.cluster.local. 5 IN A 10.244.2.5'])],
    // 2.4 headless: ready endpoints only, hostnames or dashed IPs, dual-stack by hostname.
    ['db.shop.svc.cluster.local', A, ok(['db.shop.svc.cluster.local. 5 IN A 10.244.1.10', 'db.shop.svc.cluster.local. 5 IN A 10.244.1.11'])],
    ['db.shop.svc.cluster.local', AAAA, ok(['db.shop.svc.cluster.local. 5 IN AAAA fd00::10'])],
    ['db-0.db.shop.svc.cluster.local', A, ok(['db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10'])],
    ['db-0.db.shop.svc.cluster.local', AAAA, ok(['db-0.db.shop.svc.cluster.local. 5 IN AAAA fd00::10'])],
    ['10-244-1-11.db.shop.svc.cluster.local', A, ok(['10-244-1-11.db.shop.svc.cluster.local. 5 IN A 10.244.1.11'])],
    ['db-2.db.shop.svc.cluster.local', A, nx],
    ['_postgres._tcp.db.shop.svc.cluster.local', SRV, ok([
      '_postgres._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 10-244-1-11.db.shop.svc.cluster.local.',
      '_postgres._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.shop.svc.cluster.local.',
    ], [
      '10-244-1-11.db.shop.svc.cluster.local. 5 IN A 10.244.1.11',
      'db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10',
      'db-0.db.shop.svc.cluster.local. 5 IN AAAA fd00::10',
    ])],
    // Headless without ready endpoints: NXDOMAIN (spec 2.4.1), for every type and below it.
    ['idle.shop.svc.cluster.local', A, nx],
    ['idle.shop.svc.cluster.local', AAAA, nx],
    ['_http._tcp.idle.shop.svc.cluster.local', SRV, nx],
    // 2.5 ExternalName: CNAME for any type; an in-zone target is followed.
    ['payments.shop.svc.cluster.local', A, ok(['payments.shop.svc.cluster.local. 5 IN CNAME payments.example.org.'])],
    ['payments.shop.svc.cluster.local', CNAME, ok(['payments.shop.svc.cluster.local. 5 IN CNAME payments.example.org.'])],
    ['alias.shop.svc.cluster.local', A, ok(['alias.shop.svc.cluster.local. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
    ['alias.shop.svc.cluster.local', AAAA, nodata(['alias.shop.svc.cluster.local. 5 IN CNAME web.shop.svc.cluster.local.'])],
    // Structure: apex, svc, namespaces, dns-version, NS host.
    ['cluster.local', SOAT, ok([SOA])],
    ['cluster.local', NS, ok(['cluster.local. 5 IN NS ns.dns.cluster.local.'], ['ns.dns.cluster.local. 5 IN A 127.0.0.1'])],
    ['cluster.local', A, nodata()],
    ['svc.cluster.local', A, nodata()],
    ['shop.svc.cluster.local', A, nodata()],
    ['empty.svc.cluster.local', A, nodata()],
    ['default.svc.cluster.local', A, nodata()],
    ['kube-system.svc.cluster.local', A, nodata()],
    ['nowhere.svc.cluster.local', A, nx],
    ['web.nowhere.svc.cluster.local', A, nx],
    ['nope.shop.svc.cluster.local', A, nx],
    ['x.web.shop.svc.cluster.local', A, nx],
    ['foo.cluster.local', A, nx],
    // CoreDNS gives the schema version a long TTL (28800 s): it changes with the server, not the data.
    ['dns-version.cluster.local', TXT, ok(['dns-version.cluster.local. 28800 IN TXT "1.1.0"'])],
    ['dns-version.cluster.local', A, nodata()],
    ['dns.cluster.local', A, nodata()],
    ['ns.dns.cluster.local', A, ok(['ns.dns.cluster.local. 5 IN A 127.0.0.1'])],
    ['ns.dns.cluster.local', AAAA, nodata()],
    // 2.6 pod names (insecure): any address in an existing namespace.
    ['10-244-9-9.shop.pod.cluster.local', A, ok(['10-244-9-9.shop.pod.cluster.local. 5 IN A 10.244.9.9'])],
    ['10-244-9-9.shop.pod.cluster.local', AAAA, nodata()],
    ['fd00--9.shop.pod.cluster.local', AAAA, ok(['fd00--9.shop.pod.cluster.local. 5 IN AAAA fd00::9'])],
    ['10-244-9-999.shop.pod.cluster.local', A, nx],
    ['10-244-9-9.nowhere.pod.cluster.local', A, nx],
    ['pod.cluster.local', A, nodata()],
    ['shop.pod.cluster.local', A, nodata()],
  ];

  it.each(table)('%s type %i', async (name, type, expected) => {
    expect(await ask(name, type)).toEqual(expected);
  });
});

describe('pod modes', () => {
  it('verified answers only known pod IPs', async () => {
    expect(await ask('10-244-2-5.shop.pod.cluster.local', A, 'verified')).toEqual(ok(['10-244-2-5.shop.pod.cluster.local. 5 IN A 10.244.2.5']));
    expect(await ask('10-244-9-9.shop.pod.cluster.local', A, 'verified')).toEqual(nx);
    expect(await ask('10-244-2-5.default.pod.cluster.local', A, 'verified')).toEqual(nx);
  });
  it('disabled serves no pod names, but pod.<zone> still exists (NODATA) as in every mode', async () => {
    expect(await ask('10-244-2-5.shop.pod.cluster.local', A, 'disabled')).toEqual(nx);
    expect(await ask('shop.pod.cluster.local', A, 'disabled')).toEqual(nx);
    for (const mode of ['disabled', 'insecure', 'verified'] as const) {
      expect(await ask('pod.cluster.local', A, mode), mode).toEqual(nodata());
      expect(await ask('pod.cluster.local', TXT, mode), mode).toEqual(nodata());
    }
  });
});

describe('reverse names', () => {
  it.each([
    ['10.0.96.10.in-addr.arpa', ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.']],
    ['10.1.244.10.in-addr.arpa', ['10.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.shop.svc.cluster.local.']],
    ['5.2.244.10.in-addr.arpa', ['5.2.244.10.in-addr.arpa. 5 IN PTR 10-244-2-5.web.shop.svc.cluster.local.']],
    ['1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', ['1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 5 IN PTR api.shop.svc.cluster.local.']],
  ])('%s PTR', async (name, answer) => {
    expect(await ask(name, PTR)).toEqual(ok(answer));
  });
  it('unknown and not-ready addresses pass on (REFUSED with forwarding off)', async () => {
    expect((await ask('12.1.244.10.in-addr.arpa', PTR)).rcode).toBe('REFUSED');
    expect((await ask('9.9.9.9.in-addr.arpa', PTR)).rcode).toBe('REFUSED');
  });
});

describe('short forms (server-side search path, autopath style)', () => {
  const cname = (from: string, to: string) => `${from}. 5 IN CNAME ${to}.`;
  it.each([
    ['web', A, [cname('web', 'web.shop.svc.cluster.local'), 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10']],
    ['web.shop', A, [cname('web.shop', 'web.shop.svc.cluster.local'), 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10']],
    ['web.shop.svc', A, [cname('web.shop.svc', 'web.shop.svc.cluster.local'), 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10']],
    ['kubernetes.default', A, [cname('kubernetes.default', 'kubernetes.default.svc.cluster.local'), 'kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1']],
    ['db-0.db.shop', A, [cname('db-0.db.shop', 'db-0.db.shop.svc.cluster.local'), 'db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10']],
    ['payments.shop', A, [cname('payments.shop', 'payments.shop.svc.cluster.local'), 'payments.shop.svc.cluster.local. 5 IN CNAME payments.example.org.']],
    ['10-1-2-3.shop.pod', A, [cname('10-1-2-3.shop.pod', '10-1-2-3.shop.pod.cluster.local'), '10-1-2-3.shop.pod.cluster.local. 5 IN A 10.1.2.3']],
  ])('%s', async (name, type, answer) => {
    expect(await ask(name, type)).toEqual({ rcode: 'NOERROR', aa: false, answer, authority: [], additional: [] });
  });
  it('SRV short form keeps the additional section', async () => {
    expect(await ask('_http._tcp.web.shop', SRV)).toEqual({
      rcode: 'NOERROR', aa: false,
      answer: [cname('_http._tcp.web.shop', '_http._tcp.web.shop.svc.cluster.local'), '_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.'],
      authority: [], additional: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'],
    });
  });
  it('NODATA at the target keeps the CNAME and the SOA', async () => {
    expect(await ask('web.shop', AAAA)).toEqual({ rcode: 'NOERROR', aa: false, answer: [cname('web.shop', 'web.shop.svc.cluster.local')], authority: [SOA], additional: [] });
  });
  it('misses and structural names are not captured', async () => {
    for (const name of ['nope', 'shop', 'svc', 'example.org', 'web.nowhere', 'idle.shop', 'dns-version']) {
      expect((await ask(name, A)).rcode, name).toBe('REFUSED');
    }
  });
});

describe('guard', () => {
  it('refuses non-IN classes and zone transfers, NOTIMP for mailbox meta types', async () => {
    expect((await ask('web.shop.svc.cluster.local', A, 'insecure', 3)).rcode).toBe('REFUSED');
    expect((await ask('cluster.local', AXFR)).rcode).toBe('REFUSED');
    expect((await ask('cluster.local', IXFR)).rcode).toBe('REFUSED');
    expect((await ask('cluster.local', 254)).rcode).toBe('NOTIMP');
  });
  it('answers SERVFAIL, never NXDOMAIN, for the zone before the first registry', async () => {
    const resolve = createResolver(createRegistryRef(), { zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'default', nameServerAddresses: [] });
    const answer = (await resolve(query('web.shop.svc.cluster.local', A))) as RecordsAnswer;
    expect(answer.rcode).toBe(2);
    expect(answer.extendedError?.code).toBe(14);
  });
});

describe('CNAME chains inside the zone (RFC 1034 §3.6.2, §4.3.2)', () => {
  /** ExternalName services `<from> → <to>` in namespace `shop`, next to the fixture. */
  async function askChain(links: [string, string][], name: string, type: number): Promise<AnswerText> {
    const origin = { file: 'chain.yaml', line: 1 };
    const services = links.map(([from, to]) => ({
      namespace: 'shop', name: from, kind: 'ExternalName' as const, clusterIPs: [], externalName: to, ports: [], publishNotReadyAddresses: false, origin,
    }));
    const registry = buildRegistry([fixtureInput, { namespaces: [], services, endpointGroups: [], pods: [] }], { clusterDomain: 'cluster.local', ttl: 5, serial: 42 }).registry;
    const resolve = createResolver(createRegistryRef(registry), { zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: [] });
    return answerText((await resolve(query(name, type))) as RecordsAnswer);
  }
  const svc = (n: string | number) => `c${n}.shop.svc.cluster.local`;
  const servfail = { rcode: 'SERVFAIL', aa: false, answer: [], authority: [], additional: [] };

  it('follows a chain of 8 to the end', async () => {
    const links: [string, string][] = Array.from({ length: 8 }, (_, i) => [`c${i}`, i === 7 ? 'web.shop.svc.cluster.local' : svc(i + 1)]);
    const answer = links.map(([from, to]) => `${from}.shop.svc.cluster.local. 5 IN CNAME ${to}.`);
    expect(await askChain(links, svc(0), A)).toEqual(ok([...answer, 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10']));
  });
  it('answers SERVFAIL for a chain longer than 8', async () => {
    const links: [string, string][] = Array.from({ length: 9 }, (_, i) => [`c${i}`, i === 8 ? 'web.shop.svc.cluster.local' : svc(i + 1)]);
    expect(await askChain(links, svc(0), A)).toEqual(servfail);
    // The CNAME itself is still there for whoever asks for it.
    expect(await askChain(links, svc(0), CNAME)).toEqual(ok([`${svc(0)}. 5 IN CNAME ${svc(1)}.`]));
  });
  it.each([
    ['a name to itself', [['c0', svc(0)]] as [string, string][]],
    ['two names to each other', [['c0', svc(1)], ['c1', svc(0)]] as [string, string][]],
    ['a loop further down', [['c0', svc(1)], ['c1', svc(2)], ['c2', svc(1)]] as [string, string][]],
  ])('answers SERVFAIL for a loop: %s', async (_, links) => {
    expect(await askChain(links, svc(0), A)).toEqual(servfail);
    expect(await askChain(links, svc(0), AAAA)).toEqual(servfail);
  });
});

describe('reverse zones of --service-cidr and --pod-cidr (CoreDNS CIDR zones)', () => {
  const cidrs = [...DEFAULT_SERVICE_CIDRS, ...DEFAULT_POD_CIDRS].map((c) => parseCidr(c)!);
  async function askReverse(name: string, type: number): Promise<AnswerText> {
    const resolve = createResolver(createRegistryRef(fixtureRegistry()), {
      zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'], reverseCidrs: cidrs,
    });
    return answerText((await resolve(query(name, type))) as RecordsAnswer);
  }
  const soaOf = (apex: string) => `${apex}. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5`;
  const nxIn = (apex: string): AnswerText => ({ rcode: 'NXDOMAIN', aa: true, answer: [], authority: [soaOf(apex)], additional: [] });
  const nodataIn = (apex: string): AnswerText => ({ rcode: 'NOERROR', aa: true, answer: [], authority: [soaOf(apex)], additional: [] });
  const refusedText: AnswerText = { rcode: 'REFUSED', aa: false, answer: [], authority: [], additional: [] };
  // fd00:10:96::/108 is one zone of 27 nibbles.
  const v6Apex = reverseName('fd00:10:96::').split('.').slice(5).join('.');
  const table: [string, string, number, AnswerText][] = [
    ['a known ClusterIP', '10.0.96.10.in-addr.arpa', PTR, ok(['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'])],
    ['a known endpoint IP', '5.2.244.10.in-addr.arpa', PTR, ok(['5.2.244.10.in-addr.arpa. 5 IN PTR 10-244-2-5.web.shop.svc.cluster.local.'])],
    ['an unknown service address', '99.0.96.10.in-addr.arpa', PTR, nxIn('96.10.in-addr.arpa')],
    ['an unknown address in the last /16 of the /12', '5.5.111.10.in-addr.arpa', PTR, nxIn('111.10.in-addr.arpa')],
    ['an unknown pod address', '12.1.244.10.in-addr.arpa', PTR, nxIn('244.10.in-addr.arpa')],
    ['a known address asked for another type', '10.0.96.10.in-addr.arpa', A, nodataIn('96.10.in-addr.arpa')],
    ['an empty non-terminal above known addresses', '0.96.10.in-addr.arpa', PTR, nodataIn('96.10.in-addr.arpa')],
    ['an empty non-terminal in the pod range', '1.244.10.in-addr.arpa', TXT, nodataIn('244.10.in-addr.arpa')],
    ['a branch with no known address', '7.96.10.in-addr.arpa', PTR, nxIn('96.10.in-addr.arpa')],
    ['a label that is no octet', 'x.0.96.10.in-addr.arpa', PTR, nxIn('96.10.in-addr.arpa')],
    ['more labels than an address has', '1.10.0.96.10.in-addr.arpa', PTR, nxIn('96.10.in-addr.arpa')],
    ['the zone apex SOA', '96.10.in-addr.arpa', SOAT, ok([soaOf('96.10.in-addr.arpa')])],
    ['the zone apex NS', '244.10.in-addr.arpa', NS, ok(['244.10.in-addr.arpa. 5 IN NS ns.dns.cluster.local.'], ['ns.dns.cluster.local. 5 IN A 127.0.0.1'])],
    ['the zone apex, other types', '96.10.in-addr.arpa', PTR, nodataIn('96.10.in-addr.arpa')],
    ['an unknown IPv6 service address', reverseName('fd00:10:96::5'), PTR, nxIn(v6Apex)],
    // Outside the ranges: known addresses are still answered, the rest is someone else's (REFUSED here: no upstream).
    ['a known address outside the ranges', reverseName('fd00::11'), PTR, ok([`${reverseName('fd00::11')}. 5 IN PTR api.shop.svc.cluster.local.`])],
    ['an unknown address just past the /12', '5.5.112.10.in-addr.arpa', PTR, refusedText],
    ['an unknown address elsewhere', '9.9.9.9.in-addr.arpa', PTR, refusedText],
    ['a name above the zones', '10.in-addr.arpa', SOAT, refusedText],
    ['an unknown IPv6 address elsewhere', reverseName('2001:db8::1'), PTR, refusedText],
  ];
  it.each(table)('%s: %s %i', async (_, name, type, expected) => {
    expect(await askReverse(name, type)).toEqual(expected);
  });
});
