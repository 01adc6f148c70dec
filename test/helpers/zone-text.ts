/** Test helper: records as zone-file text lines, so tests compare whole sections as strings. */
import type { RecordsAnswer, ResourceRecord } from '../../src/dns/types.js';

const fqdn = (name: string) => (name === '' ? '.' : `${name}.`);

export function recordText(r: ResourceRecord): string {
  const head = `${fqdn(r.name)} ${r.ttl} IN ${r.type}`;
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return `${head} ${r.address}`;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return `${head} ${fqdn(r.target)}`;
    case 'TXT':
      return `${head} ${r.texts.map((t) => JSON.stringify(t)).join(' ')}`;
    case 'SRV':
      return `${head} ${r.priority} ${r.weight} ${r.port} ${fqdn(r.target)}`;
    case 'SOA':
      return `${head} ${fqdn(r.mname)} ${fqdn(r.rname)} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
    case 'OPAQUE':
      // RFC 3597 §5: unknown types as TYPEnnn with generic RDATA.
      return `${fqdn(r.name)} ${r.ttl} IN TYPE${r.rrtype} \\# ${r.rdata.length} ${Buffer.from(r.rdata).toString('hex')}`;
  }
}

export interface AnswerText {
  rcode: string;
  aa: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
}

const RCODES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS' };

export function answerText(a: RecordsAnswer): AnswerText {
  return {
    rcode: RCODES[a.rcode] ?? String(a.rcode),
    aa: a.authoritative,
    answer: a.answer.map(recordText),
    authority: a.authority.map(recordText),
    additional: a.additional.map(recordText),
  };
}
