/**
 * Encodes responses: a RecordsAnswer through dns2's record codec, relayed upstream bytes with the
 * id rewritten, and the error replies (FORMERR, NOTIMP, BADVERS). Applies EDNS and UDP truncation.
 */
import type { Answer, Edns, OpaqueRecord, Query, RecordsAnswer, ResourceRecord, TransportKind } from '../dns/types.js';
import { Rcode } from '../dns/types.js';
import { createWriter, encodeName, rdataCodecs, type Dns2Writer } from './dns2-codec.js';
import type { QueryVerdict, RequestEcho } from './query-decoder.js';
import { encodeQueryName } from './upstream-query.js';

/** Our advertised EDNS UDP payload size: the DNS Flag Day 2020 value that avoids fragmentation. */
export const EDNS_UDP_SIZE = 1232;
const CLASSIC_UDP_SIZE = 512;
const TCP_MAX = 65535;
const HEADER = 12;
/** RFC 1035 §3.3: a <character-string> is one length octet and at most 255 octets of text. */
const MAX_CHARACTER_STRING = 255;
const TYPE_CODES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 } as const;

export interface EncodeOptions {
  readonly transport: TransportKind;
  /** RA flag: true when this server forwards (RFC 1035 §4.1.1). */
  readonly recursionAvailable: boolean;
}

/** The largest response the client accepts over this transport (RFC 6891 §6.2.3–6.2.5, RFC 1035 §4.2.1). */
export function responseSizeLimit(transport: TransportKind, edns: Edns | undefined): number {
  if (transport === 'tcp') return TCP_MAX;
  if (!edns) return CLASSIC_UDP_SIZE;
  return Math.max(CLASSIC_UDP_SIZE, Math.min(edns.udpPayloadSize, EDNS_UDP_SIZE));
}

interface HeaderFields {
  id: number;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  cd: boolean;
  rcode: number;
}

function writeHeader(out: Uint8Array, h: HeaderFields, counts: [number, number, number, number]): void {
  out[0] = h.id >> 8;
  out[1] = h.id & 0xff;
  out[2] = 0x80 | ((h.opcode & 0x0f) << 3) | (h.aa ? 0x04 : 0) | (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0);
  out[3] = (h.ra ? 0x80 : 0) | (h.cd ? 0x10 : 0) | (h.rcode & 0x0f);
  for (let i = 0; i < 4; i++) {
    out[4 + i * 2] = counts[i]! >> 8;
    out[5 + i * 2] = counts[i]! & 0xff;
  }
}

/** The rest of a record we relay without modelling it: TYPE, class IN, TTL, and its RDATA as is. */
function writeOpaque(writer: Dns2Writer, r: OpaqueRecord): void {
  writer.write(r.rrtype, 16);
  writer.write(1, 16); // IN
  writer.write(wireTtl(r.ttl), 32);
  writer.write(r.rdata.length, 16);
  for (const byte of r.rdata) writer.write(byte, 8);
}

function dns2Record(r: Exclude<ResourceRecord, OpaqueRecord>): object {
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return { address: r.address };
    case 'CNAME':
    case 'PTR':
      return { domain: r.target };
    case 'NS':
      return { ns: r.target };
    case 'TXT':
      return { data: characterStrings(r.texts) };
    case 'SRV':
      return { priority: r.priority, weight: r.weight, port: r.port, target: r.target };
    case 'SOA':
      return { primary: r.mname, admin: r.rname, serial: r.serial, refresh: r.refresh, retry: r.retry, expiration: r.expire, minimum: r.minimum };
  }
}

/**
 * TXT data as dns2 character-strings: each text is one string ("1.1.0" stays one), a text over 255
 * octets is split into 255-octet strings (as zone files do), and an empty list is one empty string,
 * since TXT RDATA holds at least one (RFC 1035 §3.3.14). dns2 would wrap the length octet instead.
 */
function characterStrings(texts: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const text of texts) {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= MAX_CHARACTER_STRING) out.push(bytes);
    else for (let i = 0; i < bytes.length; i += MAX_CHARACTER_STRING) out.push(bytes.subarray(i, i + MAX_CHARACTER_STRING));
  }
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

/**
 * An owner name. Names are plain text in practice and go through dns2 (and its compression); a name
 * holding escapes (`a\.b`, `\255`, as the decoder writes odd labels) is written literally, because
 * dns2 splits on every dot.
 */
