/**
 * Strict, allocation-light decoder for incoming queries (hot path). It decides what the server does
 * with a packet: drop it, answer FORMERR/NOTIMP/BADVERS, or resolve a well-formed Query.
 * Hand-written rather than dns2's Packet.parse, which reads bit by bit and swallows section errors,
 * so it could neither tell FORMERR nor keep up with the socket.
 */
import { Opcode, RecordType } from '../dns/types.js';
import type { Edns, Query, TransportKind } from '../dns/types.js';

export interface PacketMeta {
  readonly transport: TransportKind;
  readonly client: { readonly address: string; readonly port: number };
}

/** What the header and (when readable) the question said, for error replies. */
export interface RequestEcho {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  /** The question's exact bytes (name, type, class) when it parsed, else undefined. */
  readonly question: Uint8Array | undefined;
  /** EDNS of the query when exactly one valid OPT was read. */
  readonly edns: Edns | undefined;
}

/**
 * The decision for one packet. `question` is a view of the packet's own question bytes: it starts at
 * offset 12 of the packet and is the name (`question.length - 4` octets) then QTYPE and QCLASS.
 *
 * Example, `Web.Shop.svc.cluster.local A` with EDNS:
 * `{ kind: 'query', query: { name: 'Web.Shop.svc.cluster.local', lowerName: 'web.shop.svc.cluster.local',
 * type: 1, class: 1, edns: { udpPayloadSize: 1232, version: 0, dnssecOk: false }, … }, question: <32 bytes> }`
 */
export type QueryVerdict =
  | { readonly kind: 'drop'; readonly reason: 'short' | 'response' }
  | { readonly kind: 'formerr'; readonly echo: RequestEcho; readonly reason: string }
  | { readonly kind: 'notimp'; readonly echo: RequestEcho }
  | { readonly kind: 'badvers'; readonly echo: RequestEcho }
  | { readonly kind: 'query'; readonly query: Query; readonly question: Uint8Array };

const HEADER = 12;
const MAX_NAME = 255;
const MAX_POINTERS = 64;

/**
 * Skips a name in a record starting at `offset`; returns the offset just past it or -1 when malformed.
 * Pointers (RFC 1035 §4.1.4) must land after the header and strictly before the pointer itself, so
 * every jump goes backwards and a loop or a forward reference cannot hang us.
 */
function skipName(buf: Uint8Array, offset: number): number {
  let pos = offset;
  let end = -1;
  let total = 1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) return -1;
    const len = buf[pos]!;
    if (len === 0) return end === -1 ? pos + 1 : end;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return -1;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target < HEADER || target >= pos || ++jumps > MAX_POINTERS) return -1;
      if (end === -1) end = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return -1; // 0x40 and 0x80 label types are reserved/obsolete (RFC 6891 §5).
    total += len + 1;
    if (total > MAX_NAME) return -1; // RFC 1035 §2.3.4, counted across pointers too
    pos += len + 1;
  }
}

/** A byte that may stand for itself in presentation text: printable ASCII except '.' and '\'. */
const isPlain = (c: number): boolean => c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c;

/**
 * Reads the question name (no pointers: nothing precedes it to point at) into presentation text.
 * `lower` folds ASCII letters only (RFC 4343 §3); escapes hold digits and punctuation, so
 * `toLowerCase` on the escaped text folds nothing else.
 */
function readQuestionName(buf: Uint8Array, offset: number): { name: string; lower: string; end: number } | undefined {
  let pos = offset;
  let name = '';
  let upper = false;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) {
      if (pos + 1 - offset > MAX_NAME) return undefined;
      return { name, lower: upper ? name.toLowerCase() : name, end: pos + 1 };
    }
    if (len > 63) return undefined; // a pointer, a reserved label type, or an over-long label
    const start = pos + 1;
    const end = start + len;
    if (end > buf.length || end - offset >= MAX_NAME) return undefined;
    if (name.length > 0) name += '.';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (isPlain(c)) {
        name += String.fromCharCode(c);
        if (c >= 0x41 && c <= 0x5a) upper = true;
      } else {
        name += c === 0x2e ? '\\.' : c === 0x5c ? '\\\\' : `\\${String(c).padStart(3, '0')}`;
      }
    }
    pos = end;
  }
}

