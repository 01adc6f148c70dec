/**
 * Wire fuzz: hostile, mutated and random messages against a running server over UDP and TCP, and
 * against the pure decoder. Fixed seeds (FUZZ_SEED overrides); fast-check prints seed and path on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQuery, type QueryVerdict } from '../../src/wire/query-decoder.js';
import { encodeVerdict } from '../../src/wire/answer-encoder.js';
import { decodeReply, queryTcp, queryUdp, type DecodedReply } from '../helpers/dns-client.js';
import { startServer } from '../helpers/start-server.js';
import { ANY_RCODES, mutatedCase, randomCase, structuredCase, type Case } from './wire-arbitraries.js';
import { createWireProbe, type WireProbe } from './wire-probe.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
const zones = ['test/fixtures/equivalence/native.yaml'];
const WEB = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];

/** The question section's bytes of a message (uncompressed name at offset 12, then type and class). */
function questionBytes(buf: Uint8Array): Uint8Array {
  let pos = 12;
  while (buf[pos]! !== 0) pos += buf[pos]! + 1;
  return buf.subarray(12, pos + 5);
}

/** Checks one reply against the query and its expected outcome; returns it decoded. */
function checkReply(c: Case, raw: Buffer): DecodedReply {
  const q = c.bytes;
  const r = decodeReply(raw); // throws on a malformed message or trailing bytes
  const opcode = (q[2]! >> 3) & 0x0f;
  expect(r.id).toBe((q[0]! << 8) | q[1]!);
  expect(r.bits.qr).toBe(true);
  expect(r.opcode).toBe(opcode);
  expect(r.bits.rd).toBe((q[2]! & 0x01) !== 0);
  expect(ANY_RCODES).toContain(r.rcode);
  if (opcode !== 0) expect(r.rcode).toBe('NOTIMP');
  const qdcount = raw.readUInt16BE(4);
  expect(qdcount).toBeLessThanOrEqual(1);
  if (qdcount === 1) expect(Buffer.from(questionBytes(raw))).toEqual(Buffer.from(q.subarray(12, 12 + questionBytes(raw).length)));
  if (r.rcode === 'BADVERS') expect(r.edns).toBeDefined();
  const e = c.expected;
  if (e.kind === 'reply') {
    expect(e.rcodes).toContain(r.rcode);
    if (e.question) expect(Buffer.from(questionBytes(raw))).toEqual(Buffer.from(e.question));
    else expect(qdcount).toBe(0);
    if (e.answer) expect(r.answer).toEqual(e.answer);
  }
  return r;
}

const mustDrop = (bytes: Uint8Array): boolean => bytes.length < 12 || (bytes[2]! & 0x80) !== 0;

/** Sends a case over UDP and TCP and checks both replies, and that they agree. */
async function runCase(probe: WireProbe, c: Case): Promise<void> {
  const [udp, tcp] = [await probe.exchange('udp', c.bytes), await probe.exchange('tcp', c.bytes)];
  const drop = c.expected.kind === 'drop' || (c.expected.kind === 'unknown' && mustDrop(c.bytes));
  if (drop || mustDrop(c.bytes)) {
    expect({ udp: udp.length, tcp: tcp.length }).toEqual({ udp: 0, tcp: 0 });
    return;
  }
  expect({ udp: udp.length, tcp: tcp.length }).toEqual({ udp: 1, tcp: 1 });
  const u = checkReply(c, udp[0]!);
  checkReply(c, tcp[0]!);
  // A reply that fitted in a datagram is the same message over TCP.
  if (!u.bits.tc) expect(tcp[0]!.toString('hex')).toBe(udp[0]!.toString('hex'));
}

