/**
 * The one HTTP listener: /metrics, /health, /ready, and the registration API under /v1 (put, delete
 * and list registrations; list the names answered; explain a name). Plain node:http: a handful of fixed routes
 * needs no framework. Loopback by default; any other address requires a bearer token. Every request
 * first passes request-guard.ts (Host, Origin, write content types), so no web page can reach it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { didYouMean } from '../did-you-mean.js';
import { RegistryError } from '../errors.js';
import type { ServerMetrics } from './metrics.js';
import { BODY_DEFAULTS, createBodyChecker, type BodyLimits } from './registration-body.js';
import { listenHttp, type HttpListener } from './listen-http.js';
import { checkRequest, GUARD_RESPONSE_HEADERS, type GuardPolicy, type Refusal } from './request-guard.js';
import { handleUiData, serveUiAsset, type UiData } from './ui-routes.js';

/** Every route and the methods it answers: 404 with a near path for the rest, 405 with Allow for a wrong method. */
const ROUTES: ReadonlyMap<string, readonly string[]> = new Map([
  ['/health', ['GET']],
  ['/ready', ['GET']],
  ['/metrics', ['GET']],
  ['/v1/records', ['GET']],
  ['/v1/explain', ['GET']],
  ['/v1/registrations', ['GET', 'POST', 'PUT', 'DELETE']],
  ['/v1/registrations/KIND/NAMESPACE/NAME', ['DELETE']],
  ['/ui', ['GET']],
  ['/ui/app.js', ['GET']],
  ['/ui/ui.css', ['GET']],
  ['/v1/ui/queries', ['GET']],
  ['/v1/ui/queries/stream', ['GET']],
  ['/v1/ui/failures', ['GET']],
  ['/v1/ui/sources', ['GET']],
]);

/** The longest lease a registration may ask for: 7 days (and far below setTimeout's 2^31 ms). */
export const MAX_LEASE_SECONDS = 7 * 24 * 3600;

export interface RegistrationApi {
  apply(body: string, options: { leaseSeconds?: number }): Promise<unknown[]>;
  replace(body: string, options: { leaseSeconds?: number }): Promise<unknown[]>;
  remove(target: string | { kind: string; namespace: string; name: string }): Promise<string[]>;
  list(): unknown[];
  records(): unknown[];
  /** GET /v1/explain: the explanation (as a pod in `namespace` would resolve the name, when given), or why the question cannot be asked (400). */
  explain(name: string, type: string | undefined, namespace: string | undefined): { readonly error: string } | Promise<object>;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  /** Liveness: the process answers. */
  readonly healthy: () => boolean;
  /** Readiness: the first registry is loaded, sockets are bound, and we are not shutting down. */
  readonly ready: () => boolean;
  readonly api: RegistrationApi;
  /** Bearer token for /v1 (and /metrics off loopback); undefined = no token, which is allowed only when `loopback`. */
  readonly token: string | undefined;
  /** The listener is on a loopback address. */
  readonly loopback: boolean;
  /** Extra names a loopback listener answers as `Host` (besides localhost, 127.0.0.1, [::1]). Default none. */
  readonly allowedHosts?: readonly string[];
  /** Told about each request the guard refused (to count it and log it, rate-limited). */
  readonly onRefused?: (refusal: Refusal, request: { method: string; path: string; host: string | undefined; origin: string | undefined }) => void;
  /** Largest accepted request body. Default 8 MiB. */
  readonly maxBodyBytes?: number;
  /** Nesting and trial-parse bounds on registration bodies (see registration-body.ts). */
  readonly bodyLimits?: Omit<BodyLimits, 'maxBytes'>;
  /** The /ui page's data (recent queries, sources); the page itself is served whenever the listener is. */
  readonly ui?: UiData;
}

export type { HttpListener } from './listen-http.js';

