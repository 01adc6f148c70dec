/** Test client: builds queries, sends them over real UDP/TCP sockets, decodes replies into text. */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

export const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, AXFR: 252, ANY: 255 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export interface QueryOptions {
  id?: number;
  qclass?: number;
  rd?: boolean;
  cd?: boolean;
  opcode?: number;
  /** The whole 16-bit flags word, overriding opcode, rd and cd (for odd packets: QR=1, Z bits…). */
  flags?: number;
  /** Adds an OPT record with this UDP size. */
  edns?: { udpSize?: number; version?: number; do?: boolean; options?: Uint8Array };
}

export function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.replace(/\.$/, '').split('.').filter(Boolean)) {
    out.push(label.length, ...Buffer.from(label, 'latin1'));
  }
  out.push(0);
  return out;
}

export function buildQuery(name: string, type: string | number, o: QueryOptions = {}): Buffer {
  const id = o.id ?? 0x1234;
  const qtype = typeof type === 'number' ? type : TYPES[type]!;
  const flags1 = o.flags !== undefined ? o.flags >> 8 : ((o.opcode ?? 0) << 3) | (o.rd === false ? 0 : 1);
  const flags2 = o.flags !== undefined ? o.flags & 0xff : o.cd ? 0x10 : 0;
  const bytes = [id >> 8, id & 0xff, flags1, flags2, 0, 1, 0, 0, 0, 0, 0, o.edns ? 1 : 0, ...encodeName(name), qtype >> 8, qtype & 0xff, 0, o.qclass ?? 1];
  if (o.edns) {
    const size = o.edns.udpSize ?? 1232;
    const opts = o.edns.options ?? new Uint8Array();
    bytes.push(0, 0, 41, size >> 8, size & 0xff, 0, o.edns.version ?? 0, o.edns.do ? 0x80 : 0, 0, opts.length >> 8, opts.length & 0xff, ...opts);
  }
  return Buffer.from(bytes);
}

/**
 * A reply as text. Records are zone-file lines with owner names as on the wire (letter case kept):
 * `web.shop.svc.cluster.local. 5 IN A 10.96.0.10`. `flags` lists the set flags in dig's order.
 */
export interface DecodedReply {
  id: number;
  opcode: number;
  /** Name of the full (extended, when an OPT is present) RCODE: NOERROR, FORMERR, …, BADVERS. */
  rcode: string;
  rcodeValue: number;
  flags: string[];
  bits: { qr: boolean; aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean; cd: boolean };
  question: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  edns: { udpSize: number; version: number; do: boolean; extendedRcode: number; ede?: { code: number; text: string } } | undefined;
  size: number;
}

function readName(buf: Buffer, start: number): [string, number] {
  const labels: string[] = [];
  let pos = start;
  let end = -1;
  for (let jumps = 0; jumps < 100; jumps++) {
    if (pos >= buf.length) throw new Error(`name at ${start} overruns the reply`);
    const len = buf[pos]!;
    if (len === 0) return [labels.length ? `${labels.join('.')}.` : '.', end === -1 ? pos + 1 : end];
    if ((len & 0xc0) === 0xc0) {
      if (end === -1) end = pos + 2;
      if ((((len & 0x3f) << 8) | buf[pos + 1]!) >= pos) throw new Error(`forward compression pointer at ${pos}`);
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len > 63) throw new Error(`bad label length ${len} at ${pos}`);
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += len + 1;
  }
  throw new Error('name loop');
}