async function fuzzServer(arbitrary: fc.Arbitrary<Case>, numRuns: number, seed: number): Promise<void> {
  const { port } = await startServer({ zones });
  const probe = await createWireProbe(port);
  try {
    await fc.assert(fc.asyncProperty(arbitrary, (c) => runCase(probe, c)), { numRuns, seed, endOnFailure: true });
  } finally {
    probe.close();
  }
  // After the batch a correct query still gets the correct answer, over both transports.
  expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
  expect((await queryTcp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
}

describe('wire fuzz against a running server (UDP and TCP)', () => {
  it('answers structured hostile messages exactly as specified', async () => {
    await fuzzServer(structuredCase, 600, SEED);
  });

  it('survives mutated valid queries: every reply well formed, echoing id and question', async () => {
    await fuzzServer(mutatedCase, 400, SEED + 1);
  });

  it('survives random bytes', async () => {
    await fuzzServer(randomCase, 300, SEED + 2);
  });

  it('covers every opcode and EDNS version 0-255 at least once', async () => {
    const { port } = await startServer({ zones });
    const probe = await createWireProbe(port);
    try {
      const base = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 3, 0x77, 0x65, 0x62, 4, 0x73, 0x68, 0x6f, 0x70, 3, 0x73, 0x76, 0x63, 7, ...Buffer.from('cluster'), 5, ...Buffer.from('local'), 0, 0, 1, 0, 1];
      for (let opcode = 0; opcode < 16; opcode++) {
        const bytes = Uint8Array.from([...base.slice(0, 2), (opcode << 3) | 1, ...base.slice(3, 11), 0, ...base.slice(12)]);
        const [udp] = await probe.exchange('udp', bytes);
        expect(decodeReply(udp!).rcode).toBe(opcode === 0 ? 'NOERROR' : 'NOTIMP');
      }
      for (let version = 0; version < 256; version++) {
        const size = (version * 257) & 0xffff;
        const bytes = Uint8Array.from([...base, 0, 0, 41, size >> 8, size & 0xff, 0, version, 0, 0, 0, 0]);
        const [tcp] = await probe.exchange(version % 2 ? 'tcp' : 'udp', bytes);
        const r = decodeReply(tcp!);
        expect([r.rcode, r.edns?.version]).toEqual(version === 0 ? ['NOERROR', 0] : ['BADVERS', 0]);
        if (version === 0) expect(r.answer).toEqual(WEB);
      }
    } finally {
      probe.close();
    }
  });
});

describe('query decoder (pure)', () => {
  const meta = { transport: 'udp' as const, client: { address: '127.0.0.1', port: 1 } };
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    structuredCase.map((c) => c.bytes),
    mutatedCase.map((c) => c.bytes),
  );

  it('never throws, returns a verdict consistent with the header, and every error verdict encodes to a well-formed reply', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        let verdict: QueryVerdict;
        try {
          verdict = decodeQuery(bytes, meta);
        } catch (error) {
          throw new Error(`decodeQuery threw on ${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
        }
        expect(['drop', 'formerr', 'notimp', 'badvers', 'query']).toContain(verdict.kind);
        if (mustDrop(bytes)) {
          expect(verdict.kind).toBe('drop');
          return;
        }
        const opcode = (bytes[2]! >> 3) & 0x0f;
        if (opcode !== 0) expect(verdict.kind).toBe('notimp');
        if (verdict.kind === 'query') {
          expect(bytes[4]! * 256 + bytes[5]!).toBe(1);
          expect(Buffer.from(verdict.question)).toEqual(Buffer.from(bytes.subarray(12, 12 + verdict.question.length)));
          expect(verdict.query.lowerName).toBe(verdict.query.lowerName.toLowerCase());
          expect(verdict.query.type).not.toBe(41);
          return;
        }
        if (verdict.kind === 'drop') throw new Error('dropped a packet with a header and QR=0');
        for (const transport of ['udp', 'tcp'] as const) {
          const reply = Buffer.from(encodeVerdict(verdict, { transport }));
          const r = decodeReply(reply);
          expect(r.id).toBe((bytes[0]! << 8) | bytes[1]!);
          expect(r.rcode).toBe({ formerr: 'FORMERR', notimp: 'NOTIMP', badvers: 'BADVERS' }[verdict.kind]);
        }
      }),
      { numRuns: 20_000, seed: SEED + 3 },
    );
  });
});
