/**
 * fast-check generators for hostile DNS messages, each with the outcome RFC 1035/6891 and the
 * README call for, so a property can check the whole reply rather than "something came back".
 */
import fc from 'fast-check';
import { buildQuery, encodeName } from '../helpers/dns-client.js';

/** What the server must do with a message. `rcodes`: the acceptable ones; `question`: echoed bytes. */
export type Expected =
  | { readonly kind: 'drop' }
  | { readonly kind: 'reply'; readonly rcodes: readonly string[]; readonly question: Uint8Array | undefined; readonly answer?: readonly string[] }
  /** Anything but a crash: drop, or a well-formed reply with a sensible rcode (checked generically). */
  | { readonly kind: 'unknown' };

export interface Case {
  readonly bytes: Uint8Array;
  readonly expected: Expected;
}

/** Names from test/fixtures/equivalence/native.yaml with their exact answers (upstream: none). */
export const KNOWN: readonly { name: string; type: number; rcode: string; answer: readonly string[] }[] = [
  { name: 'web.shop.svc.cluster.local', type: 1, rcode: 'NOERROR', answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'] },
  { name: 'web.shop.svc.cluster.local', type: 28, rcode: 'NOERROR', answer: ['web.shop.svc.cluster.local. 5 IN AAAA fd00::10'] },
  { name: 'db-0.db.shop.svc.cluster.local', type: 1, rcode: 'NOERROR', answer: ['db-0.db.shop.svc.cluster.local. 5 IN A 10.244.1.10'] },
  { name: 'missing.shop.svc.cluster.local', type: 1, rcode: 'NXDOMAIN', answer: [] },
  { name: 'web.shop.svc.cluster.local', type: 16, rcode: 'NOERROR', answer: [] },
  { name: 'example.org', type: 1, rcode: 'REFUSED', answer: [] },
];

/** Rcodes a well-formed QUERY may get from this server without an upstream. */
export const QUERY_RCODES = ['NOERROR', 'NXDOMAIN', 'REFUSED', 'NOTIMP'] as const;
export const ANY_RCODES = ['NOERROR', 'FORMERR', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'BADVERS'] as const;

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

interface NameSpec {
  readonly bytes: readonly number[];
  readonly valid: boolean;
  readonly known?: (typeof KNOWN)[number];
}

const label = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => [b.length, ...b]);

/** Question names: known, random bytes, over-long labels and names, pointers (never legal there). */
const nameArb: fc.Arbitrary<NameSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN).map((k) => ({ bytes: encodeName(k.name), valid: true, known: k })) },
  {
    weight: 3,
    arbitrary: fc.array(label(1, 63), { maxLength: 6 }).map((labels) => {
      const bytes = [...labels.flat(), 0];
      return { bytes, valid: bytes.length <= 255 };
    }),
  },
  // A label over 63 octets: its length byte is a reserved label type or a pointer.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 64, max: 255 }), fc.uint8Array({ maxLength: 70 })).map(([len, rest]) => ({ bytes: [len, ...rest, 0], valid: false })) },
  // Names at and just over 255 octets (RFC 1035 §2.3.4).
  {
    weight: 1,
    arbitrary: fc.integer({ min: 58, max: 66 }).map((last) => {
      const bytes = [...Array.from({ length: 3 }, () => [63, ...Array<number>(63).fill(0x61)]).flat(), last, ...Array<number>(last).fill(0x62), 0];
      return { bytes, valid: last <= 63 && bytes.length <= 255 };
    }),
  },
  // Compression pointers in the question: a self loop, backwards into the header, forwards.
  { weight: 1, arbitrary: fc.constantFrom([0xc0, 0x0c], [0xc0, 0x00], [0xc0, 0x40], [3, 0x77, 0x77, 0x77, 0xc0, 0x0c], [0xff, 0xff]).map((bytes) => ({ bytes, valid: false })) },
);

