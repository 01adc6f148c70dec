import { describe, expect, it } from 'vitest';
import { decodeQuery } from '../../../src/wire/query-decoder.js';
import { buildQuery } from '../../helpers/dns-client.js';

const meta = { transport: 'udp' as const, client: { address: '127.0.0.1', port: 1 } };
const q = (name = 'Web.Shop.svc.cluster.local', type: string | number = 'A', o = {}) => buildQuery(name, type, o);

function patch(buf: Buffer, at: number, ...bytes: number[]): Buffer {
  const out = Buffer.from(buf);
  bytes.forEach((b, i) => (out[at + i] = b));
  return out;
}

describe('decodeQuery', () => {
  it('decodes a plain query, keeping the letter case and folding only ASCII', () => {
    const v = decodeQuery(q(), meta);
    expect(v.kind).toBe('query');
    if (v.kind !== 'query') return;
    expect(v.query).toMatchObject({ id: 0x1234, opcode: 0, recursionDesired: true, checkingDisabled: false, name: 'Web.Shop.svc.cluster.local', lowerName: 'web.shop.svc.cluster.local', type: 1, class: 1, edns: undefined });
    expect(Buffer.from(v.question)).toEqual(q().subarray(12));
  });

  it('reads EDNS size, version and DO', () => {
    const v = decodeQuery(q(undefined, 'A', { edns: { udpSize: 4096, do: true } }), meta);
    expect(v.kind === 'query' && v.query.edns).toEqual({ udpPayloadSize: 4096, version: 0, dnssecOk: true });
  });

  it('escapes dots and odd bytes inside labels so they never match other names', () => {
    const raw = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2e, 0x62, 1, 0x63, 0, 0, 1, 0, 1]);
    const v = decodeQuery(raw, meta);
    expect(v.kind === 'query' && v.query.lowerName).toBe('a\\.b.c');
  });

  const header = q().subarray(0, 12);
  /** Wire labels of the given lengths, then the root. */
  const name = (...lengths: number[]) => Buffer.from([...lengths.flatMap((n) => [n, ...Buffer.alloc(n, 0x61)]), 0]);
  /** A resource record: owner bytes, type, class IN, TTL 5, RDATA. */
  const rr = (owner: number[], type: number, rdata: number[]) => Buffer.from([...owner, type >> 8, type & 0xff, 0, 1, 0, 0, 0, 5, rdata.length >> 8, rdata.length & 0xff, ...rdata]);
  const table: [string, Buffer, string][] = [
    ['short packet', Buffer.from([1, 2, 3]), 'drop'],
    ['a response (QR=1)', patch(q(), 2, 0x81), 'drop'],
    ['opcode NOTIFY', patch(q(), 2, 0x21), 'notimp'],
    ['opcode UPDATE with no question', patch(header, 2, 0x29, 0, 0, 0), 'notimp'],
    ['QDCOUNT 0', patch(header, 4, 0, 0), 'formerr'],
    ['QDCOUNT 2', patch(q(), 4, 0, 2), 'formerr'],
    ['truncated question', q().subarray(0, 20), 'formerr'],
    ['missing type and class', q().subarray(0, q().length - 2), 'formerr'],
    ['a pointer in the question', Buffer.concat([header, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]), 'formerr'],
    ['a reserved label type', Buffer.concat([header, Buffer.from([0x41, 0, 0, 1, 0, 1])]), 'formerr'],
    ['a label over 63 octets', Buffer.concat([header, Buffer.from([64, ...Buffer.alloc(64, 0x61), 0, 0, 1, 0, 1])]), 'formerr'],
    ['a name over 255 octets', Buffer.concat([header, ...Array.from({ length: 5 }, () => Buffer.from([60, ...Buffer.alloc(60, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]), 'formerr'],
    ['OPT as the question type', q('x', 41), 'formerr'],
    ['trailing bytes', Buffer.concat([q(), Buffer.from([0])]), 'formerr'],
    ['ARCOUNT without records', patch(q(), 10, 0, 1), 'formerr'],
    ['two OPT records', (() => { const one = q(undefined, 'A', { edns: {} }); const opt = one.subarray(one.length - 11); return patch(Buffer.concat([one, opt]), 10, 0, 2); })(), 'formerr'],
    ['an OPT not owned by the root', (() => { const one = q(undefined, 'A', { edns: {} }); const at = one.length - 11; return Buffer.concat([one.subarray(0, at), Buffer.from([1, 0x61]), one.subarray(at)]); })(), 'formerr'],
    ['OPT options that do not fill the RDATA', q(undefined, 'A', { edns: { options: new Uint8Array([0, 10, 0, 9, 1]) } }), 'formerr'],
    ['a compression loop in an additional record', Buffer.concat([patch(q(), 10, 0, 1), Buffer.from([0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])]), 'formerr'],
    ['a label of the 0x80 type', Buffer.concat([header, Buffer.from([0x81, 0x61, 0, 0, 1, 0, 1])]), 'formerr'],
    ['a name of 256 octets', Buffer.concat([header, name(63, 63, 63, 62), Buffer.from([0, 1, 0, 1])]), 'formerr'],
    ['opcode STATUS', patch(q(), 2, 0x11), 'notimp'],
    ['opcode 15 with a broken body', Buffer.concat([patch(header, 2, 0x79), Buffer.from([0xc0])]), 'notimp'],
    ['a response with a broken body', Buffer.concat([patch(header, 2, 0x80), Buffer.from([0xc0])]), 'drop'],
    ['exactly 11 bytes', q().subarray(0, 11), 'drop'],
    ['an answer record cut short', Buffer.concat([patch(q(), 6, 0, 1), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0])]), 'formerr'],
    ['RDLENGTH past the end', Buffer.concat([patch(q(), 6, 0, 1), rr([0xc0, 0x0c], 1, [10, 0, 0, 1]).subarray(0, 13)]), 'formerr'],
    ['an authority record pointing into the header', Buffer.concat([patch(q(), 8, 0, 1), rr([0xc0, 0x02], 1, [10, 0, 0, 1])]), 'formerr'],
    ['an additional record pointing forward', Buffer.concat([patch(q(), 10, 0, 1), rr([0xc0, 0x40], 1, [10, 0, 0, 1])]), 'formerr'],
    ['a pointer to itself', Buffer.concat([patch(q(), 10, 0, 2), rr([0xc0, 0x0c], 1, [10, 0, 0, 1]), rr([0xc0, q().length + 16], 1, [10, 0, 0, 1])]), 'formerr'],
    ['OPT in the answer section', (() => { const one = q(undefined, 'A', { edns: {} }); return patch(one, 6, 0, 1, 0, 0, 0, 0); })(), 'formerr'],
    ['OPT in the authority section', (() => { const one = q(undefined, 'A', { edns: {} }); return patch(one, 8, 0, 1, 0, 0); })(), 'formerr'],
    ['EDNS version 1', q(undefined, 'A', { edns: { version: 1 } }), 'badvers'],
    ['EDNS version 255 and the DO bit', q(undefined, 'A', { edns: { version: 255, do: true } }), 'badvers'],
    ['a label of 63 octets', Buffer.concat([header, name(63), Buffer.from([0, 1, 0, 1])]), 'query'],
    ['a name of 255 octets', Buffer.concat([header, name(63, 63, 63, 61), Buffer.from([0, 1, 0, 1])]), 'query'],
    ['the root name', Buffer.concat([header, Buffer.from([0, 0, 2, 0, 1])]), 'query'],
    ['a well-formed answer record pointing at the question', Buffer.concat([patch(q(), 6, 0, 1), rr([0xc0, 0x0c], 1, [10, 0, 0, 1])]), 'query'],
    ['a pointer to an earlier record', Buffer.concat([patch(q(), 10, 0, 2), rr([1, 0x78, 0xc0, 0x0c], 1, [10, 0, 0, 1]), rr([0xc0, q().length], 1, [10, 0, 0, 2])]), 'query'],
    ['OPT with an option (a client cookie)', q(undefined, 'A', { edns: { options: new Uint8Array([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]) } }), 'query'],
    ['unknown QTYPE and QCLASS (left to the resolver)', q('x', 65280, { qclass: 3 }), 'query'],
  ];
  it.each(table.map(([label, packet, kind]) => [label, kind, packet] as const))('%s → %s', (_, kind, packet) => {
    expect(decodeQuery(packet, meta).kind).toBe(kind);
  });

  it('echoes id, opcode, RD and the question in error verdicts when they were readable', () => {
    const v = decodeQuery(patch(q(), 2, 0x21), meta);
    expect(v.kind).toBe('notimp');
    if (v.kind !== 'notimp') return;
    expect(v.echo.id).toBe(0x1234);
    expect(v.echo.opcode).toBe(4);
    expect(v.echo.recursionDesired).toBe(true);
    expect(Buffer.from(v.echo.question!)).toEqual(q().subarray(12));
  });

  it.each<[string, number[], string, string]>([
    ['a dot inside a label', [3, 0x61, 0x2e, 0x62, 1, 0x63], 'a\\.b.c', 'a\\.b.c'],
    ['a backslash', [2, 0x41, 0x5c], 'A\\\\', 'a\\\\'],
    ['a space and a byte over 127', [3, 0x20, 0x58, 0xff], '\\032X\\255', '\\032x\\255'],
    ['a NUL byte', [1, 0], '\\000', '\\000'],
    ['non-ASCII letters are not folded (RFC 4343 §3)', [2, 0xc4, 0x41], '\\196A', '\\196a'],
  ])('presents %s as escapes', (_, labels, name, lowerName) => {
    const packet = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
    const v = decodeQuery(packet, meta);
    expect(v.kind === 'query' && { name: v.query.name, lowerName: v.query.lowerName }).toEqual({ name, lowerName });
  });

  it('reads the whole header into the query and keeps the packet for relaying', () => {
    const packet = q('Web.Shop.svc.cluster.local', 'SRV', { id: 0xbeef, rd: false, cd: true });
    const tcpMeta = { transport: 'tcp' as const, client: { address: '::1', port: 5353 } };
    const v = decodeQuery(packet, tcpMeta);
    expect(v.kind).toBe('query');
    if (v.kind !== 'query') return;
    expect(v.query).toEqual({
      id: 0xbeef, opcode: 0, recursionDesired: false, checkingDisabled: true,
      name: 'Web.Shop.svc.cluster.local', lowerName: 'web.shop.svc.cluster.local', type: 33, class: 1,
      edns: undefined, transport: 'tcp', client: { address: '::1', port: 5353 }, wire: packet,
    });
    // The question view: offset 12 of the packet, name then QTYPE and QCLASS.
    expect(v.question.byteOffset - packet.byteOffset).toBe(12);
    expect(v.question.length).toBe(packet.length - 12);
  });

  it('echoes a single valid OPT in FORMERR and BADVERS verdicts, and no OPT when it was the problem', () => {
    const withOpt = q(undefined, 'A', { edns: { udpSize: 4096, do: true } });
    const trailing = decodeQuery(Buffer.concat([withOpt, Buffer.from([0])]), meta);
    expect(trailing.kind === 'formerr' && trailing.echo.edns).toEqual({ udpPayloadSize: 4096, version: 0, dnssecOk: true });
    const badvers = decodeQuery(q(undefined, 'A', { edns: { version: 1, udpSize: 1400 } }), meta);
    expect(badvers.kind === 'badvers' && badvers.echo.edns).toEqual({ udpPayloadSize: 1400, version: 1, dnssecOk: false });
    const at = withOpt.length - 11;
    const notRoot = decodeQuery(Buffer.concat([withOpt.subarray(0, at), Buffer.from([1, 0x61]), withOpt.subarray(at)]), meta);
    expect(notRoot.kind === 'formerr' && notRoot.echo.edns).toBeUndefined();
    const twoOpts = decodeQuery(patch(Buffer.concat([withOpt, withOpt.subarray(at)]), 10, 0, 2), meta);
    expect(twoOpts.kind === 'formerr' && twoOpts.echo.edns).toBeUndefined();
  });

  it('echoes no question when QDCOUNT is not 1, even if one parsed', () => {
    const v = decodeQuery(patch(Buffer.concat([q(), q().subarray(12)]), 4, 0, 2), meta);
    expect(v.kind === 'formerr' && v.echo.question).toBeUndefined();
  });
});
