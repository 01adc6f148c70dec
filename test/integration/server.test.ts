import { describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, queryTcp, queryUdp, sendTcp, sendUdp, type DecodedReply } from '../helpers/dns-client.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
const SOA = /^cluster\.local\. 5 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/;

type Expect = { rcode: string; flags: string[]; answer: string[]; authority?: 'soa' | string[]; additional?: string[] };

const table: [string, string, Expect][] = [
  ['web.shop.svc.cluster.local', 'A', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'] }],
  ['Web.SHOP.svc.Cluster.Local', 'AAAA', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['Web.SHOP.svc.Cluster.Local. 5 IN AAAA fd00::10'] }],
  ['_http._tcp.web.shop.svc.cluster.local', 'SRV', {
    rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'],
    answer: ['_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.'],
    additional: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10', 'web.shop.svc.cluster.local. 5 IN AAAA fd00::10'],
  }],
  ['db.shop.svc.cluster.local', 'A', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['db.shop.svc.cluster.local. 5 IN A 10.244.1.10', 'db.shop.svc.cluster.local. 5 IN A 10.244.1.11'] }],
  ['db-3.db.shop.svc.cluster.local', 'AAAA', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['db-3.db.shop.svc.cluster.local. 5 IN AAAA fd00::1:13'] }],
  ['payments.shop.svc.cluster.local', 'A', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['payments.shop.svc.cluster.local. 5 IN CNAME payments.example.org.'] }],
  ['10.0.96.10.in-addr.arpa', 'PTR', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'] }],
  ['dns-version.cluster.local', 'TXT', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] }],
  ['web.shop.svc.cluster.local', 'SRV', {
    rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'],
    answer: [
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 53 web.shop.svc.cluster.local.',
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 80 web.shop.svc.cluster.local.',
      'web.shop.svc.cluster.local. 5 IN SRV 0 33 9090 web.shop.svc.cluster.local.',
    ],
    additional: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10', 'web.shop.svc.cluster.local. 5 IN AAAA fd00::10'],
  }],
  ['db.shop.svc.cluster.local', 'SRV', {
    rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'],
    answer: [
      'db.shop.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-1-11.db.shop.svc.cluster.local.',
      'db.shop.svc.cluster.local. 5 IN SRV 0 33 5432 db-0.db.shop.svc.cluster.local.',
      'db.shop.svc.cluster.local. 5 IN SRV 0 33 5432 db-3.db.shop.svc.cluster.local.',
    ],
    additional: [
      '10-244-1-11.db.shop.svc.cluster.local. 5 IN A 10.244.1.11',
      'db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10',
      'db-3.db.shop.svc.cluster.local. 5 IN AAAA fd00::1:13',
    ],
  }],
  ['pod.cluster.local', 'A', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: [], authority: 'soa' }],
  ['web.shop.svc.cluster.local', 'MX', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: [], authority: 'soa' }],
  ['shop.svc.cluster.local', 'A', { rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'], answer: [], authority: 'soa' }],
  ['nope.shop.svc.cluster.local', 'A', { rcode: 'NXDOMAIN', flags: ['qr', 'aa', 'rd'], answer: [], authority: 'soa' }],
  ['web.shop', 'A', { rcode: 'NOERROR', flags: ['qr', 'rd'], answer: ['web.shop. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'] }],
  ['example.org', 'A', { rcode: 'REFUSED', flags: ['qr', 'rd'], answer: [] }],
];

function check(reply: DecodedReply, name: string, type: string, e: Expect): void {
  expect(reply.id).toBe(0x1234);
  expect(reply.rcode).toBe(e.rcode);
  expect(reply.flags).toEqual(e.flags);
  expect(reply.question).toEqual([`${name}. IN ${type}`]);
  expect(reply.answer).toEqual(e.answer);
  if (e.authority === 'soa') {
    expect(reply.authority).toHaveLength(1);
    expect(reply.authority[0]).toMatch(SOA);
  } else expect(reply.authority).toEqual(e.authority ?? []);
  expect(reply.additional).toEqual(e.additional ?? []);
}

describe.each(['udp', 'tcp'] as const)('answers over %s', (transport) => {
  it.each(table)('%s %s', async (name, type, e) => {
    const { port } = await startServer({ zones });
    const reply = transport === 'udp' ? await queryUdp(port, name, type) : await queryTcp(port, name, type);
    check(reply, name, type, e);
    expect(reply.edns).toBeUndefined();
  });
});

describe('protocol edges', () => {
  it('answers EDNS with EDNS (payload 1232, DO echoed) and an unknown version with BADVERS', async () => {
    const { port } = await startServer({ zones });
    const reply = await queryUdp(port, 'web.shop.svc.cluster.local', 'A', { edns: { udpSize: 4096, do: true } });
    expect(reply.edns).toEqual({ udpSize: 1232, version: 0, do: true, extendedRcode: 0 });
    expect(reply.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    const badvers = await queryUdp(port, 'web.shop.svc.cluster.local', 'A', { edns: { version: 1 } });
    expect(badvers.rcode).toBe('BADVERS');
    expect(badvers.answer).toEqual([]);
    expect(badvers.edns?.version).toBe(0);
  });

  it('REFUSED with an extended error for out-of-zone names when forwarding is off', async () => {
    const { port } = await startServer({ zones });
    const reply = await queryUdp(port, 'example.org', 'A', { edns: {} });
    expect(reply.rcode).toBe('REFUSED');
    expect(reply.edns?.ede).toEqual({ code: 20, text: 'not a cluster name and forwarding is off' });
  });

  it('FORMERR for a readable header with a broken body, NOTIMP for other opcodes, nothing for responses or short packets', async () => {
    const { port } = await startServer({ zones });
    const good = buildQuery('web.shop.svc.cluster.local', 'A');
    const truncatedBody = good.subarray(0, good.length - 3);
    const formerr = decodeReply((await sendUdp(port, truncatedBody))!);
    expect(formerr).toMatchObject({ id: 0x1234, rcode: 'FORMERR', flags: ['qr', 'rd'], question: [], answer: [] });

    const twoQuestions = Buffer.from(good);
    twoQuestions[5] = 2;
    expect(decodeReply((await sendUdp(port, twoQuestions))!).rcode).toBe('FORMERR');

    const notify = buildQuery('cluster.local', 'SOA', { opcode: 4 });
    expect(decodeReply((await sendUdp(port, notify))!)).toMatchObject({ rcode: 'NOTIMP', opcode: 4, question: ['cluster.local. IN SOA'] });

    const response = Buffer.from(good);
    response[2]! |= 0x80;
    expect(await sendUdp(port, response, '127.0.0.1', 300)).toBeUndefined();
    expect(await sendUdp(port, Buffer.from([1, 2, 3]), '127.0.0.1', 300)).toBeUndefined();
    // The server is still fine afterwards.
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
  });

  it('REFUSED for other classes and zone transfers', async () => {
    const { port } = await startServer({ zones });
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A', { qclass: 3 })).rcode).toBe('REFUSED');
    expect((await queryTcp(port, 'cluster.local', 'AXFR')).rcode).toBe('REFUSED');
  });

  it('truncates over UDP past 512 bytes (or the EDNS size) and answers whole over TCP', async () => {
    const big = await startServer({ zones: ['test/fixtures/large-headless.yaml'] });
    const udp = await queryUdp(big.port, 'big.shop.svc.cluster.local', 'A');
    expect(udp.flags).toContain('tc');
    expect(udp.answer).toEqual([]);
    expect(udp.question).toEqual(['big.shop.svc.cluster.local. IN A']);
    const edns = await queryUdp(big.port, 'big.shop.svc.cluster.local', 'A', { edns: { udpSize: 4096 } });
    expect(edns.flags).not.toContain('tc');
    expect(edns.answer).toHaveLength(60);
    expect(edns.size).toBeLessThanOrEqual(1232);
    const tcp = await queryTcp(big.port, 'big.shop.svc.cluster.local', 'A');
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(60);
  });

  it('answers pipelined TCP queries on one connection', async () => {
    const { port } = await startServer({ zones });
    const names = ['web.shop.svc.cluster.local', 'db.shop.svc.cluster.local', 'nope.shop.svc.cluster.local'];
    const replies = await sendTcp(port, names.map((n, i) => buildQuery(n, 'A', { id: i + 1 })));
    const decoded = replies.map(decodeReply).sort((a, b) => a.id - b.id);
    expect(decoded.map((r) => [r.id, r.rcode, r.answer.length])).toEqual([[1, 'NOERROR', 1], [2, 'NOERROR', 2], [3, 'NXDOMAIN', 0]]);
  });

  it('listens on IPv6 loopback too', async () => {
    const { port } = await startServer({ zones, host: '::1' });
    const reply = await queryUdp(port, 'web.shop.svc.cluster.local', 'A', {}, '::1');
    expect(reply.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    const tcp = await queryTcp(port, 'web.shop.svc.cluster.local', 'A', {}, '::1');
    expect(tcp.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
  });

  it('uses the configured cluster domain', async () => {
    const { port } = await startServer({ zones, clusterDomain: 'corp.example.org.' });
    expect((await queryUdp(port, 'web.shop.svc.corp.example.org', 'A')).answer).toEqual(['web.shop.svc.corp.example.org. 5 IN A 10.96.0.10']);
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).rcode).toBe('REFUSED');
  });
});
