// Extra cluster zones (--cluster-domain cluster.local,cluster.internal): every name answered in each, names moved to the zone asked.
import { describe, expect, it } from 'vitest';
import { RecordClass, RecordType, type Query, type RecordsAnswer } from '../../../src/dns/types.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { explainName } from '../../../src/resolver/explain.js';
import { answerText, type AnswerText } from '../../helpers/zone-text.js';
import { fixtureRegistry } from './fixture-registry.js';

const registry = fixtureRegistry();
const resolve = createResolver(createRegistryRef(registry), {
  zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'], clusterAliases: ['cluster.internal'],
});
function ask(name: string, type: number): AnswerText {
  const q: Query = { id: 1, opcode: 0, recursionDesired: true, checkingDisabled: false, name, lowerName: name.toLowerCase(), type, class: RecordClass.IN, edns: undefined, transport: 'udp', client: { address: '127.0.0.1', port: 1 } };
  return answerText(resolve(q) as RecordsAnswer);
}
const SOA = 'cluster.internal. 5 IN SOA ns.dns.cluster.internal. hostmaster.cluster.internal. 42 7200 1800 86400 5';
const ok = (answer: string[], additional: string[] = []): AnswerText => ({ rcode: 'NOERROR', aa: true, answer, authority: [], additional });
const { A, SRV, SOA: SOAT, NS, TXT, AAAA } = RecordType;

describe('an alias cluster zone', () => {
  it.each([
    ['web.shop.svc.cluster.internal', A, ok(['web.shop.svc.cluster.internal. 5 IN A 10.96.0.10'])],
    ['_http._tcp.web.shop.svc.cluster.internal', SRV, ok(['_http._tcp.web.shop.svc.cluster.internal. 5 IN SRV 0 100 80 web.shop.svc.cluster.internal.'], ['web.shop.svc.cluster.internal. 5 IN A 10.96.0.10'])],
    ['db-0.db.shop.svc.cluster.internal', AAAA, ok(['db-0.db.shop.svc.cluster.internal. 5 IN AAAA fd00::10'])],
    // An in-zone CNAME target is followed and named in the zone asked; an external one stays as it is.
    ['alias.shop.svc.cluster.internal', A, ok(['alias.shop.svc.cluster.internal. 5 IN CNAME web.shop.svc.cluster.internal.', 'web.shop.svc.cluster.internal. 5 IN A 10.96.0.10'])],
    ['payments.shop.svc.cluster.internal', A, ok(['payments.shop.svc.cluster.internal. 5 IN CNAME payments.example.org.'])],
    ['10-244-9-9.shop.pod.cluster.internal', A, ok(['10-244-9-9.shop.pod.cluster.internal. 5 IN A 10.244.9.9'])],
    ['dns-version.cluster.internal', TXT, ok(['dns-version.cluster.internal. 28800 IN TXT "1.1.0"'])],
    ['cluster.internal', SOAT, ok([SOA])],
    ['cluster.internal', NS, ok(['cluster.internal. 5 IN NS ns.dns.cluster.internal.'], ['ns.dns.cluster.internal. 5 IN A 127.0.0.1'])],
    ['nope.shop.svc.cluster.internal', A, { rcode: 'NXDOMAIN', aa: true, answer: [], authority: [SOA], additional: [] }],
    ['web.shop.svc.cluster.internal', AAAA, { rcode: 'NOERROR', aa: true, answer: [], authority: [SOA], additional: [] }],
    // The first zone is unchanged.
    ['web.shop.svc.cluster.local', A, ok(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'])],
  ])('%s type %i', (name, type, expected) => {
    expect(ask(name, type)).toEqual(expected);
  });

  it('explain answers in the alias and says which name of the first zone it is', () => {
    const e = explainName(registry, { podMode: 'insecure', nameServerAddresses: ['127.0.0.1'], defaultNamespace: 'shop', upstreams: 'none', clusterAliases: ['cluster.internal'] }, 'web.shop.svc.cluster.internal', 'A');
    expect(e).toMatchObject({ rcode: 'NOERROR', rule: 'service', answer: ['web.shop.svc.cluster.internal. 5 IN A 10.96.0.10'] });
    expect(e.reason.startsWith('cluster.internal is another name of the cluster zone cluster.local: answered as web.shop.svc.cluster.local. — ')).toBe(true);
  });
});
