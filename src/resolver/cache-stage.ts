/**
 * Cache stage, in front of forwarding: keeps relayed upstream replies as bytes for their TTL (RFC 1035
 * §7.4, RFC 2181 §8), negative replies for the SOA's negative TTL (RFC 2308 §5), an upstream SERVFAIL
 * briefly (RFC 2308 §7.1), and serves them with every TTL counted down, the id and question case of
 * the asking query copied in. Bounded by entries, least recently used evicted first.
 */
import { LRUCache } from 'lru-cache';
import type { Answer, Query } from '../dns/types.js';
import { addressReplyTo, inspectReply } from '../wire/reply-inspector.js';
import type { Stage } from './stage.js';

export interface CacheOptions {
  /** Entries kept at most (LRU); 0 turns the cache off. Default 10000. */
  readonly maxEntries?: number;
  /** Cap on a positive TTL, seconds. Default 3600 (CoreDNS cache's default). */
  readonly maxTtl?: number;
  /** Cap on a negative (NXDOMAIN/NODATA) TTL, seconds. Default 1800. */
  readonly maxNegativeTtl?: number;
  /** How long an upstream SERVFAIL is kept, seconds; 0 = never. At most 300 (RFC 2308 §7.1). Default 5. */
  readonly servfailTtl?: number;
  /** Clock in ms; injectable so tests need not sleep. Default Date.now. */
  readonly now?: () => number;
}

export interface CacheStats {
  /** Queries answered from the cache. */
  readonly hits: number;
  /** Queries passed on (absent or expired entry). */
  readonly misses: number;
  /** Entries held now. */
  readonly size: number;
}

export interface ReplyCache {
  /** The stage; put it right before the forward stage. */
  readonly stage: Stage;
  stats(): CacheStats;
  /** Drops every entry (the counters stay). */
  clear(): void;
}

interface Entry {
  readonly bytes: Uint8Array;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly ttlOffsets: readonly number[];
}

const RCODE_SERVFAIL = 2;

/**
 * The cache and coalescing key: the lowercased question and every query bit that changes the reply —
 * EDNS present (an OPT in the reply or not, RFC 6891 §7), DO (DNSSEC records), CD, RD.
 * Example: `example.org|1|1|do|cd|rd`.
 */
export function replyKey(query: Query): string {
  const edns = query.edns ? (query.edns.dnssecOk ? 'do' : 'e') : '-';
  return `${query.lowerName}|${query.type}|${query.class}|${edns}|${query.checkingDisabled ? 'cd' : ''}|${query.recursionDesired ? 'rd' : ''}`;
}

/** Creates the cache; `stage` is a pass-through when `maxEntries` is 0. */
export function createReplyCache(options: CacheOptions = {}): ReplyCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxTtl = options.maxTtl ?? 3600;
  const maxNegativeTtl = options.maxNegativeTtl ?? 1800;
  const servfailTtl = Math.min(options.servfailTtl ?? 5, 300);
  const now = options.now ?? Date.now;
  let hits = 0;
  let misses = 0;
  if (maxEntries === 0) return { stage: (query, next) => next(query), stats: () => ({ hits, misses, size: 0 }), clear: () => {} };
  const entries = new LRUCache<string, Entry>({ max: maxEntries });

  /** How long to keep `bytes` (seconds), with what the walk found; undefined: do not cache. */
  function lifetime(bytes: Uint8Array): { ttl: number; info: NonNullable<ReturnType<typeof inspectReply>> } | undefined {
    const info = inspectReply(bytes);
    if (!info || info.truncated) return undefined; // a TC reply is incomplete: the client retries over TCP
    if (info.rcode === RCODE_SERVFAIL) return { ttl: servfailTtl, info };
    if (info.cacheTtl === undefined) return undefined;
    return { ttl: Math.min(info.cacheTtl, info.negative ? maxNegativeTtl : maxTtl), info };
  }

  const stage: Stage = async (query, next): Promise<Answer> => {
    const key = replyKey(query);
    const hit = entries.get(key);
    const at = now();
    if (hit && at < hit.expiresAt) {
      hits++;
      return { kind: 'relayed', bytes: serve(hit, at, query), cached: true };
    }
    if (hit) entries.delete(key);
    misses++;
    const answer = await next(query);
    if (answer.kind !== 'relayed') return answer; // our own answers (e.g. SERVFAIL on a timeout) are not kept
    const keep = lifetime(answer.bytes);
    if (keep && keep.ttl > 0) {
      const storedAt = now();
      entries.set(key, { bytes: Uint8Array.from(answer.bytes), storedAt, expiresAt: storedAt + keep.ttl * 1000, ttlOffsets: keep.info.ttlOffsets });
    }
    return answer;
  };

  return {
    stage,
    stats: () => ({ hits, misses, size: entries.size }),
    clear: () => entries.clear(),
  };
}

/** A copy of the cached reply for `query`: its id and case, each TTL less the whole seconds cached. */
function serve(entry: Entry, at: number, query: Query): Uint8Array {
  let out: Uint8Array;
  if (query.wire) {
    out = addressReplyTo(entry.bytes, query.wire);
  } else {
    out = Uint8Array.from(entry.bytes);
    out[0] = query.id >> 8;
    out[1] = query.id & 0xff;
  }
  const elapsed = Math.floor((at - entry.storedAt) / 1000);
  if (elapsed <= 0) return out;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const offset of entry.ttlOffsets) view.setUint32(offset, Math.max(0, view.getUint32(offset) - elapsed));
  return out;
}
