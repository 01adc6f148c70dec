/** explain: every rule and every NXDOMAIN hint, over the fixture registry (pure, no sockets). */
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { explainName, explainType, formatExplanation, type ExplainOptions } from '../../../src/resolver/explain.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';
import { fixtureRegistry } from './fixture-registry.js';

const registry = fixtureRegistry();
const forwarding: ExplainOptions = { podMode: 'insecure', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'], upstreams: ['192.0.2.53:53'] };
const refusing: ExplainOptions = { ...forwarding, upstreams: 'none' };
const explain = (name: string, type = 'A', options = forwarding) => explainName(registry, options, name, type);
const svcWeb = { kind: 'Service', namespace: 'shop', name: 'web', origin: 'fixture.yaml:1', detail: 'ClusterIP 10.96.0.10' };

describe('explain: the rule that answers', () => {
  it('service (ClusterIP): the object, its file:line and the whole answer', () => {
    const e = explain('Web.Shop.svc.cluster.local.');
    expect(e).toMatchObject({ name: 'web.shop.svc.cluster.local.', type: 'A', rcode: 'NOERROR', rule: 'service', answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'], hints: [] });
    expect(e.reason).toBe('service shop/web, a ClusterIP service: its cluster IPs (spec 2.3.1)');
    expect(e.objects[0]).toEqual(svcWeb);
    expect(e.objects[1]).toMatchObject({ kind: 'EndpointSlice', namespace: 'shop', name: 'web', detail: '10.244.2.5' });
  });

  it('service (headless) lists ready and not-ready endpoints', () => {
    const e = explain('db.shop.svc.cluster.local');
    expect(e).toMatchObject({ rcode: 'NOERROR', rule: 'service', answer: ['db.shop.svc.cluster.local. 5 IN A 10.244.1.10', 'db.shop.svc.cluster.local. 5 IN A 10.244.1.11'] });
    expect(e.objects[0]).toMatchObject({ kind: 'Service', detail: 'headless, 3 ready and 1 not-ready endpoint address(es)' });
    expect(e.objects[1]!.detail).toBe('db-0=10.244.1.10, 10.244.1.11, db-2=10.244.1.12 (not ready)');
  });

  it('service (ExternalName) follows an in-zone target', () => {
    const e = explain('alias.shop.svc.cluster.local');
    expect(e).toMatchObject({ rule: 'service', answer: ['alias.shop.svc.cluster.local. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'] });
    expect(e.reason).toContain('an ExternalName service: a CNAME to web.shop.svc.cluster.local.');
  });

  it('endpoint: the hostname of a ready endpoint, and the slice it came from', () => {
    const e = explain('db-0.db.shop.svc.cluster.local');
    expect(e).toMatchObject({ rcode: 'NOERROR', rule: 'endpoint', answer: ['db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10'] });
    expect(e.objects.map((o) => o.kind)).toEqual(['Service', 'EndpointSlice']);
  });

  it('SRV for a named port', () => {
    const e = explain('_http._tcp.web.shop.svc.cluster.local', 'srv');
    expect(e).toMatchObject({ type: 'SRV', rule: 'srv', answer: ['_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.'] });
    expect(e.reason).toBe('SRV for port _http over _tcp of service shop/web (spec 2.3.2/2.4.2)');
  });

  it('PTR: the reverse name and the object owning the address', () => {
    const e = explain('10.0.96.10.in-addr.arpa', 'PTR');
    expect(e).toMatchObject({ rcode: 'NOERROR', rule: 'ptr', answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'] });
    expect(e.objects[0]).toEqual(svcWeb);
  });

  it('short form: which search suffix, which cluster name, and that name\'s rule', () => {
    const e = explain('web.shop');
    expect(e).toMatchObject({
      rcode: 'NOERROR',
      rule: 'short-form',
      via: { suffix: 'svc.cluster.local', clusterName: 'web.shop.svc.cluster.local.', rule: 'service' },
      answer: ['web.shop. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'],
    });
    expect(explain('kubernetes').via).toEqual({ suffix: 'default.svc.cluster.local', clusterName: 'kubernetes.default.svc.cluster.local.', rule: 'service' });
  });

  it('pod record, with the pod that has the address', () => {
    const e = explain('10-244-2-5.shop.pod.cluster.local');
    expect(e).toMatchObject({ rcode: 'NOERROR', rule: 'pod', answer: ['10-244-2-5.shop.pod.cluster.local. 5 IN A 10.244.2.5'] });
    expect(e.objects).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'web-1', origin: 'fixture.yaml:1', detail: '10.244.2.5' }]);
  });

  it('zone names: apex, schema version, name server, and a structural name (NODATA)', () => {
    expect(explain('cluster.local', 'SOA').rule).toBe('zone-apex');
    expect(explain('dns-version.cluster.local', 'TXT')).toMatchObject({ rule: 'schema-version', answer: [expect.stringMatching(/^dns-version\.cluster\.local\. \d+ IN TXT "1\.1\.0"$/)] });
    expect(explain('ns.dns.cluster.local').rule).toBe('name-server');
    const structure = explain('shop.svc.cluster.local');
    expect(structure).toMatchObject({ rcode: 'NOERROR', rule: 'structure', answer: [] });
    expect(structure.authority[0]).toMatch(/^cluster\.local\. 5 IN SOA /);
  });

  it('NODATA says the name exists without that type', () => {
    expect(explain('web.shop.svc.cluster.local', 'AAAA').reason).toContain('the name exists, but has no AAAA records: NODATA');
  });

  it('forwarded, or refused when forwarding is off', () => {
    expect(explain('example.org')).toMatchObject({ rcode: 'FORWARDED', rule: 'forwarded', hints: [] });
    expect(explain('example.org').reason).toContain('forwarded to 192.0.2.53:53');
    expect(explain('example.org', 'A', refusing)).toMatchObject({ rcode: 'REFUSED', rule: 'refused' });
  });
});

describe('explain: why a name does not resolve', () => {
  it('a namespace one edit away', () => {
    const e = explain('web.shopp.svc.cluster.local');
    expect(e).toMatchObject({ rcode: 'NXDOMAIN', rule: 'not-found' });
    expect(e.hints).toEqual([
      { kind: 'near-namespace', text: 'namespace "shopp" does not exist' },
      { kind: 'near-namespace', text: 'namespace "shop" exists: did you mean web.shop.svc.cluster.local.?', name: 'web.shop.svc.cluster.local.' },
    ]);
  });

  it('a service one edit away, and the same service in another namespace', () => {
    expect(explain('wbe.shop.svc.cluster.local').hints).toEqual([
      { kind: 'near-service', text: 'namespace "shop" has no service "wbe"' },
      { kind: 'near-service', text: 'service "web" exists in "shop": did you mean web.shop.svc.cluster.local.?', name: 'web.shop.svc.cluster.local.' },
    ]);
    expect(explain('web.default.svc.cluster.local').hints).toContainEqual({
      kind: 'other-namespace', text: 'service "web" exists in namespace "shop": web.shop.svc.cluster.local.', name: 'web.shop.svc.cluster.local.',
    });
  });

  it('a headless service with no ready endpoints', () => {
    const e = explain('idle.shop.svc.cluster.local');
    expect(e.rcode).toBe('NXDOMAIN');
    expect(e.hints).toEqual([
      { kind: 'headless-no-ready', text: 'shop/idle is a headless service with no ready endpoints (1 not ready): its names exist only while an endpoint is ready (spec 2.4.1)' },
    ]);
  });

  it('an endpoint or a port that does not exist lists what does', () => {
    expect(explain('db-9.db.shop.svc.cluster.local').hints[0]).toMatchObject({ kind: 'near-endpoint', text: 'service shop/db has no ready endpoint "db-9" (it has: 10-244-1-11, db-0)', name: 'db-0.db.shop.svc.cluster.local.' });
    expect(explain('_htp._tcp.web.shop.svc.cluster.local', 'SRV').hints[0]).toMatchObject({ kind: 'near-port', text: 'service shop/web has no named port _htp._tcp (it has: _http._tcp, _dns._udp)', name: '_http._tcp.web.shop.svc.cluster.local.' });
  });

  it('a missing svc label', () => {
    expect(explain('web.shop.cluster.local').hints).toEqual([
      { kind: 'missing-svc-label', text: 'service names have the form <service>.<namespace>.svc.cluster.local: did you mean web.shop.svc.cluster.local.?', name: 'web.shop.svc.cluster.local.' },
    ]);
  });

  it('pods: off, or not a known address', () => {
    expect(explain('10-244-2-5.shop.pod.cluster.local', 'A', { ...forwarding, podMode: 'disabled' }).hints).toEqual([{ kind: 'pods-off', text: 'pod records are off (--pods disabled)' }]);
    expect(explain('10-244-9-9.shop.pod.cluster.local', 'A', { ...forwarding, podMode: 'verified' }).hints).toEqual([
      { kind: 'pod-unknown', text: 'no pod in "shop" has the address 10.244.9.9 (--pods verified answers known pods only)' },
    ]);
  });

  it('a name outside the zone that would be forwarded: a misspelt cluster domain', () => {
    const e = explain('web.shop.svc.cluster.locl');
    expect(e.rcode).toBe('FORWARDED');
    expect(e.hints).toEqual([
      { kind: 'near-zone', text: '"cluster.locl" is not the cluster domain cluster.local: did you mean web.shop.svc.cluster.local.?', name: 'web.shop.svc.cluster.local.' },
    ]);
  });

  it('a short form one edit from a real one is forwarded, and says so', () => {
    const e = explain('web.shopp', 'A', refusing);
    expect(e.rcode).toBe('REFUSED');
    expect(e.hints).toContainEqual({ kind: 'near-namespace', text: 'namespace "shop" exists: did you mean web.shop?', name: 'web.shop.svc.cluster.local.' });
    expect(explain('kubernets').hints).toContainEqual({ kind: 'near-service', text: 'service "kubernetes" exists in the default namespace "default": did you mean kubernetes?', name: 'kubernetes.default.svc.cluster.local.' });
  });
});

describe('explain: the commonest misses (issue 19)', () => {
  it('a bare name whose service is in another namespace: the default namespace and the flag that changes it', () => {
    const e = explain('web', 'A', refusing);
    expect(e.rcode).toBe('REFUSED');
    expect(e.hints).toEqual([
      {
        kind: 'default-namespace',
        text: 'service "web" exists in namespace "shop", but a bare name is looked up in the default namespace "default": ask for web.shop, or start with --default-namespace shop',
        name: 'web.shop.svc.cluster.local.',
      },
    ]);
    // With that namespace as the default it is a short form that answers.
    expect(explain('web', 'A', { ...refusing, defaultNamespace: 'shop' })).toMatchObject({ rcode: 'NOERROR', rule: 'short-form', hints: [] });
  });

  it('an IP address is explained as its PTR name', () => {
    const e = explain('10.96.0.10');
    expect(e).toMatchObject({ name: '10.0.96.10.in-addr.arpa.', type: 'PTR', rcode: 'NOERROR', rule: 'ptr', answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'] });
    expect(e.objects[0]).toEqual(svcWeb);
    expect(e.hints).toEqual([
      { kind: 'address', text: '10.96.0.10 is an address: explained as its PTR name 10.0.96.10.in-addr.arpa. (dig -x 10.96.0.10)', name: '10.0.96.10.in-addr.arpa.' },
    ]);
    expect(explain('fd00::11').name).toBe(`1.1.${'0.'.repeat(28)}d.f.ip6.arpa.`);
  });

  it('an SRV name without its protocol label', () => {
    expect(explain('_http.web.shop.svc.cluster.local', 'SRV').hints).toEqual([
      { kind: 'missing-protocol', text: 'SRV names have two labels before the service, _<port>._<protocol>: did you mean _http._tcp.web.shop.svc.cluster.local.?', name: '_http._tcp.web.shop.svc.cluster.local.' },
    ]);
    expect(explain('_nope.web.shop.svc.cluster.local', 'SRV').hints).toEqual([
      { kind: 'missing-protocol', text: 'SRV names have two labels before the service, _<port>._<protocol> (service shop/web has no port named "nope")' },
    ]);
  });

  it('a cluster domain without its last label', () => {
    const e = explain('web.shop.svc.cluster');
    expect(e.rcode).toBe('FORWARDED');
    expect(e.hints).toEqual([
      { kind: 'incomplete-zone', text: 'the cluster domain is cluster.local, not cluster: did you mean web.shop.svc.cluster.local.?', name: 'web.shop.svc.cluster.local.' },
    ]);
    expect(explain('nothing.shop.svc.cluster').hints).toEqual([]);
  });

  it('endpoints derived from a selector name the workload whose pods they came from, not an EndpointSlice', () => {
    const text = [
      'apiVersion: v1\nkind: Service\nmetadata: {name: front, namespace: shop}\nspec: {clusterIP: 10.96.5.5, selector: {app: front}, ports: [{name: http, port: 80}]}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: front, namespace: shop}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: front}}\n  template:\n    metadata: {labels: {app: front}}\n    spec: {containers: [{name: c, image: x}]}',
    ].join('\n---\n');
    const derived = buildRegistry([convertRegistryText('apps.yaml', text).input], { clusterDomain: 'cluster.local', ttl: 5, serial: 1 }).registry;
    const e = explainName(derived, forwarding, 'front.shop.svc.cluster.local', 'A');
    expect(e.objects.map((o) => `${o.kind} ${o.namespace}/${o.name} at ${o.origin}`)).toEqual([
      'Service shop/front at apps.yaml:1',
      'Endpoints (from selector) shop/front at apps.yaml:1',
      'Deployment shop/front at apps.yaml:6',
    ]);
    expect(e.objects[1]!.detail).toMatch(/^10\.244\.\d+\.\d+; selector app=front$/);
    expect(e.objects[2]!.detail).toMatch(/^1 replica\(s\); simulated pods front-[a-z0-9]+-[a-z0-9]{5}$/);
  });

  it('the rule line says its rule once', () => {
    expect(formatExplanation(explain('web.shop')).split('\n')[1]).toBe(
      '  rule:   short-form: with the search suffix svc.cluster.local it is web.shop.svc.cluster.local. (a pod in namespace default would try it), answered as a CNAME to that name',
    );
  });
});

describe('explain: types and rendering', () => {
  it('takes type mnemonics in any case', () => {
    expect(explainType('srv')).toBe('SRV');
    expect(explainType(undefined)).toBe('A');
    expect(explainType('AAA')).toBeUndefined();
  });

  it('renders a human explanation', () => {
    expect(formatExplanation(explain('web.shopp.svc.cluster.local'))).toBe(
      [
        'web.shopp.svc.cluster.local. A: NXDOMAIN',
        '  rule:   not-found: no such name under cluster.local: NXDOMAIN',
        '  authority:',
        '    cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5',
        '  hint:   namespace "shopp" does not exist',
        '  hint:   namespace "shop" exists: did you mean web.shop.svc.cluster.local.?',
        '',
      ].join('\n'),
    );
  });

  it('never shows undefined, null or [object Object] for odd input', () => {
    for (const name of ['', '.', '..', 'a..b', '_', 'x'.repeat(300), '1.2.3.4.in-addr.arpa', 'svc.cluster.local', 'pod.cluster.local', 'zz.pod.cluster.local', '-.shop.pod.cluster.local']) {
      for (const type of ['A', 'PTR', 'SRV', 'ANY']) {
        const text = formatExplanation(explain(name, type)) + JSON.stringify(explain(name, type));
        expect(text).not.toMatch(/undefined|null|\[object Object\]|NaN/);
      }
    }
  });
});
