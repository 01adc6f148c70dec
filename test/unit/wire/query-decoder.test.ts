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
  it.each<[string, Buffer, string]>([
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
    ['EDNS version 1', q(undefined, 'A', { edns: { version: 1 } }), 'badvers'],
  ])('%s → %s', (_, packet, kind) => {
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
});
