import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { answered, badvers, nodata, nxdomain, servfail } from '../../../src/dns/outcomes.js';
import type { Query, RecordsAnswer, ResourceRecord, SOARecord } from '../../../src/dns/types.js';
import { encodeResponse, encodeVerdict, responseSizeLimit } from '../../../src/wire/answer-encoder.js';
import { decodeQuery, type QueryVerdict } from '../../../src/wire/query-decoder.js';
import { buildQuery, decodeReply, encodeName, type QueryOptions } from '../../helpers/dns-client.js';

const udp = { transport: 'udp', recursionAvailable: false } as const;
const tcp = { transport: 'tcp', recursionAvailable: false } as const;
const meta = { transport: 'udp' as const, client: { address: '127.0.0.1', port: 1 } };

function decoded(name: string, type: string, o: QueryOptions = {}): { query: Query; question: Uint8Array } {
  const v = decodeQuery(buildQuery(name, type, o), meta);
  if (v.kind !== 'query') throw new Error(v.kind);
  return v;
}

function verdict(packet: Buffer): Exclude<QueryVerdict, { kind: 'query' } | { kind: 'drop' }> {
  const v = decodeQuery(packet, meta);
  if (v.kind === 'query' || v.kind === 'drop') throw new Error(v.kind);
  return v;
}

const soa: SOARecord = {
  type: 'SOA', name: 'cluster.local', ttl: 5, mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local',
  serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5,
};
const SOA_TEXT = 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5';

const a = (name: string, address: string): ResourceRecord => ({ type: 'A', name, ttl: 5, address });
/** `n` A records for one name: 16 bytes each once the owner is a pointer. */
const manyA = (name: string, n: number) => Array.from({ length: n }, (_, i) => a(name, `10.244.${i >> 8}.${i & 0xff}`));

