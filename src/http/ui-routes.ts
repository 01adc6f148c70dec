/**
 * The /ui page and its data: the static page (HTML, one script, one stylesheet, built into dist/ui
 * by `npm run build`) under a strict Content-Security-Policy, and the JSON and server-sent-event
 * endpoints under /v1/ui/ (recent queries, their live stream, failed names, the sources' state).
 * The data endpoints sit behind the same token check as the rest of /v1.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueryFilter, QueryLog, QueryRow } from './query-log.js';
import { GUARD_RESPONSE_HEADERS } from './request-guard.js';

/** No inline script or style, nothing from elsewhere, not framed (the page shows names and addresses). */
export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/ui.css': { file: 'ui.css', type: 'text/css; charset=utf-8' },
};

export interface UiData {
  /** Undefined when the query log is off (`--query-log-size 0`). */
  readonly queries: QueryLog | undefined;
  /** Everything GET /v1/ui/sources shows; plain JSON. */
  sources(): object;
}

/** The built page's directory: dist/ui beside dist/http, or (running from src/ under vitest) the build's. */
function assetDirectory(): string | undefined {
  for (const candidate of ['../ui/', '../../dist/ui/']) {
    const dir = new URL(candidate, import.meta.url);
    if (existsSync(new URL('index.html', dir))) return dir.pathname;
  }
  return undefined;
}

const cache = new Map<string, Buffer>();

/** Serves GET /ui and its two assets; false when `path` is not one of them. */
export function serveUiAsset(path: string, res: ServerResponse): boolean {
  const asset = ASSETS[path];
  if (!asset) return false;
  let body = cache.get(asset.file);
  if (!body) {
    const dir = assetDirectory();
    if (!dir) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...GUARD_RESPONSE_HEADERS });
      res.end('the /ui page is not built: run npm run build\n');
      return true;
    }
    body = readFileSync(`${dir}${asset.file}`);
    cache.set(asset.file, body);
  }
  res.writeHead(200, {
    ...GUARD_RESPONSE_HEADERS,
    'content-type': asset.type,
    'content-length': body.length,
    'content-security-policy': UI_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.end(body);
  return true;
}

/** The filters of `?rcode=&client=&name=&slower=` (the page keeps the same names in its own URL). */
export function parseQueryFilter(params: URLSearchParams): QueryFilter | string {
  const slower = params.get('slower');
  const slowerThanMs = slower === null || slower === '' ? undefined : Number(slower);
  if (slowerThanMs !== undefined && !(Number.isFinite(slowerThanMs) && slowerThanMs >= 0)) return `slower: "${slower}" is not a number of milliseconds`;
  const pick = (key: string) => {
    const v = params.get(key)?.trim();
    return v ? v : undefined;
  };
  const rcode = pick('rcode');
  const client = pick('client');
  const name = pick('name');
  return { ...(rcode ? { rcode } : {}), ...(client ? { client } : {}), ...(name ? { name } : {}), ...(slowerThanMs !== undefined ? { slowerThanMs } : {}) };
}

/** Handles /v1/ui/*; false when the path is not one of ours. */
export function handleUiData(data: UiData, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const path = url.pathname;
  if (req.method !== 'GET') return false; // the listener's 405 with Allow
  if (path === '/v1/ui/sources') {
    json(res, 200, data.sources());
    return true;
  }
  if (path !== '/v1/ui/queries' && path !== '/v1/ui/queries/stream' && path !== '/v1/ui/failures') return false;
  const log = data.queries;
  if (!log) {
    json(res, 404, { error: 'the query log is off (--query-log-size 0, or --workers: queries are answered in the workers)' });
    return true;
  }
  log.touch();
  if (path === '/v1/ui/failures') {
    const minutes = Number(url.searchParams.get('minutes') ?? '5');
    if (!(Number.isFinite(minutes) && minutes > 0 && minutes <= 24 * 60)) {
      json(res, 400, { error: `minutes: "${url.searchParams.get('minutes')}" is not between 0 and 1440` });
      return true;
    }
    json(res, 200, { minutes, failed: log.failedNames(minutes * 60_000) });
    return true;
  }
  const filter = parseQueryFilter(url.searchParams);
  if (typeof filter === 'string') {
    json(res, 400, { error: filter });
    return true;
  }
  if (path === '/v1/ui/queries') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? '200') || 200, 1), log.size);
    json(res, 200, { size: log.size, queries: log.rows(filter, limit) });
    return true;
  }
  streamQueries(log, filter, req, res);
  return true;
}

/**
 * Server-sent events (WHATWG HTML §9.2): one `queries` event per batch of new rows that match, oldest
 * first, and a comment every 15 s so proxies keep the stream open. The page reads it with fetch
 * (an Authorization header, never a token in the URL), so EventSource's reconnect is the page's job.
 */
function streamQueries(log: QueryLog, filter: QueryFilter, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    ...GUARD_RESPONSE_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
  });
  res.write(': cluster-dns query stream\n\n');
  const send = (rows: readonly QueryRow[]) => {
    const first = rows[0];
    if (!first) return;
    const matching = log.rows(filter, rows.length, first.seq - 1).reverse();
    if (matching.length > 0) res.write(`event: queries\ndata: ${JSON.stringify(matching)}\n\n`);
  };
  const unsubscribe = log.subscribe(send);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  keepAlive.unref?.();
  const end = () => {
    clearInterval(keepAlive);
    unsubscribe();
  };
  req.on('close', end);
  res.on('close', end);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...GUARD_RESPONSE_HEADERS });
  res.end(`${JSON.stringify(body)}\n`);
}
