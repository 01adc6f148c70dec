/** The pod search path (kubelet's resolv.conf, glibc's order), which tried name a pod settles on, and dig's rendering. */
import { describe, expect, it } from 'vitest';
import { digText, podSearchCandidates, recordSources, settledStep } from '../../../src/resolver/explain-search.js';

describe('podSearchCandidates', () => {
  it.each([
    ['web', ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']],
    ['web.shop', ['web.shop.default.svc.cluster.local', 'web.shop.svc.cluster.local', 'web.shop.cluster.local', 'web.shop']],
    // ndots:5 — five dots or more is asked as is first.
    ['a.b.c.d.e.f', ['a.b.c.d.e.f', 'a.b.c.d.e.f.default.svc.cluster.local', 'a.b.c.d.e.f.svc.cluster.local', 'a.b.c.d.e.f.cluster.local']],
    // A trailing dot: absolute, no search.
    ['Example.ORG.', ['example.org']],
  ])('%s', (name, expected) => {
    expect(podSearchCandidates(name, 'default', 'cluster.local')).toEqual(expected);
  });
});

describe('settledStep', () => {
  it('is the first name with records, else the last name tried', () => {
    expect(settledStep([{ rcode: 'NXDOMAIN', answerCount: 0 }, { rcode: 'NOERROR', answerCount: 1 }, { rcode: 'NOERROR', answerCount: 1 }])).toBe(1);
    expect(settledStep([{ rcode: 'NXDOMAIN', answerCount: 0 }, { rcode: 'NODATA', answerCount: 0 }, { rcode: 'REFUSED', answerCount: 0 }])).toBe(2);
  });
});

describe('digText', () => {
  it('prints status, question, answer and authority as dig does, NODATA as NOERROR', () => {
    expect(digText('web.shop.svc.cluster.local.', 'TXT', 'NODATA', [], ['cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5'])).toBe(
      ';; ->>HEADER<<- opcode: QUERY, status: NOERROR\n;; flags: qr rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1\n\n;; QUESTION SECTION:\n;web.shop.svc.cluster.local.\t\tIN\tTXT\n\n;; AUTHORITY SECTION:\ncluster.local.\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5\n',
    );
  });
});

describe('recordSources', () => {
  it('names the endpoint group holding an address, else the service', () => {
    const service = { kind: 'Service' as const, namespace: 'shop', name: 'db', origin: 'zones/shop.yaml:8', detail: 'headless, 2 ready and 0 not-ready endpoint address(es)' };
    const group = { kind: 'Endpoints (native)' as const, namespace: 'shop', name: 'db', origin: 'zones/shop.yaml:11', detail: 'db-0=10.244.1.10, db-1=10.244.1.11' };
    expect(recordSources({ answer: ['db.shop.svc.cluster.local. 5 IN A 10.244.1.11', '_postgres._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.shop.svc.cluster.local.'], objects: [service, group] })).toEqual([
      { record: 'db.shop.svc.cluster.local. 5 IN A 10.244.1.11', object: group },
      { record: '_postgres._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.shop.svc.cluster.local.', object: service },
    ]);
    expect(recordSources({ answer: ['cluster.local. 5 IN NS ns.dns.cluster.local.'], objects: [] })).toEqual([{ record: 'cluster.local. 5 IN NS ns.dns.cluster.local.', object: undefined }]);
  });
});
