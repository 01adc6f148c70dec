/**
 * Builds the wire form of a query for forwarding when the client's own bytes are not at hand: header
 * (id, RD, CD), one question, and an OPT record carrying the client's EDNS size and DO bit. Pure.
 */
import type { Query } from '../dns/types.js';

/** Presentation text (`\.`, `\\` and `\DDD` escapes, no trailing dot) to wire labels; undefined if invalid. */
export function encodeQueryName(name: string): number[] | undefined {
  const out: number[] = [];
  let label: number[] = [];
  const endLabel = (): boolean => {
    if (label.length === 0 || label.length > 63) return false;
    out.push(label.length, ...label);
    label = [];
    return true;
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (!endLabel()) return undefined;
    } else if (c === 0x5c) {
      const digits = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits) && Number(digits) <= 255) {
        label.push(Number(digits));
        i += 3;
      } else if (i + 1 < name.length) {
        label.push(name.charCodeAt(++i) & 0xff);
      } else {
        return undefined;
      }
    } else if (c > 0xff) {
      return undefined;
    } else {
      label.push(c);
    }
  }
  if (name.length > 0 && !endLabel()) return undefined;
  out.push(0);
  return out.length > 255 ? undefined : out;
}

/** The query as bytes, or undefined when its name cannot be written. */
export function buildUpstreamQuery(query: Query): Uint8Array | undefined {
  const name = encodeQueryName(query.name);
  if (!name) return undefined;
  const bytes = [
    query.id >> 8, query.id & 0xff,
    (query.opcode << 3) | (query.recursionDesired ? 0x01 : 0), query.checkingDisabled ? 0x10 : 0,
    0, 1, 0, 0, 0, 0, 0, query.edns ? 1 : 0,
    ...name,
    query.type >> 8, query.type & 0xff, query.class >> 8, query.class & 0xff,
  ];
  if (query.edns) {
    // RFC 6891 §6.1.2: root owner, TYPE 41, CLASS = payload size, TTL = ext-rcode, version, DO flag.
    const size = Math.max(512, Math.min(query.edns.udpPayloadSize, 0xffff));
    bytes.push(0, 0, 41, size >> 8, size & 0xff, 0, 0, query.edns.dnssecOk ? 0x80 : 0, 0, 0, 0);
  }
  return Uint8Array.from(bytes);
}
