/**
 * A strict, bounds-checked walk over a DNS reply from an upstream: where each TTL sits, how long the
 * reply may be cached (RFC 2181 §8, RFC 2308 §5), and whether it answers our question. Never throws.
 */

export interface ReplyInfo {
  readonly id: number;
  readonly rcode: number;
  readonly truncated: boolean;
  /** Byte range of the question (name, type, class), when QDCOUNT is 1. */
  readonly questionStart: number;
  readonly questionEnd: number;
  /** Offsets of every RR's 32-bit TTL, OPT excluded. */
  readonly ttlOffsets: readonly number[];
  /** Seconds the reply may be cached: min answer TTL, or the SOA's negative TTL; undefined = don't. */
  readonly cacheTtl: number | undefined;
  readonly negative: boolean;
}

function skipName(b: Uint8Array, start: number): number {
  let pos = start;
  let total = 1;
  for (let guard = 0; guard < 128; guard++) {
    if (pos >= b.length) return -1;
    const len = b[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= b.length ? pos + 2 : -1;
    if (len & 0xc0) return -1;
    total += len + 1;
    if (total > 255) return -1;
    pos += len + 1;
  }
  return -1;
}

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export function inspectReply(b: Uint8Array): ReplyInfo | undefined {
  if (b.length < 12 || (b[2]! & 0x80) === 0) return undefined;
  const qd = u16(b, 4);
  const an = u16(b, 6);
  const ns = u16(b, 8);
  const ar = u16(b, 10);
  if (qd !== 1) return undefined;
  const questionEnd = skipName(b, 12);
  if (questionEnd < 0 || questionEnd + 4 > b.length) return undefined;
  let pos = questionEnd + 4;
  const ttlOffsets: number[] = [];
  let minAnswerTtl = Infinity;
  let negativeTtl: number | undefined;
  for (let i = 0; i < an + ns + ar; i++) {
    const nameEnd = skipName(b, pos);
    if (nameEnd < 0 || nameEnd + 10 > b.length) return undefined;
    const type = u16(b, nameEnd);
    const ttl = u32(b, nameEnd + 4);
    const rdlength = u16(b, nameEnd + 8);
    const rdata = nameEnd + 10;
    if (rdata + rdlength > b.length) return undefined;
    if (type !== 41) {
      ttlOffsets.push(nameEnd + 4);
      if (i < an) minAnswerTtl = Math.min(minAnswerTtl, ttl);
      if (i >= an && i < an + ns && type === 6) {
        // SOA RDATA: two names then serial, refresh, retry, expire, minimum.
        const mEnd = skipName(b, rdata);
        const rEnd = mEnd < 0 ? -1 : skipName(b, mEnd);
        if (rEnd > 0 && rEnd + 20 <= rdata + rdlength) negativeTtl = Math.min(ttl, u32(b, rEnd + 16));
      }
    }
    pos = rdata + rdlength;
  }
  if (pos !== b.length) return undefined;
  const rcode = b[3]! & 0x0f;
  const negative = rcode === 3 || (rcode === 0 && an === 0);
  const cacheTtl = rcode === 0 || rcode === 3 ? (negative ? negativeTtl : Number.isFinite(minAnswerTtl) ? minAnswerTtl : undefined) : undefined;
  return { id: u16(b, 0), rcode, truncated: (b[2]! & 0x02) !== 0, questionStart: 12, questionEnd: questionEnd + 4, ttlOffsets, cacheTtl, negative };
}

/** True when two messages carry the same question (name case-insensitively, type, class). */
export function questionsEqual(a: Uint8Array, b: Uint8Array): boolean {
  const aEnd = skipName(a, 12);
  const bEnd = skipName(b, 12);
  if (aEnd < 0 || bEnd < 0 || aEnd !== bEnd || aEnd + 4 > a.length || bEnd + 4 > b.length) return false;
  for (let i = 12; i < aEnd + 4; i++) {
    let x = a[i]!;
    let y = b[i]!;
    if (x >= 0x41 && x <= 0x5a) x += 32;
    if (y >= 0x41 && y <= 0x5a) y += 32;
    if (x !== y) return false;
  }
  return true;
}
