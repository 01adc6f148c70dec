/**
 * Marks the queries we forward with an EDNS option of our own, so a query that comes back to us
 * through a chain of forwarders is recognised as a loop. Pure byte functions.
 *
 * The option code is in the "Reserved for Local/Experimental Use" range 65001-65534 (RFC 6891 §9).
 * Resolvers ignore options they do not know (RFC 6891 §6.1.2), and forwarders that relay the query
 * as received (CoreDNS forward, dnsmasq) keep it. Only queries that already carry an OPT record are
 * marked: adding one would change what the upstream may send back to a client that never asked for
 * EDNS (RFC 6891 §7).
 */
import { randomBytes } from 'node:crypto';
import { walkMessage } from '../wire/reply-inspector.js';

/** EDNS option code of the loop marker. */
export const LOOP_OPTION_CODE = 65_353;
const TYPE_OPT = 41;

/** A fresh random token: one per upstream client, so two servers in one process tell each other apart. */
export function createLoopToken(): Uint8Array {
  return randomBytes(8);
}

/** Where the OPT record's RDATA sits in a query, if it has exactly one (RFC 6891 §6.1.1). */
function findOpt(query: Uint8Array): { rdlengthOffset: number; rdataOffset: number; rdlength: number } | undefined {
  const layout = walkMessage(query);
  if (!layout) return undefined;
  const opts = layout.rrs.filter((rr) => rr.type === TYPE_OPT && rr.section === 'additional');
  if (opts.length !== 1) return undefined;
  const opt = opts[0]!;
  return { rdlengthOffset: opt.rdataOffset - 2, rdataOffset: opt.rdataOffset, rdlength: opt.rdlength };
}

/** A copy of `query` with our option appended to its OPT record; a plain copy when it has no OPT. */
export function markQuery(query: Uint8Array, token: Uint8Array): Uint8Array {
  const opt = findOpt(query);
  if (!opt || opt.rdlength + 4 + token.length > 0xffff) return Uint8Array.from(query);
  const insertAt = opt.rdataOffset + opt.rdlength;
  const option = new Uint8Array(4 + token.length);
  option[0] = LOOP_OPTION_CODE >> 8;
  option[1] = LOOP_OPTION_CODE & 0xff;
  option[2] = token.length >> 8;
  option[3] = token.length & 0xff;
  option.set(token, 4);
  const out = new Uint8Array(query.length + option.length);
  out.set(query.subarray(0, insertAt), 0);
  out.set(option, insertAt);
  out.set(query.subarray(insertAt), insertAt + option.length);
  const rdlength = opt.rdlength + option.length;
  out[opt.rdlengthOffset] = rdlength >> 8;
  out[opt.rdlengthOffset + 1] = rdlength & 0xff;
  return out;
}

/** True when `query` carries our option with exactly our token: we sent it, and it came back. */
export function carriesToken(query: Uint8Array, token: Uint8Array): boolean {
  const opt = findOpt(query);
  if (!opt) return false;
  const end = opt.rdataOffset + opt.rdlength;
  for (let pos = opt.rdataOffset; pos + 4 <= end; ) {
    const code = (query[pos]! << 8) | query[pos + 1]!;
    const length = (query[pos + 2]! << 8) | query[pos + 3]!;
    const data = pos + 4;
    if (data + length > end) return false;
    if (code === LOOP_OPTION_CODE && length === token.length && token.every((byte, i) => query[data + i] === byte)) return true;
    pos = data + length;
  }
  return false;
}