function writeOwnerName(writer: Dns2Writer, name: string): void {
  if (!name.includes('\\')) {
    encodeName(name, writer);
    return;
  }
  const bytes = encodeQueryName(name);
  if (!bytes) throw new RangeError(`cannot encode owner name ${JSON.stringify(name)}`);
  for (const byte of bytes) writer.write(byte, 8);
}

/** RFC 2181 §8: TTLs are 0..2^31-1; anything else (negative, fractional, huge) is brought into range. */
const wireTtl = (ttl: number): number => (ttl > 0 ? Math.min(Math.floor(ttl), 0x7fffffff) : 0);

/**
 * One RR: our own RR header, dns2's codec for the RDATA. This is Packet.Resource.encode minus its
 * per-record `writer.toBuffer()`, which re-walks the whole message each time (quadratic in records).
 * SRV targets are written uncompressed (RFC 2782, RFC 3597 §4): dns2 would compress them, so its
 * name table is lifted off the writer while the SRV RDATA is written.
 */
function writeRecord(writer: Dns2Writer, r: ResourceRecord): void {
  writeOwnerName(writer, r.name);
  if (r.type === 'OPAQUE') {
    writeOpaque(writer, r);
    return;
  }
  writer.write(TYPE_CODES[r.type], 16);
  writer.write(1, 16); // IN
  writer.write(wireTtl(r.ttl), 32);
  const lengthAt = writer.bitLength();
  writer.write(0, 16);
  const start = writer.bitLength();
  const names = writer.names;
  if (r.type === 'SRV') writer.names = undefined;
  try {
    rdataCodecs[r.type].encode(dns2Record(r), writer);
  } finally {
    writer.names = names;
  }
  const rdlength = (writer.bitLength() - start) / 8;
  if (rdlength > 0xffff) throw new RangeError(`${r.type} RDATA of ${r.name} is ${rdlength} octets`);
  writer.patch(lengthAt, rdlength, 16);
}

/** Records the question name's suffixes so later names compress against the client's own bytes. */
function registerQuestionName(writer: Dns2Writer, question: Uint8Array): void {
  const labels: { offset: number; text: string }[] = [];
  let pos = 0;
  while (pos < question.length && question[pos]! > 0) {
    const len = question[pos]!;
    let text = '';
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = question[i]!;
      if (c === 0x2e || c <= 0x20 || c >= 0x7f) return; // not a plain name: no compression against it
      text += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    labels.push({ offset: 12 + pos, text });
    pos += len + 1;
  }
  for (let i = 0; i < labels.length; i++) {
    writer.names!.set(labels.slice(i).map((l) => l.text).join('.'), labels[i]!.offset);
  }
}

/**
 * The encoded sections of an answer (everything after the question), kept per answer object. The
 * resolver returns the same object for the same (name, type) within a registry snapshot, so a
 * repeated query costs a copy, not an encode. Bytes that compress against the question are valid
 * only for the same name; bytes without compression (negative answers: just the SOA) for any name.
 */
interface PreparedSections {
  readonly lowerName: string | undefined;
  readonly bytes: Uint8Array;
}
const preparedSections = new WeakMap<RecordsAnswer, PreparedSections>();
const NO_BYTES = new Uint8Array(0);

function sectionsFor(query: Query, question: Uint8Array, answer: RecordsAnswer): Uint8Array {
  const cached = preparedSections.get(answer);
  if (cached && (cached.lowerName === undefined || cached.lowerName === query.lowerName)) return cached.bytes;
  let prepared: PreparedSections;
  if (answer.answer.length === 0 && answer.additional.length === 0) {
    prepared = { lowerName: undefined, bytes: answer.authority.length === 0 ? NO_BYTES : encodeUncompressed(answer.authority) };
  } else {
    const writer = createWriter();
    for (let i = 0; i < 12; i++) writer.write(0, 8); // header placeholder: offsets must match the message
    for (const byte of question) writer.write(byte, 8);
    registerQuestionName(writer, question);
    for (const r of answer.answer) writeRecord(writer, r);
    for (const r of answer.authority) writeRecord(writer, r);
    for (const r of answer.additional) writeRecord(writer, r);
    prepared = { lowerName: query.lowerName, bytes: writer.toBuffer().subarray(12 + question.length) };
  }
  preparedSections.set(answer, prepared);
  return prepared.bytes;
}