/** Owner names of other records: legal ones, and pointers that loop, go forward or into the header. */
type OwnerKind = 'root' | 'back' | 'label' | 'self' | 'forward' | 'header' | 'reserved';
const ownerArb = fc.constantFrom<OwnerKind>('root', 'back', 'label', 'self', 'forward', 'header', 'reserved');
const ownerValid = (k: OwnerKind): boolean => k === 'root' || k === 'back' || k === 'label';
function ownerBytes(kind: OwnerKind, at: number): number[] {
  switch (kind) {
    case 'root': return [0];
    case 'back': return [0xc0, 0x0c];
    case 'label': return [3, 0x61, 0x62, 0x63, 0];
    case 'self': return [0xc0 | (at >> 8), at & 0xff];
    case 'forward': return [0xc0 | ((at + 2) >> 8), (at + 2) & 0xff];
    case 'header': return [0xc0, 0x04];
    case 'reserved': return [0x80, 0];
  }
}

interface RecordSpec {
  readonly section: 0 | 1 | 2;
  readonly owner: OwnerKind;
  readonly opt?: { readonly size: number; readonly extRcode: number; readonly version: number; readonly dnssecOk: boolean; readonly optionsValid: boolean; readonly options: readonly number[] };
  readonly type: number;
  readonly rdata: readonly number[];
}

const optionListArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 12 })), { maxLength: 3 }).map((opts) => opts.flatMap(([code, data]) => [...u16(code), ...u16(data.length), ...data]));

const recordArb: fc.Arbitrary<RecordSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      section: fc.constantFrom<0 | 1 | 2>(2, 2, 2, 2, 0, 1),
      owner: fc.oneof({ weight: 6, arbitrary: fc.constant<OwnerKind>('root') }, { weight: 1, arbitrary: ownerArb }),
      opt: fc.record({
        size: fc.oneof(fc.constantFrom(0, 1, 511, 512, 1232, 4096, 65535), fc.integer({ min: 0, max: 65535 })),
        extRcode: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
        version: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) }),
        dnssecOk: fc.boolean(),
        optionsValid: fc.boolean(),
        options: optionListArb,
      }),
      type: fc.constant(41),
      rdata: fc.constant([]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      section: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      owner: ownerArb,
      type: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 41),
      rdata: fc.uint8Array({ maxLength: 16 }).map((b) => [...b]),
    }),
  },
);

/** One well-formed OPT in the additional section (any size, version, DO, options). */
const cleanOptArb: fc.Arbitrary<RecordSpec> = fc.record({
  size: fc.integer({ min: 0, max: 65535 }),
  extRcode: fc.constant(0),
  version: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) }),
  dnssecOk: fc.boolean(),
  optionsValid: fc.constant(true),
  options: optionListArb,
}).map((opt) => ({ section: 2 as const, owner: 'root' as const, opt, type: 41, rdata: [] }));

