import { describe, expect, it } from 'vitest';
import { RecordType, type Answer, type Query, type RecordsAnswer } from '../../../src/dns/types.js';
import { servfail } from '../../../src/dns/outcomes.js';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import type { ServiceInput } from '../../../src/registry/model.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { buildQuery, encodeName } from '../../helpers/dns-client.js';
import { reply, rr, soa } from '../../helpers/fake-upstream.js';
import { answerText, type AnswerText } from '../../helpers/zone-text.js';
import { fixtureInput } from './fixture-registry.js';

const { A, AAAA, CNAME, ANY, MX } = { ...RecordType, MX: 15 };
const origin = { file: 'chase.yaml', line: 1 };
const external = (name: string, target: string): ServiceInput => ({
  namespace: 'shop', name, kind: 'ExternalName', clusterIPs: [], externalName: target, ports: [], publishNotReadyAddresses: false, origin,
});
const registry = buildRegistry(
  [
    fixtureInput,
    {
      namespaces: [],
      services: [
        external('cdn', 'www.example.org'),
        external('gone', 'gone.example.org'),
        external('back', 'back.example.org'),
        external('hop', 'payments.shop.svc.cluster.local'),
        external('loopy', 'loop.example.org'),
        external('long', 'l0.example.org'),
        external('broken', 'broken.example.org'),
        external('mail', 'mail.example.org'),
      ],
      endpointGroups: [],
      pods: [],
    },
  ],
  { clusterDomain: 'cluster.local', ttl: 5, serial: 42 },
).registry;

const ipv4 = (text: string) => text.split('.').map(Number);
const name = (text: string) => Buffer.from(encodeName(text));

/** What the fake upstream answers, by `name|type`: each builds a whole reply to the query bytes. */
const upstream: Record<string, (q: Buffer) => Buffer> = {
  [`payments.example.org|${A}`]: (q) => reply(q, { answer: [rr('payments.example.org', A, 300, ipv4('192.0.2.10')), rr('payments.example.org', A, 300, ipv4('192.0.2.11'))] }),
  [`payments.example.org|${AAAA}`]: (q) => reply(q, { authority: [soa('example.org', 3600, 60)] }),
  [`www.example.org|${A}`]: (q) => reply(q, {
    answer: [
      rr('www.example.org', CNAME, 120, name('edge.example.net')),
      rr('edge.example.net', A, 20, ipv4('192.0.2.20')),
      rr('unrelated.example.net', A, 9999, ipv4('203.0.113.66')), // not on the chain: ignored
    ],
  }),
  [`gone.example.org|${A}`]: (q) => reply(q, { rcode: 3, authority: [soa('example.org', 3600, 30)] }),
  [`back.example.org|${A}`]: (q) => reply(q, { rcode: 3, answer: [rr('back.example.org', CNAME, 60, name('web.shop.svc.cluster.local'))], authority: [soa('cluster.local', 60, 60)] }),
  [`loop.example.org|${A}`]: (q) => reply(q, { answer: [rr('loop.example.org', CNAME, 60, name('loopy.shop.svc.cluster.local'))] }),
  [`l0.example.org|${A}`]: (q) => reply(q, {
    answer: [...Array.from({ length: 8 }, (_, i) => rr(`l${i}.example.org`, CNAME, 60, name(`l${i + 1}.example.org`))), rr('l8.example.org', A, 60, ipv4('192.0.2.8'))],
  }),
  [`broken.example.org|${A}`]: (q) => reply(q, { rcode: 2 }),
  [`mail.example.org|${MX}`]: (q) => reply(q, { answer: [rr('mail.example.org', MX, 300, [0, 10, ...name('mx.example.org')])] }),
};

function query(qname: string, type: number, o: { rd?: boolean; client?: string } = {}): Query {
  return {
    id: 7, opcode: 0, recursionDesired: o.rd ?? true, checkingDisabled: false, name: qname, lowerName: qname.toLowerCase(), type, class: 1,
    edns: undefined, transport: 'udp', client: { address: o.client ?? '127.0.0.1', port: 5353 },
  };
}

