/**
 * Encodes responses: a RecordsAnswer through dns2's record codec, relayed upstream bytes with the
 * id rewritten, and the error replies (FORMERR, NOTIMP, BADVERS). Applies EDNS and UDP truncation.
 */
import type { Answer, Edns, Query, RecordsAnswer, ResourceRecord, TransportKind } from '../dns/types.js';
import { Rcode } from '../dns/types.js';
import { createWriter, encodeName, rdataCodecs, type Dns2Writer } from './dns2-codec.js';
import type { QueryVerdict, RequestEcho } from './query-decoder.js';

/** Our advertised EDNS UDP payload size: the DNS Flag Day 2020 value that avoids fragmentation. */
export const EDNS_UDP_SIZE = 1232;
const CLASSIC_UDP_SIZE = 512;
const TCP_MAX = 65535;
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

/** The OPT pseudo-record (RFC 6891 §6.1.2), optionally with an Extended DNS Error (RFC 8914 §2). */
function optRecord(rcode: number, dnssecOk: boolean, extendedError: { code: number; text: string } | undefined): Uint8Array {
  const text = extendedError ? Buffer.from(extendedError.text, 'utf8') : undefined;
  const rdlength = text ? 4 + 2 + text.length : 0;
  const out = new Uint8Array(11 + rdlength);
  out[0] = 0; // root owner
  out[1] = 0;
  out[2] = 41;
  out[3] = EDNS_UDP_SIZE >> 8;
  out[4] = EDNS_UDP_SIZE & 0xff;
  out[5] = (rcode >> 4) & 0xff; // extended RCODE: the high 8 bits of the 12-bit value
  out[6] = 0; // version 0
  out[7] = dnssecOk ? 0x80 : 0; // DO echoed (RFC 3225 §3)
  out[8] = 0;
  out[9] = rdlength >> 8;
  out[10] = rdlength & 0xff;
  if (text && extendedError) {
    out[11] = 0;
    out[12] = 15; // OPTION-CODE 15: Extended DNS Error
    out[13] = (2 + text.length) >> 8;
    out[14] = (2 + text.length) & 0xff;
    out[15] = extendedError.code >> 8;
    out[16] = extendedError.code & 0xff;
    out.set(text, 17);
  }
  return out;
}

function dns2Record(r: ResourceRecord): object {
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
      return { data: [...r.texts] };
    case 'SRV':
      return { priority: r.priority, weight: r.weight, port: r.port, target: r.target };
    case 'SOA':
      return { primary: r.mname, admin: r.rname, serial: r.serial, refresh: r.refresh, retry: r.retry, expiration: r.expire, minimum: r.minimum };
  }
}