/** Decides what to do with one received packet. Never throws. */
export function decodeQuery(buf: Uint8Array, meta: PacketMeta): QueryVerdict {
  if (buf.length < HEADER) return { kind: 'drop', reason: 'short' };
  const flags1 = buf[2]!;
  const flags2 = buf[3]!;
  if (flags1 & 0x80) return { kind: 'drop', reason: 'response' }; // never answer a response (RFC 1035 §4.1.1)
  const id = (buf[0]! << 8) | buf[1]!;
  const opcode = (flags1 >> 3) & 0x0f;
  const recursionDesired = (flags1 & 0x01) !== 0;
  const checkingDisabled = (flags2 & 0x10) !== 0;
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const ancount = (buf[6]! << 8) | buf[7]!;
  const nscount = (buf[8]! << 8) | buf[9]!;
  const arcount = (buf[10]! << 8) | buf[11]!;

  let question: Uint8Array | undefined;
  let parsed: ReturnType<typeof readQuestionName>;
  let qtype = 0;
  let qclass = 0;
  let pos = HEADER;
  if (qdcount >= 1) {
    parsed = readQuestionName(buf, HEADER);
    if (parsed && parsed.end + 4 <= buf.length) {
      qtype = (buf[parsed.end]! << 8) | buf[parsed.end + 1]!;
      qclass = (buf[parsed.end + 2]! << 8) | buf[parsed.end + 3]!;
      pos = parsed.end + 4;
      question = buf.subarray(HEADER, pos);
    } else {
      parsed = undefined;
    }
  }
  // Error replies echo the header (and question when there is exactly one); built only when needed.
  const q1 = qdcount === 1 ? question : undefined;

  // RFC 1035 §4.1.1: we implement QUERY only; say so even when the rest is unreadable.
  if (opcode !== Opcode.QUERY) return { kind: 'notimp', echo: echoOf(buf, q1, undefined) };
  if (qdcount !== 1) return { kind: 'formerr', echo: echoOf(buf, q1, undefined), reason: 'QDCOUNT must be 1' };
  if (!parsed || !question) return { kind: 'formerr', echo: echoOf(buf, q1, undefined), reason: 'malformed question' };
  if (qtype === RecordType.OPT) return { kind: 'formerr', echo: echoOf(buf, q1, undefined), reason: 'OPT is not a question type' };

  // Walk the other sections: every record must parse, at most one OPT, owned by the root (RFC 6891 §6.1.1).
  let edns: Edns | undefined;
  let optCount = 0;
  let badOpt = false;
  const records = ancount + nscount + arcount;
  for (let i = 0; i < records; i++) {
    const nameStart = pos;
    const nameEnd = skipName(buf, pos);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return { kind: 'formerr', echo: echoOf(buf, q1, edns), reason: 'malformed record' };
    const type = (buf[nameEnd]! << 8) | buf[nameEnd + 1]!;
    const rdlength = (buf[nameEnd + 8]! << 8) | buf[nameEnd + 9]!;
    const next = nameEnd + 10 + rdlength;
    if (next > buf.length) return { kind: 'formerr', echo: echoOf(buf, q1, edns), reason: 'record overruns the packet' };
    if (type === RecordType.OPT) {
      optCount++;
      const inAdditional = i >= ancount + nscount;
      if (buf[nameStart] !== 0 || !inAdditional || optCount > 1) badOpt = true;
      else {
        const udpPayloadSize = (buf[nameEnd + 2]! << 8) | buf[nameEnd + 3]!;
        const version = buf[nameEnd + 5]!;
        const dnssecOk = (buf[nameEnd + 6]! & 0x80) !== 0;
        edns = { udpPayloadSize, version, dnssecOk };
        if (!validOptions(buf, nameEnd + 10, next)) badOpt = true;
      }
    }
    pos = next;
  }
  if (badOpt) return { kind: 'formerr', echo: echoOf(buf, q1, optCount === 1 ? edns : undefined), reason: 'bad OPT record' };
  if (pos !== buf.length) return { kind: 'formerr', echo: echoOf(buf, q1, edns), reason: 'trailing bytes after the last record' };
  if (edns && edns.version !== 0) return { kind: 'badvers', echo: echoOf(buf, q1, edns) };

  const query: Query = {
    id,
    opcode,
    recursionDesired,
    checkingDisabled,
    name: parsed.name,
    lowerName: parsed.lower,
    type: qtype,
    class: qclass,
    edns,
    transport: meta.transport,
    client: meta.client,
    wire: buf,
  };
  return { kind: 'query', query, question };
}

/** What an error reply echoes: the header fields (read again from the packet) and the question. */
function echoOf(buf: Uint8Array, question: Uint8Array | undefined, edns: Edns | undefined): RequestEcho {
  return {
    id: (buf[0]! << 8) | buf[1]!,
    opcode: (buf[2]! >> 3) & 0x0f,
    recursionDesired: (buf[2]! & 0x01) !== 0,
    checkingDisabled: (buf[3]! & 0x10) !== 0,
    question,
    edns,
  };
}

/** EDNS options are {code, length, data} triples that must exactly fill the RDATA (RFC 6891 §6.1.2). */
function validOptions(buf: Uint8Array, start: number, end: number): boolean {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return false;
    const len = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    pos += 4 + len;
  }
  return pos === end;
}