function setup(o: { now?: () => number; mayRecurse?: (a: string) => boolean } = {}) {
  const asked: string[] = [];
  const lookup = (q: Query): Answer => {
    asked.push(`${q.lowerName}|${q.type}`);
    expect(q.recursionDesired).toBe(true);
    expect(q.edns?.dnssecOk).toBe(false);
    const build = upstream[`${q.lowerName}|${q.type}`];
    if (!build) return servfail({ code: 22, text: 'no upstream answered' });
    return { kind: 'relayed', bytes: build(buildQuery(q.name, q.type)) };
  };
  const resolve = createResolver(createRegistryRef(registry), {
    zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: [],
    chase: { lookup, ...(o.now ? { now: o.now } : {}), ...(o.mayRecurse ? { mayRecurse: o.mayRecurse } : {}) },
  });
  return { asked, ask: async (qname: string, type: number, qo: { rd?: boolean; client?: string } = {}) => answerText((await resolve(query(qname, type, qo))) as RecordsAnswer) };
}

const cname = (from: string, to: string, ttl = 5) => `${from}. ${ttl} IN CNAME ${to}.`;
const svc = (n: string) => `${n}.shop.svc.cluster.local`;
const answer = (rcode: string, records: string[], authority: string[] = [], aa = true): AnswerText => ({ rcode, aa, answer: records, authority, additional: [] });
const SERVFAIL = answer('SERVFAIL', [], [], false);

describe('CNAME chains completed through the upstream (RFC 1034 §4.3.2)', () => {
  const table: [string, string, number, AnswerText][] = [
    ['ExternalName → the target\'s addresses', svc('payments'), A, answer('NOERROR', [
      cname(svc('payments'), 'payments.example.org'), 'payments.example.org. 300 IN A 192.0.2.10', 'payments.example.org. 300 IN A 192.0.2.11',
    ])],
    ['letter case of the question does not matter', 'Payments.SHOP.svc.cluster.local', A, answer('NOERROR', [
      cname(svc('payments'), 'payments.example.org'), 'payments.example.org. 300 IN A 192.0.2.10', 'payments.example.org. 300 IN A 192.0.2.11',
    ])],
    ['target NODATA → NODATA with the CNAME and the upstream SOA', svc('payments'), AAAA, answer('NOERROR', [cname(svc('payments'), 'payments.example.org')], [
      'example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60',
    ])],
    ['target NXDOMAIN → NXDOMAIN with the CNAME, as recursive servers answer', svc('gone'), A, answer('NXDOMAIN', [cname(svc('gone'), 'gone.example.org')], [
      'example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 30',
    ])],
    ['the upstream\'s own chain is kept, records off the chain are not', svc('cdn'), A, answer('NOERROR', [
      cname(svc('cdn'), 'www.example.org'), cname('www.example.org', 'edge.example.net', 120), 'edge.example.net. 20 IN A 192.0.2.20',
    ])],
    ['an in-zone chain that leaves the zone', svc('hop'), A, answer('NOERROR', [
      cname(svc('hop'), svc('payments')), cname(svc('payments'), 'payments.example.org'), 'payments.example.org. 300 IN A 192.0.2.10', 'payments.example.org. 300 IN A 192.0.2.11',
    ])],
    ['an upstream chain back into the zone is answered from the registry', svc('back'), A, answer('NOERROR', [
      cname(svc('back'), 'back.example.org'), cname('back.example.org', svc('web'), 60), `${svc('web')}. 5 IN A 10.96.0.10`,
    ])],
    ['types nobody here models pass through (MX, RFC 3597)', svc('mail'), MX, answer('NOERROR', [
      cname(svc('mail'), 'mail.example.org'), `mail.example.org. 300 IN TYPE15 \\# 18 000a${Buffer.from(encodeName('mx.example.org')).toString('hex')}`,
    ])],
    ['a short form chains the same way (not authoritative)', 'payments.shop', A, answer('NOERROR', [
      cname('payments.shop', svc('payments')), cname(svc('payments'), 'payments.example.org'), 'payments.example.org. 300 IN A 192.0.2.10', 'payments.example.org. 300 IN A 192.0.2.11',
    ], [], false)],
    ['a loop through the upstream → SERVFAIL', svc('loopy'), A, SERVFAIL],
    ['a chain longer than 8 through the upstream → SERVFAIL', svc('long'), A, SERVFAIL],
    ['an upstream SERVFAIL for the target → SERVFAIL', svc('broken'), A, SERVFAIL],
    ['no upstream answer for the target → SERVFAIL', svc('payments'), 16, SERVFAIL],
    ['a CNAME question is answered by the CNAME alone', svc('payments'), CNAME, answer('NOERROR', [cname(svc('payments'), 'payments.example.org')])],
    ['so is ANY', svc('payments'), ANY, answer('NOERROR', [cname(svc('payments'), 'payments.example.org')])],
    ['a cluster name is not chased', svc('web'), A, answer('NOERROR', [`${svc('web')}. 5 IN A 10.96.0.10`])],
  ];
  it.each(table)('%s', async (_, qname, type, expected) => {
    expect(await setup().ask(qname, type)).toEqual(expected);
  });

  it('keeps the upstream extended error of a failed target lookup', async () => {
    const resolve = createResolver(createRegistryRef(registry), {
      zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: [],
      chase: { lookup: () => servfail({ code: 22, text: 'no upstream answered within 2000 ms' }) },
    });
    const failed = (await resolve(query(svc('payments'), A))) as RecordsAnswer;
    expect(failed.rcode).toBe(2);
    expect(failed.extendedError).toEqual({ code: 22, text: 'no upstream answered within 2000 ms' });
  });

  it('answers the CNAME alone without RD, or for a client that may not recurse', async () => {
    const alone = answer('NOERROR', [cname(svc('payments'), 'payments.example.org')]);
    const { ask, asked } = setup({ mayRecurse: (a) => a.startsWith('127.') });
    expect(await ask(svc('payments'), A, { rd: false })).toEqual(alone);
    expect(await ask(svc('payments'), A, { client: '192.0.2.99' })).toEqual(alone);
    expect(asked).toEqual([]);
  });

  it('stays synchronous for cluster answers with chasing on', async () => {
    const { asked } = setup();
    const resolve = createResolver(createRegistryRef(registry), {
      zone: 'cluster.local', podMode: 'insecure', defaultNamespace: 'shop', nameServerAddresses: [],
      chase: { lookup: (q) => { asked.push(q.lowerName); return servfail(); } },
    });
    expect(resolve(query(svc('web'), A))).not.toBeInstanceOf(Promise);
    expect(resolve(query('nope.shop.svc.cluster.local', A))).not.toBeInstanceOf(Promise);
    expect(resolve(query('web.shop', A))).not.toBeInstanceOf(Promise);
    expect(asked).toEqual([]);
    const chased = resolve(query(svc('payments'), A));
    expect(chased).toBeInstanceOf(Promise);
    await chased;
    expect(asked).toEqual(['payments.example.org']);
  });
});