/** Records written with no name compression, so the bytes fit after any question. */
function encodeUncompressed(records: readonly ResourceRecord[]): Uint8Array {
  const writer = createWriter();
  writer.names = undefined;
  for (const r of records) writeRecord(writer, r);
  return writer.toBuffer();
}

const OPT_FIXED = 11;
const EDE_OPTION_HEADER = 6;
const edeText = new WeakMap<object, Buffer>();

function optLength(extendedError: { code: number; text: string } | undefined): number {
  if (!extendedError) return OPT_FIXED;
  let text = edeText.get(extendedError);
  if (!text) edeText.set(extendedError, (text = Buffer.from(extendedError.text, 'utf8')));
  return OPT_FIXED + EDE_OPTION_HEADER + text.length;
}

/** Writes the OPT pseudo-record (RFC 6891 §6.1.2), with an Extended DNS Error (RFC 8914 §2) if any. */
function writeOpt(out: Uint8Array, at: number, rcode: number, dnssecOk: boolean, extendedError: { code: number; text: string } | undefined): void {
  const text = extendedError ? edeText.get(extendedError) : undefined;
  const rdlength = text ? EDE_OPTION_HEADER + text.length : 0;
  out[at] = 0; // root owner
  out[at + 1] = 0;
  out[at + 2] = 41;
  out[at + 3] = EDNS_UDP_SIZE >> 8;
  out[at + 4] = EDNS_UDP_SIZE & 0xff;
  out[at + 5] = (rcode >> 4) & 0xff; // extended RCODE: the high 8 bits of the 12-bit value
  out[at + 6] = 0; // version 0
  out[at + 7] = dnssecOk ? 0x80 : 0; // DO echoed (RFC 3225 §3)
  out[at + 8] = 0;
  out[at + 9] = rdlength >> 8;
  out[at + 10] = rdlength & 0xff;
  if (text && extendedError) {
    out[at + 11] = 0;
    out[at + 12] = 15; // OPTION-CODE 15: Extended DNS Error
    out[at + 13] = (2 + text.length) >> 8;
    out[at + 14] = (2 + text.length) & 0xff;
    out[at + 15] = extendedError.code >> 8;
    out[at + 16] = extendedError.code & 0xff;
    out.set(text, at + 17);
  }
}

/** One allocation per reply: header, the client's question, the sections, and OPT when asked for. */
function assemble(
  h: HeaderFields,
  question: Uint8Array | undefined,
  sections: Uint8Array,
  counts: readonly [number, number, number],
  edns: { dnssecOk: boolean; extendedError: { code: number; text: string } | undefined } | undefined,
): Uint8Array {
  const qLength = question?.length ?? 0;
  const oLength = edns ? optLength(edns.extendedError) : 0;
  const out = Buffer.allocUnsafe(12 + qLength + sections.length + oLength);
  writeHeader(out, h, [question ? 1 : 0, counts[0], counts[1], counts[2] + (edns ? 1 : 0)]);
  if (question) out.set(question, 12);
  out.set(sections, 12 + qLength);
  if (edns) writeOpt(out, 12 + qLength + sections.length, h.rcode, edns.dnssecOk, edns.extendedError);
  return out;
}

/**
 * Encodes the response to a well-formed query. `question` is the client's question bytes (from the
 * decoder), echoed as sent. Never throws: a record dns2 cannot encode (a bad address, an over-long
 * name) turns the reply into SERVFAIL rather than into silence.
 */
export function encodeResponse(query: Query, question: Uint8Array, answer: Answer, options: EncodeOptions): Uint8Array {
  const limit = responseSizeLimit(options.transport, query.edns);
  if (answer.kind === 'relayed') return relay(query, question, answer.bytes, limit);

  // An extended RCODE (BADVERS) needs an OPT to carry its high bits; without one, say SERVFAIL.
  const rcode = answer.rcode > 0x0f && !query.edns ? Rcode.SERVFAIL : answer.rcode;
  const header: HeaderFields = {
    id: query.id,
    opcode: query.opcode,
    aa: answer.authoritative,
    tc: false,
    rd: query.recursionDesired,
    ra: options.recursionAvailable,
    cd: query.checkingDisabled,
    rcode,
  };
  const edns = query.edns ? { dnssecOk: query.edns.dnssecOk, extendedError: answer.extendedError } : undefined;
  let sections: Uint8Array;
  try {
    sections = sectionsFor(query, question, answer);
  } catch {
    const failed: HeaderFields = { ...header, aa: false, rcode: Rcode.SERVFAIL };
    return assemble(failed, question, NO_BYTES, [0, 0, 0], edns && { dnssecOk: edns.dnssecOk, extendedError: undefined });
  }
  const full = assemble(header, question, sections, [answer.answer.length, answer.authority.length, answer.additional.length], edns);
  if (full.length <= limit) return full;
  return truncated(header, question, edns, limit);
}