export async function startHttpServer(options: HttpServerOptions): Promise<HttpListener> {
  const maxBody = options.maxBodyBytes ?? BODY_DEFAULTS.maxBytes;
  const checkBody = createBodyChecker({ ...options.bodyLimits, maxBytes: maxBody });
  let policy: GuardPolicy | undefined;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: error instanceof Error ? error.message : String(error) }));
  });
  // Slow or idle clients must not pin sockets (slowloris).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const refusal = policy === undefined ? undefined : checkRequest({ method, path, headers: req.headers }, policy);
    if (refusal) {
      options.onRefused?.(refusal, { method, path, host: req.headers.host, origin: req.headers.origin });
      // Close the connection: a rebinding page must not keep a socket to us for its next try.
      return send(res, refusal.status, { error: refusal.message }, { connection: 'close' });
    }
    if (req.method === 'GET' && path === '/health') return text(res, options.healthy() ? 200 : 503, options.healthy() ? 'OK\n' : 'unhealthy\n');
    if (req.method === 'GET' && path === '/ready') return text(res, options.ready() ? 200 : 503, options.ready() ? 'OK\n' : 'not ready\n');
    if (req.method === 'GET' && path === '/metrics') {
      // Off loopback a set token guards the metrics too (Prometheus sends it: authorization.credentials).
      if (!options.loopback && !authorised(req)) return send(res, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer' });
      res.writeHead(200, { 'content-type': options.metrics.contentType, ...GUARD_RESPONSE_HEADERS });
      res.end(await options.metrics.render());
      return;
    }
    // The page holds no data (its script asks /v1/ui/ with the token), so it is served without one.
    if (req.method === 'GET' && serveUiAsset(path, res)) return;
    if (!path.startsWith('/v1/')) return unrouted(res, method, path);
    if (options.token === undefined && !options.loopback) {
      return send(res, 403, { error: 'the /v1 API is off: set --http-token (CLUSTER_DNS_HTTP_TOKEN) to use it on a non-loopback --http address' });
    }
    if (!authorised(req)) return send(res, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer' });

    if (options.ui && handleUiData(options.ui, req, res, url)) return;
    if (path === '/v1/records' && req.method === 'GET') return send(res, 200, { records: options.api.records() });
    if (path === '/v1/explain' && req.method === 'GET') {
      const name = url.searchParams.get('name');
      if (!name) return send(res, 400, { error: 'name is required: /v1/explain?name=web.shop&type=A' });
      const explained = options.api.explain(name, url.searchParams.get('type') ?? undefined, url.searchParams.get('namespace') || undefined);
      if ('error' in explained) return send(res, 400, explained);
      return send(res, 200, await explained);
    }
    if (path === '/v1/registrations') {
      if (req.method === 'GET') return send(res, 200, { registrations: options.api.list() });
      const lease = parseLease(url.searchParams.get('lease'));
      if (typeof lease === 'string') return send(res, 400, { error: lease });
      const leaseOption = lease === undefined ? {} : { leaseSeconds: lease };
      if (req.method === 'POST' || req.method === 'PUT') {
        const body = await readBody(req, maxBody);
        if (body === undefined) return send(res, 413, { error: `body larger than ${maxBody} bytes` });
        const refusal = await checkBody(body);
        if (refusal) return send(res, refusal.status, refusal.body);
        return registryCall(res, () => (req.method === 'PUT' ? options.api.replace(body, leaseOption) : options.api.apply(body, leaseOption)), 'registered');
      }
      if (req.method === 'DELETE') {
        const body = await readBody(req, maxBody);
        if (body === undefined) return send(res, 413, { error: `body larger than ${maxBody} bytes` });
        if (body.trim() === '') return registryCall(res, () => options.api.replace('', {}), 'registered');
        const refusal = await checkBody(body);
        if (refusal) return send(res, refusal.status, refusal.body);
        return registryCall(res, () => options.api.remove(body), 'removed');
      }
    }
    const one = /^\/v1\/registrations\/([^/]+)\/([^/]*)\/([^/]+)$/.exec(path);
    if (one && req.method === 'DELETE') {
      const [, kind, namespace, name] = one.map(decodeURIComponent) as [string, string, string, string];
      return registryCall(res, () => options.api.remove({ kind, namespace, name }), 'removed');
    }
    return unrouted(res, method, path);
  }

  function authorised(req: IncomingMessage): boolean {
    if (options.token === undefined) return true;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const expected = Buffer.from(options.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  const bound = await listenHttp(server, options);
  policy = bound.policy;
  return bound.listener;
}

/** 405 with `Allow` on a known path, else 404 naming the nearest paths. */
function unrouted(res: ServerResponse, method: string, path: string): void {
  const pattern = /^\/v1\/registrations\/[^/]+\/[^/]*\/[^/]+$/.test(path) ? '/v1/registrations/KIND/NAMESPACE/NAME' : path;
  const methods = ROUTES.get(pattern);
  if (methods) return send(res, 405, { error: `${method} is not allowed on ${path}: use ${methods.join(', ')}` }, { allow: methods.join(', ') });
  const near = didYouMean(path, [...ROUTES.keys()].filter((p) => !p.includes('KIND')));
  send(res, 404, { error: `no route for ${method} ${path}${near}`, routes: [...ROUTES.keys()] });
}

/** `?lease=SECONDS`: undefined when absent, the seconds, or the error message for a 400. */
function parseLease(raw: string | null): number | undefined | string {
  if (raw === null) return undefined;
  const seconds = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) return `lease: "${raw}" is not a positive number of seconds`;
  if (seconds > MAX_LEASE_SECONDS) return `lease: ${raw} seconds is longer than the maximum of ${MAX_LEASE_SECONDS} (7 days); renew a registration instead`;
  return seconds;
}

async function registryCall(res: ServerResponse, call: () => Promise<unknown[]>, key: string): Promise<void> {
  try {
    send(res, 200, { [key]: await call() });
  } catch (error) {
    if (error instanceof RegistryError) send(res, 400, { error: 'registration rejected', diagnostics: error.diagnostics });
    else throw error;
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...GUARD_RESPONSE_HEADERS, ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...GUARD_RESPONSE_HEADERS });
  res.end(body);
}