describe('composed answers are reused for the smallest TTL of the chain', () => {
  it('counts TTLs down while kept and asks again when the smallest runs out', async () => {
    let clock = 1_000_000;
    const { ask, asked } = setup({ now: () => clock });
    const first = await ask(svc('cdn'), A);
    expect(asked).toEqual([`www.example.org|${A}`]);
    clock += 2_500;
    expect(await ask(svc('cdn'), A)).toEqual({
      ...first,
      answer: [cname(svc('cdn'), 'www.example.org', 3), cname('www.example.org', 'edge.example.net', 118), 'edge.example.net. 18 IN A 192.0.2.20'],
    });
    expect(asked).toHaveLength(1);
    // The chain's smallest TTL is our CNAME's (5 s): after it the target is asked for again.
    clock += 2_500;
    expect(await ask(svc('cdn'), A)).toEqual(first);
    expect(asked).toHaveLength(2);
  });

  it('a negative composed answer lives for the upstream SOA\'s negative TTL when that is shorter', async () => {
    let clock = 0;
    const { ask, asked } = setup({ now: () => clock });
    const first = await ask(svc('gone'), A);
    clock += 4_000;
    await ask(svc('gone'), A);
    expect(asked).toHaveLength(1);
    clock += 1_000; // our CNAME's 5 s: the smallest here (the SOA says 30)
    expect(await ask(svc('gone'), A)).toEqual(first);
    expect(asked).toHaveLength(2);
  });

  it('failures are not kept', async () => {
    const { ask, asked } = setup({ now: () => 0 });
    await ask(svc('broken'), A);
    await ask(svc('broken'), A);
    expect(asked).toHaveLength(2);
  });
});
