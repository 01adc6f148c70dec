/**
 * Reads the records of an upstream reply into our record shapes, for answers we compose from an
 * upstream's (a CNAME chased out of the cluster zone): names decompressed, types we model typed,
 * others kept opaque with their RDATA names expanded (RFC 3597 §4). Pure; garbage is `undefined`.
 */
import { canonicalIp } from '../dns/ip.js';
import type { ResourceRecord } from '../dns/types.js';
import { walkMessage } from './reply-inspector.js';

/** The parts of a reply a composed answer uses. */
export interface ReplyRecords {
  readonly rcode: number;
  readonly truncated: boolean;
  readonly answer: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
}

const HEADER = 12;
const CLASS_IN = 1;
const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41 } as const;

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

interface WireName {
  /** Lowercase presentation text without the trailing dot; odd octets escaped (`\.`, `\\`, `\DDD`). */
  readonly text: string;
  /** True when no label needed an escape, so the text round-trips through any name writer. */
  readonly plain: boolean;
  /** The name's labels, uncompressed, ending in the root octet. */
  readonly wire: readonly number[];
  /** Offset just past the name where it was read (after the first pointer, if any). */
  readonly end: number;
}

/** Reads a possibly compressed name (RFC 1035 §4.1.4); pointers must go backwards, the name ≤ 255 octets. */
export function readWireName(b: Uint8Array, start: number): WireName | undefined {
  const labels: string[] = [];
  const wire: number[] = [];
  let plain = true;
  let pos = start;
  let end = -1;
  let limit = start; // every pointer must land before the last place we jumped from
  for (;;) {
    if (pos >= b.length) return undefined;
    const len = b[pos]!;
    if (len === 0) {
      wire.push(0);
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > b.length) return undefined;
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      if (target < HEADER || target >= limit) return undefined;
      if (end < 0) end = pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > b.length) return undefined;
    let label = '';
    wire.push(len);
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = b[i]!;
      wire.push(c);
      const lower = c >= 0x41 && c <= 0x5a ? c + 32 : c;
      if (c === 0x2e || c === 0x5c) {
        label += `\\${String.fromCharCode(c)}`;
        plain = false;
      } else if (c <= 0x20 || c >= 0x7f) {
        label += `\\${String(c).padStart(3, '0')}`;
        plain = false;
      } else {
        label += String.fromCharCode(lower);
      }
    }
    labels.push(label);
    if (wire.length > 255) return undefined;
    pos += len + 1;
  }
  return { text: labels.join('.'), plain, wire, end };
}

/** The records of a reply's answer and authority sections (class IN only), or undefined if any is malformed. */
export function readReplyRecords(b: Uint8Array): ReplyRecords | undefined {
  if (b.length < HEADER || (b[2]! & 0x80) === 0) return undefined;
  const layout = walkMessage(b);
  if (!layout) return undefined;
  const answer: ResourceRecord[] = [];
  const authority: ResourceRecord[] = [];
  // The RRs sit back to back after the question, so each owner name starts where the last RR ended.
  let ownerAt = layout.questionEnd;
  for (const rr of layout.rrs) {
    const start = ownerAt;
    ownerAt = rr.rdataOffset + rr.rdlength;
    if (rr.section === 'additional' || rr.type === T.OPT) continue;
    if (u16(b, rr.ttlOffset - 2) !== CLASS_IN) continue;
    const owner = readWireName(b, start);
    if (!owner) return undefined;
    const raw = u32(b, rr.ttlOffset);
    const ttl = raw > 0x7fffffff ? 0 : raw; // RFC 2181 §8
    const record = readRecord(b, owner.text, ttl, rr.type, rr.rdataOffset, rr.rdlength);
    if (!record) return undefined;
    (rr.section === 'answer' ? answer : authority).push(record);
  }
  return { rcode: b[3]! & 0x0f, truncated: (b[2]! & 0x02) !== 0, answer, authority };
}

function readRecord(b: Uint8Array, name: string, ttl: number, type: number, at: number, length: number): ResourceRecord | undefined {
  const end = at + length;
  switch (type) {
    case T.A:
      if (length !== 4) return undefined;
      return { type: 'A', name, ttl, address: `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}` };
    case T.AAAA: {
      if (length !== 16) return undefined;
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(u16(b, at + i).toString(16));
      return { type: 'AAAA', name, ttl, address: canonicalIp(groups.join(':'))! };
    }
    case T.CNAME:
    case T.NS:
    case T.PTR: {
      const target = readWireName(b, at);
      if (!target || target.end !== end) return undefined;
      if (!target.plain) return opaque(name, ttl, type, target.wire);
      return type === T.CNAME ? { type: 'CNAME', name, ttl, target: target.text } : type === T.NS ? { type: 'NS', name, ttl, target: target.text } : { type: 'PTR', name, ttl, target: target.text };
    }
    case T.MX: {
      // RFC 1035 §3.3.9: preference, exchange (compressible): kept opaque with the exchange expanded.
      if (length < 3) return undefined;
      const exchange = readWireName(b, at + 2);
      if (!exchange || exchange.end !== end) return undefined;
      return opaque(name, ttl, type, [b[at]!, b[at + 1]!, ...exchange.wire]);
    }
    case T.SRV: {
      if (length < 7) return undefined;
      const target = readWireName(b, at + 6);
      if (!target || target.end !== end) return undefined;
      if (!target.plain) return opaque(name, ttl, type, [...b.subarray(at, at + 6), ...target.wire]);
      return { type: 'SRV', name, ttl, priority: u16(b, at), weight: u16(b, at + 2), port: u16(b, at + 4), target: target.text };
    }
    case T.SOA: {
      const mname = readWireName(b, at);
      const rname = mname && readWireName(b, mname.end);
      if (!mname || !rname || rname.end + 20 !== end) return undefined;
      const o = rname.end;
      if (!mname.plain || !rname.plain) return opaque(name, ttl, type, [...mname.wire, ...rname.wire, ...b.subarray(o, end)]);
      return { type: 'SOA', name, ttl, mname: mname.text, rname: rname.text, serial: u32(b, o), refresh: u32(b, o + 4), retry: u32(b, o + 8), expire: u32(b, o + 12), minimum: u32(b, o + 16) };
    }
    case T.TXT: {
      const texts: string[] = [];
      let ascii = true;
      for (let pos = at; pos < end; ) {
        const len = b[pos]!;
        if (pos + 1 + len > end) return undefined;
        let text = '';
        for (let i = pos + 1; i <= pos + len; i++) {
          if (b[i]! >= 0x80) ascii = false;
          text += String.fromCharCode(b[i]!);
        }
        texts.push(text);
        pos += 1 + len;
      }
      // Our TXT writer encodes UTF-8; bytes that are not ASCII go through as they came.
      return ascii && texts.length > 0 ? { type: 'TXT', name, ttl, texts } : opaque(name, ttl, type, b.subarray(at, end));
    }
    default:
      // Other types carry no compressed names (RFC 3597 §4) and pass through as they came.
      return opaque(name, ttl, type, b.subarray(at, end));
  }
}

function opaque(name: string, ttl: number, rrtype: number, rdata: ArrayLike<number>): ResourceRecord {
  return { type: 'OPAQUE', name, ttl, rrtype, rdata: Uint8Array.from(rdata) };
}