/** Decodes a reply into zone-file text lines; throws on a malformed message. */
export function decodeReply(buf: Buffer): DecodedReply {
  if (buf.length < 12) throw new Error('short reply');
  const f1 = buf[2]!;
  const f2 = buf[3]!;
  const flags = [['qr', f1 & 0x80], ['aa', f1 & 0x04], ['tc', f1 & 0x02], ['rd', f1 & 0x01], ['ra', f2 & 0x80], ['ad', f2 & 0x20], ['cd', f2 & 0x10]]
    .filter(([, v]) => v)
    .map(([k]) => k as string);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let pos = 12;
  const question: string[] = [];
  for (let i = 0; i < counts[0]!; i++) {
    const [name, next] = readName(buf, pos);
    question.push(`${name} ${buf.readUInt16BE(next + 2) === 1 ? 'IN' : buf.readUInt16BE(next + 2)} ${TYPE_NAMES[buf.readUInt16BE(next)] ?? buf.readUInt16BE(next)}`);
    pos = next + 4;
  }
  let edns: DecodedReply['edns'];
  const sections: string[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const [name, next] = readName(buf, pos);
      const type = buf.readUInt16BE(next);
      const klass = buf.readUInt16BE(next + 2);
      const ttl = buf.readUInt32BE(next + 4);
      const rdlen = buf.readUInt16BE(next + 8);
      const rd = next + 10;
      pos = rd + rdlen;
      if (pos > buf.length) throw new Error('record overruns reply');
      if (type === 41) {
        let ede: { code: number; text: string } | undefined;
        for (let o = rd; o < rd + rdlen; ) {
          const code = buf.readUInt16BE(o);
          const len = buf.readUInt16BE(o + 2);
          if (code === 15) ede = { code: buf.readUInt16BE(o + 4), text: buf.toString('utf8', o + 6, o + 4 + len) };
          o += 4 + len;
        }
        edns = { udpSize: klass, version: (ttl >> 16) & 0xff, do: (ttl & 0x8000) !== 0, extendedRcode: ttl >>> 24, ...(ede ? { ede } : {}) };
        continue;
      }
      const typeName = TYPE_NAMES[type] ?? `TYPE${type}`;
      let data: string;
      switch (typeName) {
        case 'A': data = [...buf.subarray(rd, rd + 4)].join('.'); break;
        case 'AAAA': {
          const groups: string[] = [];
          for (let g = 0; g < 8; g++) groups.push(buf.readUInt16BE(rd + g * 2).toString(16));
          data = compressIpv6(groups);
          break;
        }
        case 'CNAME': case 'PTR': case 'NS': data = readName(buf, rd)[0]; break;
        case 'SRV': data = `${buf.readUInt16BE(rd)} ${buf.readUInt16BE(rd + 2)} ${buf.readUInt16BE(rd + 4)} ${readName(buf, rd + 6)[0]}`; break;
        case 'TXT': {
          const parts: string[] = [];
          for (let o = rd; o < rd + rdlen; ) { parts.push(JSON.stringify(buf.toString('latin1', o + 1, o + 1 + buf[o]!))); o += 1 + buf[o]!; }
          data = parts.join(' ');
          break;
        }
        case 'SOA': {
          const [mname, n1] = readName(buf, rd);
          const [rname, n2] = readName(buf, n1);
          data = `${mname} ${rname} ${[0, 4, 8, 12, 16].map((o) => buf.readUInt32BE(n2 + o)).join(' ')}`;
          break;
        }
        default: data = `\\# ${rdlen} ${buf.subarray(rd, rd + rdlen).toString('hex')}`;
      }
      sections[s]!.push(`${name} ${ttl} ${klass === 1 ? 'IN' : klass} ${typeName} ${data}`);
    }
  }
  if (pos !== buf.length) throw new Error(`trailing bytes in reply (${buf.length - pos})`);
  const rcodeValue = (f2 & 0x0f) | ((edns?.extendedRcode ?? 0) << 4);
  return {
    id: buf.readUInt16BE(0),
    opcode: (f1 >> 3) & 0x0f,
    rcode: rcodeValue === 16 ? 'BADVERS' : (RCODES[rcodeValue] ?? String(rcodeValue)),
    rcodeValue,
    flags,
    bits: { qr: !!(f1 & 0x80), aa: !!(f1 & 0x04), tc: !!(f1 & 0x02), rd: !!(f1 & 0x01), ra: !!(f2 & 0x80), ad: !!(f2 & 0x20), cd: !!(f2 & 0x10) },
    question,
    answer: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    edns,
    size: buf.length,
  };
}

function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Sends raw bytes over UDP and returns the reply, or undefined if none came within `timeoutMs`. The
 * default is long so a loaded machine never loses an answer; tests that expect silence pass a short one.
 */
export function sendUdp(port: number, packet: Uint8Array, host = '127.0.0.1', timeoutMs = 10_000): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { socket.close(); resolve(undefined); }, timeoutMs);
    socket.on('error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
    socket.on('message', (msg) => { clearTimeout(timer); socket.close(); resolve(msg); });
    socket.send(packet, port, host);
  });
}

/** Sends one or more framed messages on one TCP connection and collects `expect` replies. */
export function sendTcp(port: number, packets: Uint8Array[], host = '127.0.0.1', expect = packets.length, timeoutMs = 10_000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); resolve(replies); }, timeoutMs);
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('close', () => { clearTimeout(timer); resolve(replies); });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        replies.push(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
      }
      if (replies.length >= expect) { clearTimeout(timer); socket.end(); resolve(replies); }
    });
    socket.write(Buffer.concat(packets.map((p) => { const h = Buffer.alloc(2); h.writeUInt16BE(p.length); return Buffer.concat([h, p]); })));
  });
}

export async function queryUdp(port: number, name: string, type: string | number, o: QueryOptions = {}, host = '127.0.0.1'): Promise<DecodedReply> {
  const reply = await sendUdp(port, buildQuery(name, type, o), host);
  if (!reply) throw new Error(`no UDP reply for ${name} ${type}`);
  return decodeReply(reply);
}

export async function queryTcp(port: number, name: string, type: string | number, o: QueryOptions = {}, host = '127.0.0.1'): Promise<DecodedReply> {
  const [reply] = await sendTcp(port, [buildQuery(name, type, o)], host);
  if (!reply) throw new Error(`no TCP reply for ${name} ${type}`);
  return decodeReply(reply);
}
