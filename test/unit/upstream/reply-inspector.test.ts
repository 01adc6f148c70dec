import { describe, expect, it } from 'vitest';
import { addressReplyTo, inspectReply, questionsEqual, walkMessage } from '../../../src/wire/reply-inspector.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { reply, rr, soa } from '../../helpers/fake-upstream.js';

const q = buildQuery('www.example.org', 'A', { id: 7 });
const A = [192, 0, 2, 1];

describe('inspectReply', () => {
  it('finds every TTL but the OPT one, and caches a positive reply for its smallest answer TTL', () => {
    const r = reply(q, { answer: [rr('www.example.org', 1, 300, A), rr('www.example.org', 1, 60, A)], authority: [rr('example.org', 2, 900, [0])] });
    const info = inspectReply(r)!;
    expect(info).toMatchObject({ id: 7, rcode: 0, truncated: false, negative: false, cacheTtl: 60 });
    expect(info.ttlOffsets.map((o) => r.readUInt32BE(o))).toEqual([300, 60, 900]);
  });

  it('caches NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), and not at all without an SOA', () => {
    expect(inspectReply(reply(q, { rcode: 3, authority: [soa('example.org', 3600, 60)] }))).toMatchObject({ negative: true, cacheTtl: 60 });
    expect(inspectReply(reply(q, { authority: [soa('example.org', 30, 600)] }))).toMatchObject({ negative: true, cacheTtl: 30 });
    expect(inspectReply(reply(q, { rcode: 3 }))).toMatchObject({ negative: true, cacheTtl: undefined });
  });

  it('bounds a CNAME that ends in NODATA by the SOA too, and does not cache REFUSED or SERVFAIL by TTL', () => {
    const cname = rr('www.example.org', 5, 3600, [3, 0x77, 0x65, 0x62, 0xc0, 16]);
    expect(inspectReply(reply(q, { answer: [cname], authority: [soa('example.org', 3600, 45)] }))?.cacheTtl).toBe(45);
    expect(inspectReply(reply(q, { rcode: 5 }))?.cacheTtl).toBeUndefined();
    expect(inspectReply(reply(q, { rcode: 2 }))).toMatchObject({ rcode: 2, cacheTtl: undefined });
  });

  it('treats a TTL with the top bit set as zero (RFC 2181 §8)', () => {
    expect(inspectReply(reply(q, { answer: [rr('www.example.org', 1, 0x80000000, A)] }))?.cacheTtl).toBe(0);
  });

  it('rejects what is not a well-formed reply', () => {
    const good = reply(q, { answer: [rr('www.example.org', 1, 300, A)] });
    expect(inspectReply(good)).toBeDefined();
    expect(inspectReply(q)).toBeUndefined(); // QR=0
    expect(inspectReply(Buffer.concat([good, Buffer.from([0])]))).toBeUndefined(); // trailing byte
    expect(inspectReply(good.subarray(0, good.length - 1))).toBeUndefined(); // short RDATA
    // An answer whose owner is a compression pointer: back to the question is fine, forwards is not.
    const header = reply(q, {});
    header.writeUInt16BE(1, 6);
    const fixed = Buffer.from([0, 1, 0, 1, 0, 0, 1, 44, 0, 4, ...A]);
    expect(inspectReply(Buffer.concat([header, Buffer.from([0xc0, 12]), fixed]))?.ttlOffsets).toEqual([header.length + 2 + 4]);
    expect(inspectReply(Buffer.concat([header, Buffer.from([0xc0, header.length]), fixed]))).toBeUndefined(); // itself
    expect(inspectReply(Buffer.concat([header, Buffer.from([0xc0, 4]), fixed]))).toBeUndefined(); // into the header
    const twoQuestions = Buffer.from(good);
    twoQuestions.writeUInt16BE(2, 4);
    expect(inspectReply(twoQuestions)).toBeUndefined();
  });

  it('never throws on garbage', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const good = reply(q, { answer: [rr('www.example.org', 1, 300, A)], authority: [soa('example.org', 3600, 60)] });
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(good);
      for (let flips = 0; flips < 1 + random() * 6; flips++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      expect(() => inspectReply(cut)).not.toThrow();
      expect(() => walkMessage(cut)).not.toThrow();
    }
  });
});

describe('questionsEqual and addressReplyTo', () => {
  it('compares questions ignoring ASCII case, and gives a reply the id and case of another query', () => {
    const upper = buildQuery('WWW.Example.ORG', 'A', { id: 99 });
    const r = reply(q, { answer: [rr('www.example.org', 1, 300, A)] });
    expect(questionsEqual(r, upper)).toBe(true);
    expect(questionsEqual(r, buildQuery('www.example.org', 'AAAA'))).toBe(false);
    expect(questionsEqual(r, buildQuery('www.example.net', 'A'))).toBe(false);
    const addressed = Buffer.from(addressReplyTo(r, upper));
    expect(addressed.readUInt16BE(0)).toBe(99);
    expect(addressed.subarray(12, 12 + 17)).toEqual(upper.subarray(12, 12 + 17));
    expect(addressed.subarray(12 + 17)).toEqual(r.subarray(12 + 17));
    expect(r.readUInt16BE(0)).toBe(7); // the original is untouched
  });
});
