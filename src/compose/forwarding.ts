/** Forwarding wiring: the upstream client, the reply cache, the recursion ACL, the forward stage and the CNAME chaser's lookup. */
import type { Logger } from '../log.js';
import { recursionPolicy, type RecursionPolicy, type ResolvedOptions } from '../options.js';
import type { InterfaceTable } from '../dns/local-networks.js';
import type { CnameChaseOptions } from '../resolver/cname-chase.js';
import { refuseOutOfZone } from '../resolver/refuse-stage.js';
import { createReplyCache, type ReplyCache } from '../resolver/cache-stage.js';
import { createForwardStage } from '../resolver/forward-stage.js';
import { createRecursionAclStage } from '../resolver/recursion-acl-stage.js';
import type { Stage } from '../resolver/stage.js';
import { createUpstreamClient, type UpstreamClient } from '../upstream/upstream-client.js';
import { rejectSelfUpstream } from '../upstream/self-address.js';
import { createUpstreamHealth, type UpstreamHealth } from '../upstream/upstream-health.js';
import type { ServerMetrics } from '../http/metrics.js';

/** What the resolver and the lifecycle need of forwarding; every part is undefined (and `outOfZone` empty) when it is off. */
export interface Forwarding {
  /** The stages after the cluster's: recursion ACL (when listed), reply cache, forward. Empty: REFUSED. */
  readonly outOfZone: readonly Stage[];
  /** How the cluster stages complete a CNAME chain leaving the zone (ExternalName). */
  readonly chase: CnameChaseOptions | undefined;
  readonly upstreamClient: UpstreamClient | undefined;
  readonly replyCache: ReplyCache | undefined;
  /** Per-server outcomes for the /ui page. */
  readonly upstreamHealth: UpstreamHealth | undefined;
  /** Who may have names forwarded (the start-up log names it). */
  readonly recursion: RecursionPolicy;
}

export interface ForwardingDeps {
  /** False in a --workers primary: its workers each have their own upstream client and reply cache. */
  readonly forwards: boolean;
  /** True where queries are answered and the /ui page is served from the same process (not with --workers). */
  readonly trackHealth: boolean;
  readonly metrics: ServerMetrics | undefined;
  readonly log: Logger;
  readonly rateLimited: Pick<Logger, 'error' | 'warn'>;
  /** Injected clock for the caches; default Date.now. */
  readonly now: (() => number) | undefined;
  readonly networkInterfaces: (() => InterfaceTable) | undefined;
}

/** Builds the forwarding parts the options ask for; throws a ConfigError when an upstream is this server itself. */
export function createForwarding(options: ResolvedOptions, deps: ForwardingDeps): Forwarding {
  const { metrics, log, rateLimited, now } = deps;
  const upstreamHealth = options.upstream !== 'none' && deps.trackHealth ? createUpstreamHealth(options.upstream) : undefined;
  const recursion = recursionPolicy(options, deps.networkInterfaces);
  if (options.upstream === 'none' || !deps.forwards) {
    return { outOfZone: [], chase: undefined, upstreamClient: undefined, replyCache: undefined, upstreamHealth, recursion };
  }
  const mayRecurse = recursion.kind === 'listed' ? recursion.allowed : undefined;
  if (options.port !== 0) rejectSelfUpstream(options.upstream, [{ address: options.host, port: options.port }]);
  const upstreamClient = createUpstreamClient({
    servers: options.upstream,
    timeoutMs: options.upstreamTimeoutMs,
    maxInFlight: options.upstreamMaxInFlight,
    onTry: (server, outcome, seconds) => {
      metrics?.observeForward(server, outcome, seconds);
      upstreamHealth?.observe(server, outcome, seconds);
    },
    // Same kind of event as a TCP limit: counted every time, logged at most once per 10 s.
    onBusy: (inFlight) => {
      metrics?.observeLimit('upstream-in-flight');
      rateLimited.warn({ limit: 'upstream-in-flight', inFlight }, 'limit reached: upstream-in-flight');
    },
  });
  const replyCache = createReplyCache({ maxEntries: options.cacheSize, ...(now ? { now } : {}) });
  let loopReported = false;
  const forward = createForwardStage(upstreamClient, {
    onLoopDetected: (query) => {
      if (loopReported) return;
      loopReported = true;
      log.error({ qname: query.lowerName, qtype: query.type }, 'forwarding loop: a query we forwarded came back to us; check --upstream (answering SERVFAIL)');
    },
  });
  const outOfZone: Stage[] = mayRecurse ? [createRecursionAclStage(mayRecurse)] : [];
  outOfZone.push(replyCache.stage, forward);
  // ExternalName targets outside the zone go through the same cache and upstream (RFC 1034 §4.3.2).
  const cacheStage = replyCache.stage;
  const chase: CnameChaseOptions = {
    lookup: (query) => cacheStage(query, (q) => forward(q, refuseOutOfZone)),
    maxEntries: options.cacheSize,
    ...(mayRecurse ? { mayRecurse } : {}),
    ...(now ? { now } : {}),
  };
  return { outOfZone, chase, upstreamClient, replyCache, upstreamHealth, recursion };
}
