/** The per-packet path: bytes in → decode → resolve → encode → bytes out, with counting, duration sampling and query logs. */
import type { Logger } from '../log.js';
import type { ResolvedOptions } from '../options.js';
import { servfail } from '../dns/outcomes.js';
import type { Answer, Query } from '../dns/types.js';
import { isInZone } from '../resolver/cluster-answers.js';
import type { Next } from '../resolver/stage.js';
import { qtypeLabel, QueryZone, rcodeLabel, Transport, type ServerMetrics } from '../http/metrics.js';
import type { QueryLog } from '../http/query-log.js';
import { decodeQuery } from '../wire/query-decoder.js';
import { encodeResponse, encodeVerdict } from '../wire/answer-encoder.js';
import type { ListenerMeta, PacketHandler } from '../transport/packet-handler.js';

export interface QueryHandlerDeps {
  readonly resolve: Next;
  /** Counted into when HTTP is on (or a --workers worker counts for its primary). */
  readonly metrics: ServerMetrics | undefined;
  /** The /ui live view's ring. */
  readonly recentQueries: QueryLog | undefined;
  /** Where `--log-queries` writes one line per reply. */
  readonly queryLog: Pick<Logger, 'info'>;
  /** A resolver exception is logged here, at most once per 10 s per message. */
  readonly rateLimited: Pick<Logger, 'error'>;
}

/** Builds the handler the DNS listeners call for every message. */
export function createQueryHandler(options: ResolvedOptions, deps: QueryHandlerDeps): PacketHandler {
  const { resolve, metrics, recentQueries, queryLog, rateLimited } = deps;
  const clusterDomain = options.clusterDomain;
  const clusterAliases = options.clusterDomains.slice(1);
  const logQueries = options.logQueries;
  const recursionAvailable = options.upstream !== 'none';
  const observing = metrics !== undefined || logQueries;
  const encodeOptions = { udp: { transport: 'udp', recursionAvailable }, tcp: { transport: 'tcp', recursionAvailable } } as const;
  /**
   * Duration sampling. A cluster answer takes microseconds and is sent in the same tick; two clock
   * reads per query would cost more than the counting itself (a clock read is a syscall on some VMs),
   * so one synchronous query in 16 is timed and the 15 after it are counted in its bucket. Forwarded
   * answers are timed from the moment the resolver returns a promise (the upstream round trip is all
   * that matters there). Query logs time every query, since each line shows its own duration.
   */
  let sampleTick = 0;

  /** Bytes in, bytes out. Synchronous when the answer is (every cluster name); a promise when forwarding. */
  function handle(packet: Buffer, meta: ListenerMeta): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const started = observing && (logQueries || (sampleTick++ & 15) === 0 || recentQueries?.watching()) ? performance.now() : -1;
    const verdict = decodeQuery(packet, meta);
    if (verdict.kind === 'drop') return undefined;
    if (verdict.kind !== 'query') {
      const reply = encodeVerdict(verdict, { transport: meta.transport });
      if (observing) observe(meta, packet, reply, verdict.kind === 'badvers' ? 16 : reply[3]! & 0x0f, 0, '', started, undefined);
      return reply;
    }
    const query: Query = verdict.query;
    let answer: Answer | Promise<Answer>;
    try {
      answer = resolve(query);
    } catch (error) {
      answer = resolverFailed(query, error);
    }
    // Cluster names resolve synchronously: no closure or promise on that path.
    if (!(answer instanceof Promise)) return finish(query, verdict.question, answer, meta, packet, started);
    const since = observing && started < 0 ? performance.now() : started;
    return answer.then(
      (a) => finish(query, verdict.question, a, meta, packet, since),
      (error: unknown) => finish(query, verdict.question, resolverFailed(query, error), meta, packet, since),
    );
  }

  function finish(query: Query, question: Uint8Array, answer: Answer, meta: ListenerMeta, packet: Buffer, started: number): Uint8Array {
    const reply = encodeResponse(query, question, answer, encodeOptions[meta.transport]);
    if (observing) observe(meta, packet, reply, reply[3]! & 0x0f, query.type, query.lowerName, started, answer);
    return reply;
  }

  function resolverFailed(query: Query, error: unknown): Answer {
    metrics?.observePanic();
    rateLimited.error({ err: error, qname: query.lowerName, qtype: query.type }, 'resolver failed; answering SERVFAIL');
    return servfail();
  }

  /** Counts one reply (numbers only); `started < 0` means this query was not timed. */
  function observe(meta: ListenerMeta, packet: Buffer, reply: Uint8Array, rcode: number, qtype: number, qname: string, started: number, answer: Answer | undefined): void {
    const finished = started < 0 ? -1 : performance.now();
    const seconds = started < 0 ? -1 : (finished - started) / 1000;
    recentQueries?.record(meta.client.address, meta.client.port, meta.transport === 'tcp', qname, qtype, rcode, answer, (reply[6]! << 8) | reply[7]!, started, finished);
    const inZone = qname !== '' && (isInZone(qname, clusterDomain) || (clusterAliases.length > 0 && clusterAliases.some((z) => isInZone(qname, z))));
    metrics?.countQuery(
      meta.transport === 'tcp' ? Transport.tcp : Transport.udp,
      meta.client.address.includes(':') ? 6 : 4,
      qtype,
      rcode,
      inZone ? QueryZone.cluster : QueryZone.other,
      packet.length,
      reply.length,
      seconds,
    );
    if (logQueries) {
      queryLog.info({
        client: `${meta.client.address}:${meta.client.port}`,
        transport: meta.transport,
        qname,
        qtype: qtypeLabel(qtype),
        rcode: rcodeLabel(rcode),
        answers: (reply[6]! << 8) | reply[7]!,
        bytes: reply.length,
        durationMs: Math.round(seconds * 100_000) / 100,
      });
    }
  }

  return handle;
}
