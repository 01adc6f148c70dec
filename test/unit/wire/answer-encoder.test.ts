import { describe, expect, it } from 'vitest';
import { answered } from '../../../src/dns/outcomes.js';
import type { Query } from '../../../src/dns/types.js';
import { encodeResponse, responseSizeLimit } from '../../../src/wire/answer-encoder.js';
import { decodeQuery } from '../../../src/wire/query-decoder.js';
import { buildQuery, decodeReply, encodeName } from '../../helpers/dns-client.js';

function decoded(name: string, type: string, o = {}): { query: Query; question: Uint8Array } {
  const v = decodeQuery(buildQuery(name, type, o), { transport: 'udp', client: { address: '127.0.0.1', port: 1 } });
  if (v.kind !== 'query') throw new Error(v.kind);
  return v;
}

describe('encodeResponse', () => {
  it('writes SRV targets uncompressed (RFC 2782) while owner names point at the question', () => {
    const { query, question } = decoded('_HTTP._tcp.web.shop.svc.cluster.local', 'SRV');
    const bytes = Buffer.from(encodeResponse(query, question, answered([
      { type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local', ttl: 5, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' },
    ]), { transport: 'udp', recursionAvailable: false }));
    const reply = decodeReply(bytes);
    expect(reply.answer).toEqual(['_HTTP._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.']);
    const afterQuestion = bytes.subarray(12 + question.length);
    expect(afterQuestion.subarray(0, 2)).toEqual(Buffer.from([0xc0, 0x0c])); // owner: pointer to the question
    expect(afterQuestion.includes(Buffer.from(encodeName('web.shop.svc.cluster.local')))).toBe(true); // target: literal labels
    expect(reply.flags).toEqual(['qr', 'aa', 'rd']);
  });

  it('sizes UDP answers by EDNS, capped at 1232, never below 512', () => {
    expect(responseSizeLimit('udp', undefined)).toBe(512);
    expect(responseSizeLimit('udp', { udpPayloadSize: 100, version: 0, dnssecOk: false })).toBe(512);
    expect(responseSizeLimit('udp', { udpPayloadSize: 4096, version: 0, dnssecOk: false })).toBe(1232);
    expect(responseSizeLimit('tcp', undefined)).toBe(65535);
  });

  it('relays upstream bytes with the id and the question case of this client', () => {
    const { query, question } = decoded('Example.ORG', 'A', { id: 0x4242 });
    const upstream = Buffer.from(buildQuery('example.org', 'A', { id: 0x0101 }));
    upstream[2]! |= 0x80;
    const out = Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: upstream }, { transport: 'udp', recursionAvailable: true }));
    expect(out.readUInt16BE(0)).toBe(0x4242);
    expect(out.subarray(12)).toEqual(Buffer.from(question));
    expect(upstream.readUInt16BE(0)).toBe(0x0101); // the input is not mutated
  });
});