describe('encodeResponse: whole messages', () => {
  it.each<[string, string, string, QueryOptions, RecordsAnswer, Partial<ReturnType<typeof decodeReply>>]>([
    ['an A answer', 'web.shop.svc.cluster.local', 'A', {}, answered([a('web.shop.svc.cluster.local', '10.96.0.10')]), {
      rcode: 'NOERROR', flags: ['qr', 'aa', 'rd'],
      question: ['web.shop.svc.cluster.local. IN A'],
      answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'], authority: [], additional: [], edns: undefined,
    }],
    ['AAAA, the client\'s letter case kept in question and owner', 'Web.SHOP.svc.cluster.local', 'AAAA', { rd: false },
      answered([{ type: 'AAAA', name: 'web.shop.svc.cluster.local', ttl: 5, address: 'fd00::10' }]), {
        flags: ['qr', 'aa'],
        question: ['Web.SHOP.svc.cluster.local. IN AAAA'],
        answer: ['Web.SHOP.svc.cluster.local. 5 IN AAAA fd00::10'],
      }],
    ['a CNAME chain', 'web.shop', 'A', {}, answered([
      { type: 'CNAME', name: 'web.shop', ttl: 5, target: 'web.shop.svc.cluster.local' },
      a('web.shop.svc.cluster.local', '10.96.0.10'),
    ], [], false), {
      flags: ['qr', 'rd'],
      answer: ['web.shop. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'],
    }],
    ['NXDOMAIN with the SOA', 'nope.svc.cluster.local', 'A', {}, nxdomain(soa), {
      rcode: 'NXDOMAIN', flags: ['qr', 'aa', 'rd'], answer: [], authority: [SOA_TEXT], additional: [],
    }],
    ['NODATA with the SOA', 'web.shop.svc.cluster.local', 'MX', { cd: true }, nodata(soa), {
      rcode: 'NOERROR', flags: ['qr', 'aa', 'rd', 'cd'], answer: [], authority: [SOA_TEXT],
    }],
    ['a PTR', '10.0.96.10.in-addr.arpa', 'PTR', {}, answered([{ type: 'PTR', name: '10.0.96.10.in-addr.arpa', ttl: 5, target: 'web.shop.svc.cluster.local' }]), {
      answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'],
    }],
    ['NS with glue in the additional section', 'cluster.local', 'NS', {}, answered(
      [{ type: 'NS', name: 'cluster.local', ttl: 5, target: 'ns.dns.cluster.local' }],
      [a('ns.dns.cluster.local', '10.96.0.53')],
    ), {
      answer: ['cluster.local. 5 IN NS ns.dns.cluster.local.'], additional: ['ns.dns.cluster.local. 5 IN A 10.96.0.53'],
    }],
    ['TXT "1.1.0" as one character-string', 'dns-version.cluster.local', 'TXT', {}, answered([{ type: 'TXT', name: 'dns-version.cluster.local', ttl: 5, texts: ['1.1.0'] }]), {
      answer: ['dns-version.cluster.local. 5 IN TXT "1.1.0"'],
    }],
    ['TXT with several strings, an empty one and a 300-octet one split at 255', 't.cluster.local', 'TXT', {},
      answered([{ type: 'TXT', name: 't.cluster.local', ttl: 5, texts: ['a b', '', 'x'.repeat(300)] }]), {
        answer: [`t.cluster.local. 5 IN TXT "a b" "" "${'x'.repeat(255)}" "${'x'.repeat(45)}"`],
      }],
    ['TXT with no strings as one empty string', 't.cluster.local', 'TXT', {}, answered([{ type: 'TXT', name: 't.cluster.local', ttl: 5, texts: [] }]), {
      answer: ['t.cluster.local. 5 IN TXT ""'],
    }],
    ['TTLs kept in 0..2^31-1 (RFC 2181 §8)', 'web.cluster.local', 'A', {}, answered([
      { type: 'A', name: 'web.cluster.local', ttl: -1, address: '10.0.0.1' },
      { type: 'A', name: 'web.cluster.local', ttl: 2 ** 32, address: '10.0.0.2' },
    ]), {
      answer: ['web.cluster.local. 0 IN A 10.0.0.1', 'web.cluster.local. 2147483647 IN A 10.0.0.2'],
    }],
    ['SERVFAIL, EDNS with DO copied and an Extended DNS Error', 'web.shop.svc.cluster.local', 'A', { edns: { udpSize: 4096, do: true } },
      servfail({ code: 14, text: 'registry not loaded' }), {
        rcode: 'SERVFAIL', flags: ['qr', 'rd'], answer: [],
        edns: { udpSize: 1232, version: 0, do: true, extendedRcode: 0, ede: { code: 14, text: 'registry not loaded' } },
      }],
    ['an Extended DNS Error left out without EDNS', 'x.cluster.local', 'A', {}, servfail({ code: 14, text: 'not ready' }), {
      rcode: 'SERVFAIL', additional: [], edns: undefined,
    }],
    ['BADVERS from the resolver without EDNS said as SERVFAIL', 'x.cluster.local', 'A', {}, badvers(), {
      rcode: 'SERVFAIL', edns: undefined,
    }],
    ['an unencodable record turns the reply into SERVFAIL', 'x.cluster.local', 'A', { edns: {} }, answered([a('x.cluster.local', 'not-an-ip')]), {
      rcode: 'SERVFAIL', flags: ['qr', 'rd'], answer: [], edns: { udpSize: 1232, version: 0, do: false, extendedRcode: 0 },
    }],
  ])('%s', (_, name, type, o, answer, expected) => {
    const { query, question } = decoded(name, type, { id: 0xabcd, ...o });
    const reply = decodeReply(Buffer.from(encodeResponse(query, question, answer, udp)));
    expect(reply).toMatchObject({ id: 0xabcd, opcode: 0, question: [`${name}. IN ${type}`], ...expected });
  });

  it('sets RA when the server forwards, and echoes the opcode', () => {
    const { query, question } = decoded('example.org', 'A');
    const reply = decodeReply(Buffer.from(encodeResponse(query, question, answered([a('example.org', '192.0.2.1')], [], false), { transport: 'udp', recursionAvailable: true })));
    expect(reply.flags).toEqual(['qr', 'rd', 'ra']);
  });

  it('agrees with an independent decoder (dns2 Packet.parse)', () => {
    const { query, question } = decoded('_http._tcp.web.shop.svc.cluster.local', 'SRV', { edns: { do: true } });
    const bytes = Buffer.from(encodeResponse(query, question, answered(
      [{ type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local', ttl: 5, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' }],
      [a('web.shop.svc.cluster.local', '10.96.0.10')],
    ), udp));
    const packet = dns2.Packet.parse(bytes) as unknown as {
      header: { id: number; qr: number; aa: number; rcode: number };
      questions: { name: string; type: number }[];
      answers: { name: string; type: number; target: string; port: number; weight: number; priority: number; ttl: number }[];
      additionals: { name: string; type: number; address?: string }[];
      errors?: unknown[];
    };
    expect(packet.errors ?? []).toEqual([]);
    expect(packet.header).toMatchObject({ id: 0x1234, qr: 1, aa: 1, rcode: 0 });
    expect(packet.questions).toMatchObject([{ name: '_http._tcp.web.shop.svc.cluster.local', type: 33 }]);
    expect(packet.answers).toMatchObject([{ name: '_http._tcp.web.shop.svc.cluster.local', type: 33, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local', ttl: 5 }]);
    expect(packet.additionals).toMatchObject([{ name: 'web.shop.svc.cluster.local', type: 1, address: '10.96.0.10' }, { type: 41 }]);
  });
});

describe('encodeResponse: name compression', () => {
  it('writes SRV targets uncompressed (RFC 2782) while owner names point at the question', () => {
    const { query, question } = decoded('_HTTP._tcp.web.shop.svc.cluster.local', 'SRV');
    const bytes = Buffer.from(encodeResponse(query, question, answered([
      { type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local', ttl: 5, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' },
      { type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local', ttl: 5, priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' },
    ]), udp));
    const reply = decodeReply(bytes);
    expect(reply.answer).toEqual([
      '_HTTP._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.',
      '_HTTP._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.',
    ]);
    const first = 12 + question.length;
    expect(bytes.subarray(first, first + 2)).toEqual(Buffer.from([0xc0, 0x0c])); // owner: pointer to the question
    const target = Buffer.from(encodeName('web.shop.svc.cluster.local'));
    const rdata = (at: number) => bytes.subarray(at + 2 + 10 + 6, at + 2 + 10 + 6 + target.length);
    expect(rdata(first)).toEqual(target); // target: literal labels, both times
    expect(rdata(first + 2 + 10 + 6 + target.length)).toEqual(target);
    expect(bytes.length).toBe(first + 2 * (2 + 10 + 6 + target.length));
  });

  it('compresses CNAME targets and later owners against earlier names', () => {
    const { query, question } = decoded('web.shop', 'A');
    const bytes = Buffer.from(encodeResponse(query, question, answered([
      { type: 'CNAME', name: 'web.shop', ttl: 5, target: 'web.shop.svc.cluster.local' },
      a('web.shop.svc.cluster.local', '10.96.0.10'),
    ]), udp));
    // The CNAME target shares no suffix with the question, so it is written out; the A owner then points at it.
    const cnameRdata = 12 + question.length + 2 + 10;
    const aOwner = cnameRdata + bytes.readUInt16BE(cnameRdata - 2);
    expect(bytes.subarray(aOwner, aOwner + 2)).toEqual(Buffer.from([0xc0, cnameRdata]));
  });

  it('writes an owner name holding escapes as the labels it stands for', () => {
    const packet = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2e, 0x62, 1, 0x63, 0, 0, 1, 0, 1]);
    const v = decodeQuery(packet, meta);
    if (v.kind !== 'query') throw new Error(v.kind);
    const bytes = Buffer.from(encodeResponse(v.query, v.question, answered([a(v.query.lowerName, '10.0.0.1')]), udp));
    expect(bytes.subarray(12 + v.question.length, 12 + v.question.length + 7)).toEqual(Buffer.from([3, 0x61, 0x2e, 0x62, 1, 0x63, 0]));
    expect(decodeReply(bytes).answer).toEqual(['a.b.c. 5 IN A 10.0.0.1']); // the test decoder prints raw labels
  });
});

describe('encodeResponse: size limits', () => {
  it('sizes UDP answers by EDNS, capped at 1232, never below 512', () => {
    expect(responseSizeLimit('udp', undefined)).toBe(512);
    expect(responseSizeLimit('udp', { udpPayloadSize: 100, version: 0, dnssecOk: false })).toBe(512);
    expect(responseSizeLimit('udp', { udpPayloadSize: 800, version: 0, dnssecOk: false })).toBe(800);
    expect(responseSizeLimit('udp', { udpPayloadSize: 4096, version: 0, dnssecOk: false })).toBe(1232);
    expect(responseSizeLimit('tcp', undefined)).toBe(65535);
  });

  const name = 'db.shop.svc.cluster.local';
  // 12 header + 31 question = 43; each A record 16 octets; OPT 11.
  it.each<[string, QueryOptions, number, 'udp' | 'tcp', boolean]>([
    ['29 records fit in 512 without EDNS', {}, 29, 'udp', false],
    ['30 records do not', {}, 30, 'udp', true],
    ['with EDNS 800, 46 records fit', { edns: { udpSize: 800 } }, 46, 'udp', false],
    ['with EDNS 800, 47 do not', { edns: { udpSize: 800 } }, 47, 'udp', true],
    ['with EDNS 4096, 73 records fit in 1232', { edns: { udpSize: 4096 } }, 73, 'udp', false],
    ['with EDNS 4096, 74 do not', { edns: { udpSize: 4096 } }, 74, 'udp', true],
    ['a small EDNS size counts as 512', { edns: { udpSize: 200 } }, 28, 'udp', false],
    ['TCP takes 500 records whole', {}, 500, 'tcp', false],
  ])('%s', (_, o, n, transport, tc) => {
    const { query, question } = decoded(name, 'A', o);
    const bytes = Buffer.from(encodeResponse(query, question, answered(manyA(name, n)), transport === 'udp' ? udp : tcp));
    const reply = decodeReply(bytes);
    expect(bytes.length).toBeLessThanOrEqual(responseSizeLimit(transport, query.edns));
    if (tc) {
      // RFC 2181 §9: header, question (and OPT) only, TC set; the client retries over TCP.
      expect(reply).toMatchObject({ flags: ['qr', 'aa', 'tc', 'rd'], question: [`${name}. IN A`], answer: [], authority: [], additional: [] });
      expect(bytes.length).toBe(12 + question.length + (o.edns ? 11 : 0));
    } else {
      expect(reply.flags).not.toContain('tc');
      expect(reply.answer).toHaveLength(n);
    }
    expect(reply.edns === undefined).toBe(!o.edns);
  });

  it('keeps the OPT of a truncated reply and drops an EDE text that would not fit', () => {
    const { query, question } = decoded(name, 'A', { edns: {} });
    const long = { ...answered(manyA(name, 100)), extendedError: { code: 0, text: 'x'.repeat(1300) } };
    const reply = decodeReply(Buffer.from(encodeResponse(query, question, long, udp)));
    expect(reply.flags).toContain('tc');
    expect(reply.edns).toEqual({ udpSize: 1232, version: 0, do: false, extendedRcode: 0 });
  });
});

describe('encodeResponse: OPT layout', () => {
  it('writes OPT and EDE byte for byte (RFC 6891 §6.1.2, RFC 8914 §2)', () => {
    const { query, question } = decoded('x.cluster.local', 'A', { edns: { do: true } });
    const bytes = Buffer.from(encodeResponse(query, question, servfail({ code: 23, text: 'ab' }), udp));
    expect(bytes.readUInt16BE(10)).toBe(1); // ARCOUNT: the OPT
    expect([...bytes.subarray(12 + question.length)]).toEqual([
      0, // root owner
      0, 41, // TYPE OPT
      0x04, 0xd0, // CLASS: our UDP payload size, 1232
      0, 0, 0x80, 0, // TTL: extended RCODE 0, version 0, DO, Z
      0, 8, // RDLENGTH
      0, 15, 0, 4, // OPTION-CODE 15 (EDE), OPTION-LENGTH 4
      0, 23, 0x61, 0x62, // INFO-CODE 23, EXTRA-TEXT "ab"
    ]);
  });
});

describe('encodeVerdict', () => {
  it('FORMERR echoes id, opcode, RD, CD and the question, with no OPT when the query had none', () => {
    const packet = Buffer.concat([buildQuery('Web.cluster.local', 'A', { id: 7, cd: true }), Buffer.from([0])]);
    const reply = decodeReply(Buffer.from(encodeVerdict(verdict(packet), { transport: 'udp' })));
    expect(reply).toMatchObject({ id: 7, opcode: 0, rcode: 'FORMERR', flags: ['qr', 'rd', 'cd'], question: ['Web.cluster.local. IN A'], answer: [], authority: [], additional: [], edns: undefined });
  });

  it('FORMERR carries an OPT when the query had one valid OPT', () => {
    const packet = Buffer.concat([buildQuery('web.cluster.local', 'A', { edns: { do: true } }), Buffer.from([0])]);
    const reply = decodeReply(Buffer.from(encodeVerdict(verdict(packet), { transport: 'udp' })));
    expect(reply).toMatchObject({ rcode: 'FORMERR', edns: { udpSize: 1232, version: 0, do: true, extendedRcode: 0 } });
  });

  it('FORMERR without a question when none was readable', () => {
    const packet = Buffer.from([0, 9, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    const reply = decodeReply(Buffer.from(encodeVerdict(verdict(packet), { transport: 'udp' })));
    expect(reply).toMatchObject({ id: 9, rcode: 'FORMERR', question: [], size: 12 });
  });

  it('NOTIMP echoes the opcode and the question', () => {
    const packet = buildQuery('web.cluster.local', 'SOA', { opcode: 4, id: 99 });
    const reply = decodeReply(Buffer.from(encodeVerdict(verdict(packet), { transport: 'udp', recursionAvailable: true })));
    expect(reply).toMatchObject({ id: 99, opcode: 4, rcode: 'NOTIMP', flags: ['qr', 'rd', 'ra'], question: ['web.cluster.local. IN SOA'] });
  });

  it('BADVERS answers with an OPT of version 0 and the extended RCODE 16 (RFC 6891 §6.1.3)', () => {
    const packet = buildQuery('web.cluster.local', 'A', { edns: { version: 1, do: true } });
    const bytes = Buffer.from(encodeVerdict(verdict(packet), { transport: 'udp' }));
    const reply = decodeReply(bytes);
    expect(reply).toMatchObject({ rcode: 'BADVERS', rcodeValue: 16, question: ['web.cluster.local. IN A'], edns: { udpSize: 1232, version: 0, do: true, extendedRcode: 1 } });
    expect(bytes[3]! & 0x0f).toBe(0); // header RCODE: the low 4 bits of 16
  });
});

describe('encodeResponse: relayed answers', () => {
  const upstreamReply = (name: string, id: number, extra = 0): Buffer => {
    const q = buildQuery(name, 'A', { id });
    q[2]! |= 0x80;
    q[3]! |= 0x80;
    return Buffer.concat([q, Buffer.alloc(extra)]);
  };

  it('rewrites the id and the question case of this client, leaving the input alone', () => {
    const { query, question } = decoded('Example.ORG', 'A', { id: 0x4242 });
    const upstream = upstreamReply('example.org', 0x0101);
    const out = Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: upstream }, { transport: 'udp', recursionAvailable: true }));
    expect(out.readUInt16BE(0)).toBe(0x4242);
    expect(out.subarray(12)).toEqual(Buffer.from(question));
    expect(upstream.readUInt16BE(0)).toBe(0x0101);
    expect(upstream.subarray(12, 20).toString('latin1')).toBe('\x07example'); // still the upstream's case
  });

  it('does not copy the question over a reply that asked something else or has no question', () => {
    const { query, question } = decoded('Example.ORG', 'A', { id: 1 });
    const other = upstreamReply('examplf.org', 2);
    expect(Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: other }, udp)).subarray(2)).toEqual(other.subarray(2));
    const noQuestion = Buffer.from(other);
    noQuestion.writeUInt16BE(0, 4);
    expect(Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: noQuestion }, udp)).subarray(2)).toEqual(noQuestion.subarray(2));
  });

  it('over UDP, a reply larger than the client takes becomes TC with the upstream rcode', () => {
    const { query, question } = decoded('example.org', 'A', { id: 5 });
    const big = upstreamReply('example.org', 6, 600);
    big[3] = 0x83; // RA, NXDOMAIN
    const reply = decodeReply(Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: big }, udp)));
    expect(reply).toMatchObject({ id: 5, rcode: 'NXDOMAIN', flags: ['qr', 'tc', 'rd', 'ra'], question: ['example.org. IN A'], answer: [] });
    const overTcp = Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: big }, tcp));
    expect(overTcp.length).toBe(big.length);
  });

  it('a relayed reply shorter than a header is SERVFAIL', () => {
    const { query, question } = decoded('example.org', 'A', { id: 5 });
    const reply = decodeReply(Buffer.from(encodeResponse(query, question, { kind: 'relayed', bytes: new Uint8Array(3) }, udp)));
    expect(reply).toMatchObject({ id: 5, rcode: 'SERVFAIL', question: ['example.org. IN A'] });
  });
});

