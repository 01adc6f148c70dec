/**
 * A strict, bounds-checked walk over a DNS message from an upstream: where each RR and its TTL sit,
 * how long a reply may be cached (RFC 2181 §8, RFC 2308 §5), and whether it answers our question.
 * Allocation-light, no dns2 (its parser hides errors), and it never throws: garbage is `undefined`.
 */

/** Where one resource record sits in a message. Offsets are from the start of the message. */
export interface RrPosition {
  readonly section: 'answer' | 'authority' | 'additional';
  readonly type: number;
  /** Offset of the 32-bit TTL (for OPT, the extended rcode, version and flags). */
  readonly ttlOffset: number;
  readonly rdataOffset: number;
  readonly rdlength: number;
}

/** The layout of a whole message with exactly one question, every byte accounted for. */
export interface MessageLayout {
  readonly id: number;
  /** Offset just past the question's QTYPE and QCLASS. */
  readonly questionEnd: number;
  readonly rrs: readonly RrPosition[];
}

/** What the cache and the upstream client need to know about a reply. */
export interface ReplyInfo {
  readonly id: number;
  readonly rcode: number;
  readonly truncated: boolean;
  /** Byte range of the question (name, type, class). */
  readonly questionStart: number;
  readonly questionEnd: number;
  /** Offsets of every RR's 32-bit TTL, OPT excluded. */
  readonly ttlOffsets: readonly number[];
  /**
   * Seconds the reply may be cached, before any cap: the smallest answer TTL for a positive reply;
   * min(SOA TTL, SOA MINIMUM) for NXDOMAIN/NODATA (RFC 2308 §5), also bounding a CNAME chain that
   * ends in one; undefined when the reply must not be cached (other rcodes, negative without SOA).
   */
  readonly cacheTtl: number | undefined;
  /** NXDOMAIN, or NOERROR with an empty answer section (NODATA, RFC 2308 §2.2). */
  readonly negative: boolean;
}

const HEADER = 12;
const TYPE_SOA = 6;
const TYPE_OPT = 41;
const SECTIONS = ['answer', 'authority', 'additional'] as const;

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/**
 * Skips the name at `start` and returns the offset just past it, or -1. Labels are at most 63 bytes
 * and the name at most 255 (RFC 1035 §2.3.4); a compression pointer ends the name and must point
 * backwards, into the message after the header (RFC 1035 §4.1.4). Pointer targets are not walked:
 * they were checked when they were read, being earlier in the message.
 */
export function skipName(b: Uint8Array, start: number): number {
  let pos = start;
  let total = 1;
  for (;;) {
    if (pos >= b.length) return -1;
    const len = b[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > b.length) return -1;
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      return target >= HEADER && target < start ? pos + 2 : -1;
    }
    if ((len & 0xc0) !== 0) return -1; // 0x40 and 0x80 label types are obsolete (RFC 6891 §5).
    total += len + 1;
    if (total > 255) return -1;
    pos += len + 1;
  }
}

/** Walks a message with exactly one question; undefined unless every count and length adds up exactly. */
export function walkMessage(b: Uint8Array): MessageLayout | undefined {
  if (b.length < HEADER || u16(b, 4) !== 1) return undefined;
  const counts = [u16(b, 6), u16(b, 8), u16(b, 10)] as const;
  const nameEnd = skipName(b, HEADER);
  if (nameEnd < 0 || nameEnd + 4 > b.length) return undefined;
  const questionEnd = nameEnd + 4;
  let pos = questionEnd;
  const rrs: RrPosition[] = [];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const end = skipName(b, pos);
      if (end < 0 || end + 10 > b.length) return undefined;
      const rdlength = u16(b, end + 8);
      const rdataOffset = end + 10;
      if (rdataOffset + rdlength > b.length) return undefined;
      rrs.push({ section: SECTIONS[s]!, type: u16(b, end), ttlOffset: end + 4, rdataOffset, rdlength });
      pos = rdataOffset + rdlength;
    }
  }
  if (pos !== b.length) return undefined;
  return { id: u16(b, 0), questionEnd, rrs };
}

/** Reads a reply (QR=1) for the cache and the upstream client; undefined for anything malformed. */
export function inspectReply(b: Uint8Array): ReplyInfo | undefined {
  if (b.length < HEADER || (b[2]! & 0x80) === 0) return undefined;
  const layout = walkMessage(b);
  if (!layout) return undefined;
  const rcode = b[3]! & 0x0f;
  const ttlOffsets: number[] = [];
  let minAnswerTtl = Infinity;
  let negativeTtl: number | undefined;
  let answers = 0;
  for (const rr of layout.rrs) {
    if (rr.type === TYPE_OPT) continue;
    ttlOffsets.push(rr.ttlOffset);
    const raw = u32(b, rr.ttlOffset);
    const ttl = raw > 0x7fffffff ? 0 : raw; // RFC 2181 §8: a TTL with the top bit set means zero
    if (rr.section === 'answer') {
      answers++;
      minAnswerTtl = Math.min(minAnswerTtl, ttl);
    } else if (rr.section === 'authority' && rr.type === TYPE_SOA) {
      const soaTtl = soaNegativeTtl(b, rr, ttl);
      if (soaTtl === undefined) return undefined;
      negativeTtl = Math.min(negativeTtl ?? Infinity, soaTtl);
    }
  }
  const negative = rcode === 3 || (rcode === 0 && answers === 0);
  let cacheTtl: number | undefined;
  if (negative) cacheTtl = negativeTtl;
  else if (rcode === 0) cacheTtl = Math.min(minAnswerTtl, negativeTtl ?? Infinity);
  return { id: layout.id, rcode, truncated: (b[2]! & 0x02) !== 0, questionStart: HEADER, questionEnd: layout.questionEnd, ttlOffsets, cacheTtl, negative };
}

/** RFC 2308 §5: a negative answer lives for min(SOA TTL, SOA MINIMUM). Undefined if the RDATA is bad. */
function soaNegativeTtl(b: Uint8Array, rr: RrPosition, ttl: number): number | undefined {
  const end = rr.rdataOffset + rr.rdlength;
  const mname = skipName(b, rr.rdataOffset);
  const rname = mname < 0 || mname > end ? -1 : skipName(b, mname);
  if (rname < 0 || rname + 20 !== end) return undefined;
  return Math.min(ttl, u32(b, rname + 16));
}

/** True when two messages carry the same question: name (ASCII case-insensitively), type and class. */
export function questionsEqual(a: Uint8Array, b: Uint8Array): boolean {
  const aEnd = skipName(a, HEADER);
  if (aEnd < 0 || aEnd !== skipName(b, HEADER) || aEnd + 4 > a.length || aEnd + 4 > b.length) return false;
  for (let i = HEADER; i < aEnd + 4; i++) {
    if (lowerAscii(a[i]!) !== lowerAscii(b[i]!)) return false;
  }
  return true;
}

const lowerAscii = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);

/**
 * A copy of `reply` carrying the id of `query` and its question's letter case (RFC 4343 §4.1), so a
 * shared or cached reply reads as an answer to this very query. The questions must already be equal.
 */
export function addressReplyTo(reply: Uint8Array, query: Uint8Array): Uint8Array {
  const out = Uint8Array.from(reply);
  out[0] = query[0]!;
  out[1] = query[1]!;
  const nameEnd = skipName(query, HEADER);
  if (nameEnd > 0 && nameEnd <= out.length && skipName(out, HEADER) === nameEnd) out.set(query.subarray(HEADER, nameEnd), HEADER);
  return out;
}
