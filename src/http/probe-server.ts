/**
 * A listener for kubelet's probes alone (`--probes HOST:PORT`): GET /health and GET /ready, nothing
 * else. CoreDNS serves `health` and `ready` on ports of their own (8080, 8181) apart from metrics
 * (9153); here one extra port serves both, so probes survive `--http off` and a pod can expose its
 * probes without exposing metrics or the /v1 API. The same request guard runs first.
 */
import { createServer, type Server } from 'node:http';
import { listenHttp, type HttpListener } from './listen-http.js';
import { checkRequest, GUARD_RESPONSE_HEADERS, type GuardPolicy, type Refusal } from './request-guard.js';

export interface ProbeServerOptions {
  readonly host: string;
  readonly port: number;
  /** Liveness: the process answers (200 until it has stopped). */
  readonly healthy: () => boolean;
  /** Readiness: every source synced and the sockets bound, and not shutting down. */
  readonly ready: () => boolean;
  /** The listener is on a loopback address (the guard then checks Host). */
  readonly loopback: boolean;
  readonly allowedHosts?: readonly string[];
  readonly onRefused?: (refusal: Refusal, request: { method: string; path: string; host: string | undefined; origin: string | undefined }) => void;
}

export async function startProbeServer(options: ProbeServerOptions): Promise<HttpListener> {
  let policy: GuardPolicy | undefined;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...GUARD_RESPONSE_HEADERS, ...headers });
      res.end(body);
    };
    const refusal = policy === undefined ? undefined : checkRequest({ method, path, headers: req.headers }, policy);
    if (refusal) {
      options.onRefused?.(refusal, { method, path, host: req.headers.host, origin: req.headers.origin });
      return reply(refusal.status, `${refusal.message}\n`, { connection: 'close' });
    }
    if (path !== '/health' && path !== '/ready') return reply(404, `no route for ${method} ${path}: this listener serves GET /health and GET /ready\n`);
    if (method !== 'GET' && method !== 'HEAD') return reply(405, `${method} is not allowed on ${path}: use GET\n`, { allow: 'GET, HEAD' });
    const ok = path === '/health' ? options.healthy() : options.ready();
    return reply(ok ? 200 : 503, ok ? 'OK\n' : path === '/health' ? 'unhealthy\n' : 'not ready\n');
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  const bound = await listenHttp(server, options);
  policy = bound.policy;
  return bound.listener;
}
