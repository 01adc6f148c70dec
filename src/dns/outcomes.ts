/** Named builders for every DNS outcome, so stages say what they mean (nxdomain(soa), nodata(soa), …). */
import { Rcode, type RecordsAnswer, type ResourceRecord, type SOARecord, type RcodeValue } from './types.js';

const none: readonly ResourceRecord[] = Object.freeze([]);

function outcome(rcode: RcodeValue, authoritative: boolean, answer = none, authority = none, additional = none): RecordsAnswer {
  return { kind: 'records', rcode, authoritative, answer, authority, additional };
}

/** A positive answer from a zone we own. */
export function answered(answer: readonly ResourceRecord[], additional: readonly ResourceRecord[] = none, authoritative = true): RecordsAnswer {
  return outcome(Rcode.NOERROR, authoritative, answer, none, additional);
}

/** The name exists but has no data of the asked type: NOERROR, empty answer, SOA for negative caching (RFC 2308 §2.2). */
export function nodata(soa: SOARecord, answer: readonly ResourceRecord[] = none, authoritative = true): RecordsAnswer {
  return outcome(Rcode.NOERROR, authoritative, answer, [soa]);
}

/** The name does not exist: NXDOMAIN with the SOA for negative caching (RFC 2308 §2.1). */
export function nxdomain(soa: SOARecord, answer: readonly ResourceRecord[] = none, authoritative = true): RecordsAnswer {
  return outcome(Rcode.NXDOMAIN, authoritative, answer, [soa]);
}

export function servfail(extendedError?: { code: number; text: string }): RecordsAnswer {
  const answer = outcome(Rcode.SERVFAIL, false);
  return extendedError ? { ...answer, extendedError } : answer;
}

export function refused(extendedError?: { code: number; text: string }): RecordsAnswer {
  const answer = outcome(Rcode.REFUSED, false);
  return extendedError ? { ...answer, extendedError } : answer;
}

export function formerr(): RecordsAnswer {
  return outcome(Rcode.FORMERR, false);
}

export function notimp(): RecordsAnswer {
  return outcome(Rcode.NOTIMP, false);
}

export function badvers(): RecordsAnswer {
  return outcome(Rcode.BADVERS, false);
}

/** RFC 8914 extended error codes we use. */
export const ExtendedError = {
  OTHER: 0,
  NOT_READY: 14,
  PROHIBITED: 18,
  NOT_AUTHORITATIVE: 20,
  NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;