/** One RR through dns2's codec. SRV targets are written uncompressed (RFC 2782, RFC 3597 §4). */
function writeRecord(writer: Dns2Writer, r: ResourceRecord): void {
  encodeName(r.name, writer);
  writer.write(TYPE_CODES[r.type], 16);
  writer.write(1, 16); // IN
  writer.write(Math.min(r.ttl >>> 0, 0x7fffffff), 32); // RFC 2181 §8
  const lengthAt = writer.bitLength();
  writer.write(0, 16);
  const start = writer.bitLength();
  const names = writer.names;
  if (r.type === 'SRV') writer.names = undefined;
  rdataCodecs[r.type].encode(dns2Record(r), writer);
  writer.names = names;
  writer.patch(lengthAt, (writer.bitLength() - start) / 8, 16);
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

function encodeRecords(question: Uint8Array, answer: RecordsAnswer): Uint8Array {
  const writer = createWriter();
  for (let i = 0; i < 12; i++) writer.write(0, 8); // header placeholder, written after
  for (const byte of question) writer.write(byte, 8);
  registerQuestionName(writer, question);
  for (const r of answer.answer) writeRecord(writer, r);
  for (const r of answer.authority) writeRecord(writer, r);
  for (const r of answer.additional) writeRecord(writer, r);
  return writer.toBuffer();
}

function assemble(h: HeaderFields, question: Uint8Array | undefined, body: Uint8Array | undefined, counts: [number, number, number], opt: Uint8Array | undefined): Uint8Array {
  const qd = question ? 1 : 0;
  const bodyBytes = body ? body.subarray(12 + (question?.length ?? 0)) : undefined;
  const out = new Uint8Array(12 + (question?.length ?? 0) + (bodyBytes?.length ?? 0) + (opt?.length ?? 0));
  writeHeader(out, h, [qd, counts[0], counts[1], counts[2] + (opt ? 1 : 0)]);
  let pos = 12;
  if (question) {
    out.set(question, pos);
    pos += question.length;
  }
  if (bodyBytes) {
    out.set(bodyBytes, pos);
    pos += bodyBytes.length;
  }
  if (opt) out.set(opt, pos);
  return out;
}

/** Encodes the response to a well-formed query. `question` is the client's question bytes. */
export function encodeResponse(query: Query, question: Uint8Array, answer: Answer, options: EncodeOptions): Uint8Array {
  const limit = responseSizeLimit(options.transport, query.edns);
  if (answer.kind === 'relayed') return relay(query, question, answer.bytes, limit);

  const header: HeaderFields = {
    id: query.id,
    opcode: query.opcode,
    aa: answer.authoritative,
    tc: false,
    rd: query.recursionDesired,
    ra: options.recursionAvailable,
    cd: query.checkingDisabled,
    rcode: answer.rcode,
  };
  const opt = query.edns ? optRecord(answer.rcode, query.edns.dnssecOk, answer.extendedError) : undefined;
  const body = encodeRecords(question, answer);
  const full = assemble(header, question, body, [answer.answer.length, answer.authority.length, answer.additional.length], opt);
  if (full.length <= limit) return full;
  // RFC 2181 §9 / RFC 7766 §5: too large for UDP → TC set, the client retries over TCP.
  return assemble({ ...header, tc: true }, question, undefined, [0, 0, 0], opt);
}

/** An upstream reply passed through: only the id (and the question's letter case) become the client's. */
function relay(query: Query, question: Uint8Array, bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.length > limit && bytes.length >= 12) {
    const h = bytes;
    const header: HeaderFields = {
      id: query.id,
      opcode: query.opcode,
      aa: (h[2]! & 0x04) !== 0,
      tc: true,
      rd: query.recursionDesired,
      ra: (h[3]! & 0x80) !== 0,
      cd: query.checkingDisabled,
      rcode: h[3]! & 0x0f,
    };
    const opt = query.edns ? optRecord(0, query.edns.dnssecOk, undefined) : undefined;
    return assemble(header, question, undefined, [0, 0, 0], opt);
  }
  const out = Uint8Array.from(bytes);
  out[0] = query.id >> 8;
  out[1] = query.id & 0xff;
  // Same name, same length: copy the client's letter case back in (RFC 4343 §4.1).
  if (out.length >= 12 + question.length) out.set(question.subarray(0, question.length - 4), 12);
  return out;
}

/** Encodes the reply for a verdict that is not a query: FORMERR, NOTIMP or BADVERS. */
export function encodeVerdict(verdict: Exclude<QueryVerdict, { kind: 'query' } | { kind: 'drop' }>, _options: { transport: TransportKind }): Uint8Array {
  const echo: RequestEcho = verdict.echo;
  const rcode = verdict.kind === 'formerr' ? Rcode.FORMERR : verdict.kind === 'notimp' ? Rcode.NOTIMP : Rcode.BADVERS;
  const header: HeaderFields = {
    id: echo.id,
    opcode: echo.opcode,
    aa: false,
    tc: false,
    rd: echo.recursionDesired,
    ra: false,
    cd: echo.checkingDisabled,
    rcode,
  };
  // BADVERS is an extended RCODE and so always travels with an OPT (RFC 6891 §6.1.3).
  const opt = echo.edns || verdict.kind === 'badvers' ? optRecord(rcode, echo.edns?.dnssecOk ?? false, undefined) : undefined;
  return assemble(header, echo.question, undefined, [0, 0, 0], opt);
}
