/** The DNS vocabulary shared by every layer: record and answer shapes, numeric codes. Pure data. */

/** RR TYPE values we answer or recognise (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 1995). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;

export const RecordClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

/** RCODE values; BADVERS is an extended RCODE carried partly in OPT (RFC 6891 §6.1.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;
export type RcodeValue = (typeof Rcode)[keyof typeof Rcode];

export const Opcode = { QUERY: 0 } as const;

/**
 * Domain names inside records are absolute, lowercase and written without the trailing dot:
 * `web.shop.svc.cluster.local`. The root is the empty string.
 */
export type DomainName = string;

interface RecordBase {
  readonly name: DomainName;
  readonly ttl: number;
}
export interface ARecord extends RecordBase { readonly type: 'A'; readonly address: string }
export interface AAAARecord extends RecordBase { readonly type: 'AAAA'; readonly address: string }
export interface CNAMERecord extends RecordBase { readonly type: 'CNAME'; readonly target: DomainName }
export interface PTRRecord extends RecordBase { readonly type: 'PTR'; readonly target: DomainName }
export interface NSRecord extends RecordBase { readonly type: 'NS'; readonly target: DomainName }
export interface TXTRecord extends RecordBase { readonly type: 'TXT'; readonly texts: readonly string[] }
export interface SRVRecord extends RecordBase {
  readonly type: 'SRV';
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: DomainName;
}
export interface SOARecord extends RecordBase {
  readonly type: 'SOA';
  readonly mname: DomainName;
  readonly rname: DomainName;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}
/**
 * A record of a type we do not model, as an upstream sent it (class IN): its TYPE number and RDATA,
 * with any compressed names in the RDATA already expanded (RFC 3597 §4), so it can be written anywhere.
 * Example, an MX from an upstream: `{ type: 'OPAQUE', name: 'example.org', ttl: 300, rrtype: 15, rdata: <0 10 4 mail …> }`.
 */
export interface OpaqueRecord extends RecordBase {
  readonly type: 'OPAQUE';
  readonly rrtype: number;
  readonly rdata: Uint8Array;
}

/** One resource record, discriminated by `type`. */
export type ResourceRecord =
  | ARecord
  | AAAARecord
  | CNAMERecord
  | PTRRecord
  | NSRecord
  | TXTRecord
  | SRVRecord
  | SOARecord
  | OpaqueRecord;
export type ResourceRecordType = ResourceRecord['type'];

/** The EDNS(0) parameters a query carried in its OPT record (RFC 6891 §6.1.2). */
export interface Edns {
  readonly udpPayloadSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

export type TransportKind = 'udp' | 'tcp';

/**
 * A decoded, well-formed query. `name` keeps the letter case the client sent; `lowerName` is the
 * form every lookup uses. Neither has a trailing dot; the root is ''.
 */
export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  readonly name: string;
  readonly lowerName: DomainName;
  readonly type: number;
  readonly class: number;
  readonly edns: Edns | undefined;
  readonly transport: TransportKind;
  readonly client: { readonly address: string; readonly port: number };
  /** The query exactly as received, for stages that relay it (forwarding). */
  readonly wire?: Uint8Array;
}

/**
 * What the resolver decided. `records` is an answer we built; `relayed` is an upstream's reply
 * passed through as bytes (only the id is rewritten at the edge).
 *
 * Example, `web.shop.svc.cluster.local A`:
 * `{ kind: 'records', rcode: 0, authoritative: true, answer: [{ type: 'A', name: 'web.shop.svc.cluster.local', ttl: 5, address: '10.96.0.10' }], authority: [], additional: [] }`
 */
export type Answer = RecordsAnswer | RelayedAnswer;

export interface RecordsAnswer {
  readonly kind: 'records';
  readonly rcode: RcodeValue;
  readonly authoritative: boolean;
  readonly answer: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
  /** RFC 8914 extended DNS error, sent when the query had EDNS. */
  readonly extendedError?: { readonly code: number; readonly text: string };
}

export interface RelayedAnswer {
  readonly kind: 'relayed';
  /** The upstream's whole reply, as received. */
  readonly bytes: Uint8Array;
  /** Served from the reply cache (for the query log). */
  readonly cached?: boolean;
  /** The upstream that sent it, `10.0.0.2:53` (for the query log). */
  readonly upstream?: string;
}
