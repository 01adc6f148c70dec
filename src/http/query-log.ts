/**
 * The live query log behind GET /ui: a preallocated ring of the last N queries (numbers in typed
 * arrays, references to strings and answers that already exist), read and formatted only when
 * someone asks. Nothing is written to disk. Recording a query is a few array writes; rows are turned
 * into objects, answers into text, only for /v1/ui/queries, the SSE stream and the failed-names view.
 */
import type { Answer } from '../dns/types.js';
import { readReplyRecords } from '../wire/reply-records.js';
import { formatRecord } from '../resolver/explain.js';
import { qtypeLabel, rcodeLabel } from './metrics.js';

/** How a query was answered: from the cluster registry (our own answer), the reply cache, an upstream, or refused/failed by us. */
export const AnsweredBy = { cluster: 0, cache: 1, upstream: 2, local: 3 } as const;
const ANSWERED_BY_TEXT = ['cluster', 'cache', 'upstream', 'local'] as const;

/** One row as the page and the JSON endpoints see it. */
export interface QueryRow {
  /** Increases by one per recorded query; the SSE stream resumes from it. */
  readonly seq: number;
  /** Epoch ms; to the second (a coarse clock) when the query was not timed. */
  readonly time: number;
  readonly client: string;
  readonly transport: 'udp' | 'tcp';
  readonly name: string;
  readonly type: string;
  readonly rcode: string;
  /** NODATA: NOERROR with an empty answer section (RFC 2308 §2.2). */
  readonly nodata: boolean;
  readonly answer: readonly string[];
  /** Milliseconds; null when the query was not timed (one cluster answer in 16 is timed while nobody watches). */
  readonly latencyMs: number | null;
  readonly answeredBy: (typeof ANSWERED_BY_TEXT)[number];
  /** The upstream that answered (`10.0.0.2:53`), when one did. */
  readonly upstream?: string;
}

/** Filters of the live view; every field optional. `name` and `client` match substrings, case-insensitively. */
export interface QueryFilter {
  readonly rcode?: string;
  readonly client?: string;
  readonly name?: string;
  /** Only queries that took longer than this many ms (untimed queries never match). */
  readonly slowerThanMs?: number;
}

/** Names that failed lately, grouped: `{ name: 'web.shopp.', type: 'A', rcode: 'NXDOMAIN', count: 3, last: 1764650000000 }`. */
export interface FailedName {
  readonly name: string;
  readonly type: string;
  readonly rcode: 'NXDOMAIN' | 'NODATA' | 'SERVFAIL';
  readonly count: number;
  readonly last: number;
}

export interface QueryLog {
  /** Capacity of the ring (0: the log is off and record() does nothing). */
  readonly size: number;
  /** True while a stream is open or the page asked within the last minute: every query is then timed. */
  watching(): boolean;
  /** One query (called once per reply). `started` is a performance.now() reading, or < 0 when not timed. */
  record(client: string, port: number, tcp: boolean, qname: string, qtype: number, rcode: number, answer: Answer | undefined, answerCount: number, started: number, finished: number): void;
  /** Rows newest first, at most `limit`, matching `filter`, newer than `afterSeq`. */
  rows(filter?: QueryFilter, limit?: number, afterSeq?: number): QueryRow[];
  /** NXDOMAIN, NODATA and SERVFAIL answers of the last `windowMs`, grouped by name, type and rcode, most frequent first. */
  failedNames(windowMs: number): FailedName[];
  /** Called with the new rows (oldest first) at most every `intervalMs` while subscribed; returns the unsubscribe. */
  subscribe(listener: (rows: readonly QueryRow[]) => void): () => void;
  /** Marks the log as watched for a minute (a page load or a poll). */
  touch(): void;
  close(): void;
}

