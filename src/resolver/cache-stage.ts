/**
 * Cache stage, in front of forwarding: keeps upstream replies as bytes for their TTL (RFC 1035 §7.4),
 * negative replies for the SOA's negative TTL (RFC 2308 §5), upstream SERVFAIL briefly (RFC 2308
 * §7.1), and serves them with every TTL counted down. Bounded by entries, least recently used first.
 */
import { LRUCache } from 'lru-cache';
import type { Query } from '../dns/types.js';
import { inspectReply } from '../wire/reply-inspector.js';
import type { Stage } from './stage.js';

export interface CacheOptions {
  /** Entries kept at most; 0 turns the cache off. Default 10000. */
  readonly maxEntries?: number;
  /** Cap on a positive TTL, seconds. Default 3600. */
  readonly maxTtl?: number;
  /** Cap on a negative TTL, seconds. Default 1800. */
  readonly maxNegativeTtl?: number;
  /** How long an upstream SERVFAIL is kept, seconds. Default 5. */
  readonly servfailTtl?: number;
  /** Clock in ms; injectable so tests need not sleep. Default Date.now. */
  readonly now?: () => number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface ReplyCache {
  readonly stage: Stage;
  stats(): CacheStats;
}

interface Entry {
  readonly bytes: Uint8Array;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly ttlOffsets: readonly number[];
}

/** The cache key: the question, and the query properties that change the reply. */
export function replyKey(query: Query): string {
  return `${query.lowerName}|${query.type}|${query.class}|${query.edns ? (query.edns.dnssecOk ? 'do' : 'e') : '-'}|${query.checkingDisabled ? 'cd' : ''}`;
}

export function createReplyCache(options: CacheOptions = {}): ReplyCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxTtl = options.maxTtl ?? 3600;
  const maxNegativeTtl = options.maxNegativeTtl ?? 1800;
  const servfailTtl = options.servfailTtl ?? 5;
  const now = options.now ?? Date.now;
  const stats: CacheStats = { hits: 0, misses: 0, size: 0 };
  if (maxEntries === 0) return { stage: (query, next) => next(query), stats: () => ({ ...stats }) };
  const entries = new LRUCache<string, Entry>({ max: maxEntries });

  const stage: Stage = async (query, next) => {
    const key = replyKey(query);
    const hit = entries.get(key);
    const at = now();
    if (hit && at < hit.expiresAt) {
      stats.hits++;
      return { kind: 'relayed', bytes: aged(hit, at) };
    }
    if (hit) entries.delete(key);
    stats.misses++;
    const answer = await next(query);
    if (answer.kind !== 'relayed') return answer;
    const info = inspectReply(answer.bytes);
    if (!info || info.truncated) return answer;
    let ttl: number | undefined;
    if (info.rcode === 2) ttl = servfailTtl;
    else if (info.cacheTtl !== undefined) ttl = Math.min(info.cacheTtl, info.negative ? maxNegativeTtl : maxTtl);
    if (ttl !== undefined && ttl > 0) {
      const storedAt = now();
      entries.set(key, { bytes: answer.bytes, storedAt, expiresAt: storedAt + ttl * 1000, ttlOffsets: info.ttlOffsets });
    }
    return answer;
  };
  return {
    stage,
    stats: () => ({ ...stats, size: entries.size }),
  };
}

/** A copy of the cached reply with each TTL reduced by the whole seconds it has been cached. */
function aged(entry: Entry, at: number): Uint8Array {
  const out = Uint8Array.from(entry.bytes);
  const elapsed = Math.floor((at - entry.storedAt) / 1000);
  if (elapsed <= 0) return out;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const offset of entry.ttlOffsets) view.setUint32(offset, Math.max(0, view.getUint32(offset) - elapsed));
  return out;
}