type ReplyEdns = Parameters<typeof assemble>[4];

/**
 * RFC 2181 §9, RFC 7766 §5: an answer too large for UDP goes as header, question and OPT with TC set
 * and empty sections, and the client retries over TCP. An Extended DNS Error whose text would not fit
 * is left out (the limit is at least 512, which always holds header, question and a bare OPT).
 */
function truncated(header: HeaderFields, question: Uint8Array, edns: ReplyEdns, limit: number): Uint8Array {
  const tc: HeaderFields = { ...header, tc: true };
  const reply = assemble(tc, question, NO_BYTES, [0, 0, 0], edns);
  if (reply.length <= limit || !edns) return reply;
  return assemble(tc, question, NO_BYTES, [0, 0, 0], { dnssecOk: edns.dnssecOk, extendedError: undefined });
}

/**
 * An upstream reply passed through: a copy with the client's id and, when the reply's question is the
 * same name, the client's letter case (RFC 4343 §4.1). The input is never modified. Over UDP, a reply
 * larger than the client accepts becomes a TC reply; a reply too short to have a header is SERVFAIL.
 */
function relay(query: Query, question: Uint8Array, bytes: Uint8Array, limit: number): Uint8Array {
  const edns = query.edns ? { dnssecOk: query.edns.dnssecOk, extendedError: undefined } : undefined;
  const header: HeaderFields = {
    id: query.id,
    opcode: query.opcode,
    aa: false,
    tc: false,
    rd: query.recursionDesired,
    ra: true,
    cd: query.checkingDisabled,
    rcode: Rcode.SERVFAIL,
  };
  if (bytes.length < HEADER) return assemble(header, question, NO_BYTES, [0, 0, 0], edns);
  if (bytes.length > limit) {
    const upstream: HeaderFields = { ...header, tc: true, aa: (bytes[2]! & 0x04) !== 0, ra: (bytes[3]! & 0x80) !== 0, rcode: bytes[3]! & 0x0f };
    return assemble(upstream, question, NO_BYTES, [0, 0, 0], edns);
  }
  const out = Uint8Array.from(bytes);
  out[0] = query.id >> 8;
  out[1] = query.id & 0xff;
  if (sameQuestionName(out, question)) out.set(question.subarray(0, question.length - 4), HEADER);
  return out;
}

/** True when `reply` has one question whose name is `question`'s name up to ASCII letter case. */
function sameQuestionName(reply: Uint8Array, question: Uint8Array): boolean {
  const nameLength = question.length - 4;
  if (reply[4] !== 0 || reply[5] !== 1 || reply.length < HEADER + nameLength) return false;
  for (let i = 0; i < nameLength; i++) {
    const a = reply[HEADER + i]!;
    const b = question[i]!;
    if (a !== b && !(isLetter(a) && (a | 0x20) === (b | 0x20))) return false;
  }
  return true;
}

const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/** Encodes the reply for a verdict that is not a query: FORMERR, NOTIMP or BADVERS. */
export function encodeVerdict(
  verdict: Exclude<QueryVerdict, { kind: 'query' } | { kind: 'drop' }>,
  options: { readonly transport: TransportKind; readonly recursionAvailable?: boolean },
): Uint8Array {
  const echo: RequestEcho = verdict.echo;
  const rcode = verdict.kind === 'formerr' ? Rcode.FORMERR : verdict.kind === 'notimp' ? Rcode.NOTIMP : Rcode.BADVERS;
  const header: HeaderFields = {
    id: echo.id,
    opcode: echo.opcode,
    aa: false,
    tc: false,
    rd: echo.recursionDesired,
    ra: options.recursionAvailable ?? false,
    cd: echo.checkingDisabled,
    rcode,
  };
  // BADVERS is an extended RCODE and so always travels with an OPT (RFC 6891 §6.1.3).
  const edns = echo.edns || verdict.kind === 'badvers' ? { dnssecOk: echo.edns?.dnssecOk ?? false, extendedError: undefined } : undefined;
  return assemble(header, echo.question, NO_BYTES, [0, 0, 0], edns);
}