export interface QueryLogOptions {
  /** Rows kept; 0 turns the log off. */
  readonly size: number;
  /** Epoch ms clock; default Date.now. Read once a second by the coarse clock, and by touch(). */
  readonly now?: () => number;
  /** How often subscribers get new rows, ms. Default 250. */
  readonly flushMs?: number;
}

/** Largest relayed reply kept for the answer column (the 1232-octet EDNS payload of DNS Flag Day 2020, our UDP cap); larger ones show no answer. */
const MAX_KEPT_REPLY_BYTES = 1232;

/** Rows of the last minute count as "watched" after the page last asked (then every query is timed). */
const WATCH_GRACE_MS = 60_000;

export function createQueryLog(options: QueryLogOptions): QueryLog {
  const size = Math.max(0, Math.floor(options.size));
  const now = options.now ?? Date.now;
  const flushMs = options.flushMs ?? 250;
  // Columns, preallocated once: a recorded query allocates nothing.
  const times = new Float64Array(size);
  const latencies = new Float32Array(size);
  const ports = new Uint16Array(size);
  const qtypes = new Uint16Array(size);
  const rcodes = new Uint8Array(size);
  const flags = new Uint8Array(size); // bit 0: tcp; bits 1-2: AnsweredBy
  const counts = new Uint16Array(size);
  const clients: string[] = new Array<string>(size).fill('');
  const names: string[] = new Array<string>(size).fill('');
  const answers: (Answer | undefined)[] = new Array<Answer | undefined>(size).fill(undefined);
  const upstreams: (string | undefined)[] = new Array<string | undefined>(size).fill(undefined);
  let next = 0; // total recorded; the row of seq s sits at s % size
  let watchedUntil = 0;
  const listeners = new Set<(rows: readonly QueryRow[]) => void>();
  let flushedSeq = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  // A coarse wall clock for rows that were not timed: one clock read a second instead of one per query.
  // Timed rows: wall time = origin + performance.now(), with origin re-read from the wall clock
  // each second, so a long-running server's times do not drift from Date.now (NTP slews it).
  let coarseNow = now();
  let origin = coarseNow - performance.now();
  const clockTimer =
    size > 0
      ? setInterval(() => {
          coarseNow = now();
          origin = coarseNow - performance.now();
        }, 1000)
      : undefined;
  clockTimer?.unref?.();

  function rowAt(seq: number): QueryRow {
    const i = seq % size;
    const answer = answers[i];
    const by = (flags[i]! >> 1) & 3;
    const rcode = rcodes[i]!;
    const latency = latencies[i]!;
    const upstream = upstreams[i];
    return {
      seq,
      time: Math.round(times[i]!),
      client: `${clients[i]}:${ports[i]}`,
      transport: flags[i]! & 1 ? 'tcp' : 'udp',
      name: `${names[i]}.`,
      type: qtypeLabel(qtypes[i]!),
      rcode: rcodeLabel(rcode),
      nodata: rcode === 0 && counts[i] === 0,
      answer: answerText(answer),
      latencyMs: latency < 0 ? null : Math.round(latency * 1000) / 1000,
      answeredBy: ANSWERED_BY_TEXT[by]!,
      ...(upstream ? { upstream } : {}),
    };
  }

  function matches(seq: number, filter: QueryFilter | undefined): boolean {
    if (!filter) return true;
    const i = seq % size;
    if (filter.rcode) {
      const wanted = filter.rcode.toUpperCase();
      const rcode = rcodes[i]!;
      const isNodata = rcode === 0 && counts[i] === 0;
      if (wanted === 'NODATA' ? !isNodata : wanted === 'FAILED' ? !(isNodata || rcode !== 0) : rcodeLabel(rcode) !== wanted) return false;
    }
    if (filter.client && !`${clients[i]}:${ports[i]}`.includes(filter.client)) return false;
    if (filter.name && !names[i]!.includes(filter.name.toLowerCase().replace(/\.$/, ''))) return false;
    if (filter.slowerThanMs !== undefined && !(latencies[i]! >= 0 && latencies[i]! > filter.slowerThanMs)) return false;
    return true;
  }

  function flush(): void {
    flushTimer = undefined;
    const oldest = Math.max(flushedSeq, next - size);
    if (oldest >= next) return;
    const rows: QueryRow[] = [];
    for (let seq = oldest; seq < next; seq++) rows.push(rowAt(seq));
    flushedSeq = next;
    for (const listener of listeners) listener(rows);
  }

  return {
    size,
    watching: () => listeners.size > 0 || coarseNow < watchedUntil,
    record(client, port, tcp, qname, qtype, rcode, answer, answerCount, started, finished) {
      if (size === 0) return;
      const i = next % size;
      times[i] = started >= 0 ? origin + started : coarseNow;
      latencies[i] = started >= 0 ? finished - started : -1;
      ports[i] = port;
      qtypes[i] = qtype;
      rcodes[i] = rcode;
      counts[i] = answerCount;
      clients[i] = client;
      names[i] = qname;
      // A relayed reply is kept only up to a UDP payload's size, so the ring's memory stays bounded.
      answers[i] = answer?.kind === 'relayed' && answer.bytes.length > MAX_KEPT_REPLY_BYTES ? undefined : answer;
      upstreams[i] = answer?.kind === 'relayed' ? answer.upstream : undefined;
      const by = answer === undefined || (answer.kind === 'records' && rcode !== 0 && rcode !== 3 && !answer.authoritative) ? AnsweredBy.local : answer.kind === 'records' ? AnsweredBy.cluster : answer.cached ? AnsweredBy.cache : AnsweredBy.upstream;
      flags[i] = (tcp ? 1 : 0) | (by << 1);
      next++;
      if (listeners.size > 0 && flushTimer === undefined) {
        flushTimer = setTimeout(flush, flushMs);
        flushTimer.unref?.();
      }
    },
    rows(filter, limit = 500, afterSeq = -1) {
      const out: QueryRow[] = [];
      const oldest = Math.max(0, next - size, afterSeq + 1);
      for (let seq = next - 1; seq >= oldest && out.length < limit; seq--) if (matches(seq, filter)) out.push(rowAt(seq));
      return out;
    },
    failedNames(windowMs) {
      const since = now() - windowMs;
      const groups = new Map<string, { name: string; type: string; rcode: FailedName['rcode']; count: number; last: number }>();
      for (let seq = next - 1; seq >= Math.max(0, next - size); seq--) {
        const i = seq % size;
        if (times[i]! < since) continue;
        const rcode = rcodes[i]!;
        const kind = rcode === 3 ? 'NXDOMAIN' : rcode === 2 ? 'SERVFAIL' : rcode === 0 && counts[i] === 0 ? 'NODATA' : undefined;
        if (!kind) continue;
        const type = qtypeLabel(qtypes[i]!);
        const key = `${names[i]}|${type}|${kind}`;
        const group = groups.get(key);
        if (group) group.count++;
        else groups.set(key, { name: `${names[i]}.`, type, rcode: kind, count: 1, last: Math.round(times[i]!) });
      }
      return [...groups.values()].sort((a, b) => b.count - a.count || b.last - a.last || a.name.localeCompare(b.name));
    },
    subscribe(listener) {
      if (listeners.size === 0) flushedSeq = next;
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    touch() {
      coarseNow = now();
      watchedUntil = coarseNow + WATCH_GRACE_MS;
    },
    close() {
      clearInterval(clockTimer);
      clearTimeout(flushTimer);
      listeners.clear();
    },
  };
}

/** The answer section as zone-file lines, as dig prints it; read only when a row is shown. */
export function answerText(answer: Answer | undefined): string[] {
  if (!answer) return [];
  if (answer.kind === 'records') return answer.answer.map(formatRecord);
  const read = readReplyRecords(answer.bytes);
  return read ? read.answer.map(formatRecord) : [];
}