describe('encodeResponse: prepared sections', () => {
  it('reuses an answer object only for the same name, whatever the letter case', () => {
    const answer = answered([a('web.cluster.local', '10.0.0.1')]);
    const first = decoded('web.cluster.local', 'A');
    const upper = decoded('WEB.cluster.local', 'A');
    const other = decoded('web2.cluster.local', 'A');
    expect(decodeReply(Buffer.from(encodeResponse(first.query, first.question, answer, udp))).answer).toEqual(['web.cluster.local. 5 IN A 10.0.0.1']);
    expect(decodeReply(Buffer.from(encodeResponse(upper.query, upper.question, answer, udp))).answer).toEqual(['WEB.cluster.local. 5 IN A 10.0.0.1']);
    expect(decodeReply(Buffer.from(encodeResponse(other.query, other.question, answer, udp))).answer).toEqual(['web.cluster.local. 5 IN A 10.0.0.1']);
  });

  it('reuses a negative answer after any question', () => {
    const answer = nxdomain(soa);
    for (const name of ['a.cluster.local', 'much.longer.name.svc.cluster.local']) {
      const { query, question } = decoded(name, 'A');
      expect(decodeReply(Buffer.from(encodeResponse(query, question, answer, udp))).authority).toEqual([SOA_TEXT]);
    }
  });
});