/** Structured hostile messages with their exact expected outcome. */
export const structuredCase: fc.Arbitrary<Case> = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffff }),
    qr: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    opcode: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    otherFlags: fc.integer({ min: 0, max: 0x07ff }).map((f) => f & 0x07ff),
    qdcount: fc.oneof({ weight: 16, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 0xffff) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    name: nameArb,
    // -1: the known name's own type, so exact answers are checked often.
    qtype: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 4, arbitrary: fc.constantFrom(1, 28, 33, 12, 16, 6, 2, 5, 255) }, { weight: 1, arbitrary: fc.constantFrom(41, 251, 252, 253, 254, 249, 250) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    qclass: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(3, 4, 254, 255) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    records: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as RecordSpec[]) },
      { weight: 3, arbitrary: cleanOptArb.map((r) => [r]) },
      { weight: 3, arbitrary: fc.array(recordArb, { maxLength: 4 }) },
    ),
    countSkew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 3 }) }),
    trailing: fc.oneof({ weight: 8, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => [...b]) }),
    truncateHeader: fc.oneof({ weight: 15, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 11 }) }),
  })
  .map((s): Case => {
    const qtype = s.qtype === -1 ? (s.name.known?.type ?? 1) : s.qtype;
    const records = [...s.records].sort((a, b) => a.section - b.section);
    const counts = [0, 0, 0];
    for (const r of records) counts[r.section]!++;
    // Only a surplus with nothing after it is certain to fail: garbage might parse as one more record.
    const skew = s.trailing.length > 0 && s.countSkew > 0 ? 0 : Math.max(-counts[2]!, s.countSkew);
    const arcount = counts[2]! + skew;
    const flags = (s.qr ? 0x8000 : 0) | (s.opcode << 11) | s.otherFlags;
    const bytes: number[] = [...u16(s.id), ...u16(flags), ...u16(s.qdcount), ...u16(counts[0]!), ...u16(counts[1]!), ...u16(arcount)];
    bytes.push(...s.name.bytes, ...u16(qtype), ...u16(s.qclass));
    const questionEnd = bytes.length;
    let recordsValid = true;
    let optBad = false;
    let opts = 0;
    let version = 0;
    for (const r of records) {
      const owner = ownerBytes(r.owner, bytes.length);
      recordsValid &&= ownerValid(r.owner);
      bytes.push(...owner);
      if (r.opt) {
        opts++;
        const rdata = r.opt.optionsValid ? [...r.opt.options] : [...r.opt.options, 0, 1, 0];
        if (r.owner !== 'root' || r.section !== 2 || opts > 1 || !r.opt.optionsValid) optBad = true;
        if (opts === 1) version = r.opt.version;
        bytes.push(0, 41, ...u16(r.opt.size), r.opt.extRcode, r.opt.version, r.opt.dnssecOk ? 0x80 : 0, 0, ...u16(rdata.length), ...rdata);
      } else {
        bytes.push(...u16(r.type), 0, 1, 0, 0, 0, 60, ...u16(r.rdata.length), ...r.rdata);
      }
    }
    // Records after the declared count are trailing bytes, and a missing one is a short packet.
    const countsRight = skew === 0;
    bytes.push(...s.trailing);
    const packet = Uint8Array.from(bytes);
    if (s.truncateHeader >= 0) return { bytes: packet.subarray(0, s.truncateHeader), expected: { kind: 'drop' } };
    if (s.qr) return { bytes: packet, expected: { kind: 'drop' } };
    const nameOk = s.name.valid;
    const echoed = s.qdcount === 1 && nameOk ? packet.subarray(12, questionEnd) : undefined;
    const reply = (rcodes: readonly string[], answer?: readonly string[]): Case => ({ bytes: packet, expected: { kind: 'reply', rcodes, question: echoed, ...(answer ? { answer } : {}) } });
    if (s.opcode !== 0) return reply(['NOTIMP']);
    if (s.qdcount !== 1 || !nameOk || qtype === 41) return reply(['FORMERR']);
    // A dropped record leaves bytes a later record or the trailing check reads; both end in FORMERR
    // unless the records were all legal and only the count was short: then leftovers are trailing.
    if (!recordsValid || !countsRight || s.trailing.length > 0) return reply(['FORMERR']);
    if (optBad) return reply(['FORMERR']);
    if (opts === 1 && version !== 0) return reply(['BADVERS']);
    if (s.qclass !== 1 || qtype === 251 || qtype === 252) return reply(['REFUSED']);
    if ([253, 254, 249, 250].includes(qtype)) return reply(['NOTIMP']);
    const known = s.name.known;
    if (known && known.type === qtype) return reply([known.rcode], known.answer);
    return reply(QUERY_RCODES);
  });

/** A valid query to mutate: a known name, with or without EDNS. */
const seedQuery = fc
  .tuple(fc.constantFrom(...KNOWN), fc.integer({ min: 0, max: 0xffff }), fc.boolean())
  .map(([k, id, edns]) => buildQuery(k.name, k.type, { id, ...(edns ? { edns: {} } : {}) }));

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; value: number } | { kind: 'truncate'; at: number } | { kind: 'extend'; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);

/** Mutated valid queries (bit flips, overwrites, truncation, extension): outcome checked generically. */
export const mutatedCase: fc.Arbitrary<Case> = fc.tuple(seedQuery, fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([query, mutations]) => {
  let bytes = Buffer.from(query);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    if (m.kind === 'flip') { const i = m.at % bytes.length; bytes[i] = bytes[i]! ^ (1 << m.bit); }
    else if (m.kind === 'set') bytes[m.at % bytes.length] = m.value;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, m.at % bytes.length);
    else bytes = Buffer.concat([bytes, m.bytes]);
  }
  return { bytes: Uint8Array.from(bytes), expected: { kind: 'unknown' } };
});

/** Random bytes, mostly header-sized or a little more. */
export const randomCase: fc.Arbitrary<Case> = fc
  .oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 12, maxLength: 96 }), fc.uint8Array({ minLength: 12, maxLength: 1500 }))
  .map((bytes) => ({ bytes, expected: { kind: 'unknown' } }));
