/** Binds the HTTP listener (metrics, health, /v1, /ui) and the probes-only listener, wording a failed bind as BIND_FAILED. */
import type { Logger } from '../log.js';
import { isLoopback, type ResolvedOptions } from '../options.js';
import type { ServerMetrics } from '../http/metrics.js';
import { startHttpServer, type HttpListener, type RegistrationApi } from '../http/http-server.js';
import { startProbeServer } from '../http/probe-server.js';
import type { QueryLog } from '../http/query-log.js';
import type { NativeUdpStats } from '../transport/native-addon.js';
import { bindFailed, bindFailure } from './bind-failure.js';

export interface ProbeDeps {
  /** Liveness: until the server has stopped. */
  readonly healthy: () => boolean;
  readonly ready: () => boolean;
  readonly rateLimited: Pick<Logger, 'warn'>;
}

export interface HttpDeps extends ProbeDeps {
  readonly metrics: ServerMetrics | undefined;
  readonly log: Pick<Logger, 'warn'>;
  /** Before /metrics renders: a --workers primary adds its workers' counts into `metrics`. */
  readonly gather: ((metrics: ServerMetrics) => Promise<void>) | undefined;
  readonly cacheStats: () => { hits: number; misses: number; size: number } | undefined;
  readonly udpStats: () => NativeUdpStats | undefined;
  readonly api: RegistrationApi;
  readonly recentQueries: QueryLog | undefined;
  readonly sourcesState: () => object;
}

/** Starts the HTTP listener when `http` is on (undefined when off, or when it cannot bind and `httpOptional` says go on without it). */
export async function startHttpListener(options: ResolvedOptions, deps: HttpDeps): Promise<HttpListener | undefined> {
  const { metrics, rateLimited } = deps;
  if (options.http === 'off' || !metrics) return undefined;
  const httpRefused = metrics.counter('cluster_dns_http_refused_total', 'HTTP requests refused before any route: a foreign Host (DNS rebinding), a foreign Origin or Sec-Fetch-Site, or a write a web form could send.', ['reason']);
  try {
    return await startHttpServer({
      host: options.http.host,
      port: options.http.port,
      metrics: {
        ...metrics,
        render: async () => {
          if (deps.gather) await deps.gather(metrics);
          metrics.setCache(deps.cacheStats());
          metrics.setUdpStats(deps.udpStats());
          return metrics.render();
        },
      },
      healthy: deps.healthy,
      ready: deps.ready,
      token: options.httpToken,
      loopback: isLoopback(options.http.host),
      allowedHosts: options.httpAllowedHosts,
      onRefused: (refusal, request) => {
        httpRefused.inc({ reason: refusal.reason });
        rateLimited.warn({ ...request, status: refusal.status }, `HTTP request refused: ${refusal.reason}`);
      },
      ui: { queries: deps.recentQueries, sources: deps.sourcesState },
      api: deps.api,
    });
  } catch (error) {
    const reason = bindFailure(error);
    if (options.httpOptional) {
      deps.log.warn({ http: `${options.http.host}:${options.http.port}`, reason }, 'HTTP listener not started: metrics, probes and the /v1 API are off');
      return undefined;
    }
    throw bindFailed(`http ${options.http.host}:${options.http.port}`, error);
  }
}

/** Starts the probes-only listener (/health, /ready) when `probes` is on. */
export async function startProbeListener(options: ResolvedOptions, deps: ProbeDeps): Promise<HttpListener | undefined> {
  if (options.probes === 'off') return undefined;
  try {
    return await startProbeServer({
      host: options.probes.host,
      port: options.probes.port,
      healthy: deps.healthy,
      ready: deps.ready,
      loopback: isLoopback(options.probes.host),
      allowedHosts: options.httpAllowedHosts,
      onRefused: (refusal, request) => deps.rateLimited.warn({ ...request, status: refusal.status }, `probe request refused: ${refusal.reason}`),
    });
  } catch (error) {
    throw bindFailed(`probes ${options.probes.host}:${options.probes.port}`, error);
  }
}
