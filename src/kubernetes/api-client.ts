/**
 * The Kubernetes API over node:https: JSON GETs and watch streams (one JSON event per line, chunked),
 * on a keep-alive agent, authenticated as the connection says. A 401 drops cached credentials and
 * is retried once (a rotated token file, an expired exec credential). No header is ever logged.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tunnelingAgent } from './proxy-tunnel.js';
import { ConfigError } from '../errors.js';
import type { ClusterConnection, PemSource } from './kubeconfig.js';
import type { AuthMaterial, CredentialSource } from './credentials.js';
import type { Timers } from './timers.js';

/** A non-2xx answer: `status` and the Status object's reason and message when the body had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One line of a watch stream (`{"type":"ADDED","object":{…}}`). */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

/** A watch line longer than the limit: never parsed, only described. */
export interface SkippedLine {
  /** Byte offset of the line in the stream. */
  readonly offset: number;
  readonly bytes: number;
  /** Read from the line's first bytes when they say (the API writes kind and metadata first). */
  readonly kind: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

export interface WatchHandlers {
  onOpen(): void;
  onEvent(event: WatchEvent): void;
  /** A line over 16 MiB was skipped; the stream goes on. */
  onSkipped?(line: SkippedLine): void;
}

export interface ApiClient {
  /** GET → parsed JSON. Rejects with ApiError (status) or a network/TLS error. */
  getJson(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<unknown>;
  /**
   * Opens a watch and calls `onEvent` per line. Resolves when the server ends the stream; rejects
   * on a non-200, a broken line or a transport error; `signal` aborts it (resolving).
   */
  watch(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal, handlers: WatchHandlers): Promise<void>;
  close(): void;
}

export interface ApiClientOptions {
  readonly credentials: CredentialSource;
  readonly timers: Timers;
  /** A plain GET (a list page) that takes longer is abandoned. Default 60 s. */
  readonly requestTimeoutMs?: number;
  readonly userAgent?: string;
}

/** The longest watch line accepted (one object); real objects are far smaller. */
const MAX_LINE = 16 * 1024 * 1024;

/** Reads the connection's PEM files now, so a missing file is a start-up error naming its kubeconfig field. */
export function loadTlsMaterial(connection: ClusterConnection): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (source: PemSource | undefined): Buffer | undefined => {
    if (!source) return undefined;
    if ('data' in source) return source.data;
    try {
      return readFileSync(source.path);
    } catch (error) {
      throw new ConfigError(`${source.field}: cannot read ${source.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  };
  const ca = read(connection.certificateAuthority);
  const cert = read(connection.clientCertificate);
  const key = read(connection.clientKey);
  if (Boolean(cert) !== Boolean(key)) throw new ConfigError(`${connection.description}: client-certificate and client-key must be given together`);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

export function createApiClient(connection: ClusterConnection, options: ApiClientOptions): ApiClient {
  const base = new URL(connection.server);
  const secure = base.protocol === 'https:';
  const prefix = base.pathname.replace(/\/+$/, '');
  const tls = loadTlsMaterial(connection);
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const userAgent = options.userAgent ?? 'cluster-dns';
  let agent: HttpAgent | HttpsAgent | undefined;
  let agentCert: Buffer | undefined;

  /** One keep-alive agent; rebuilt only when an exec plugin hands out a different client certificate. */
  function agentFor(auth: AuthMaterial): HttpAgent | HttpsAgent {
    if (!secure) return (agent ??= connection.proxyUrl ? tunnelingAgent(connection.proxyUrl, false, {}) : new HttpAgent({ keepAlive: true }));
    if (agent && agentCert === auth.clientCertificate) return agent;
    agent?.destroy();
    agentCert = auth.clientCertificate;
    const tlsOptions = {
      ...(tls.ca ? { ca: tls.ca } : {}),
      cert: auth.clientCertificate ?? tls.cert,
      key: auth.clientKey ?? tls.key,
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
    };
    agent = connection.proxyUrl ? tunnelingAgent(connection.proxyUrl, true, tlsOptions) : new HttpsAgent({ keepAlive: true, ...tlsOptions });
    return agent;
  }

  function urlOf(path: string, query: Readonly<Record<string, string>>): { path: string } {
    const search = new URLSearchParams(query).toString();
    return { path: `${prefix}${path}${search ? `?${search}` : ''}` };
  }

  /** Sends a GET and resolves with the response once headers arrive; retries once after a 401. */
  async function open(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal, retried = false): Promise<IncomingMessage> {
    const auth = await options.credentials.get();
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (secure ? 443 : 80),
          method: 'GET',
          ...urlOf(path, query),
          agent: agentFor(auth),
          signal,
          headers: {
            accept: 'application/json',
            'user-agent': userAgent,
            ...(auth.authorization ? { authorization: auth.authorization } : {}),
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    if (response.statusCode === 401 && !retried) {
      response.resume();
      options.credentials.invalidate();
      return open(path, query, signal, true);
    }
    if (response.statusCode !== 200) {
      const body = await readBody(response, 64 * 1024).catch(() => '');
      if (response.statusCode === 401) options.credentials.invalidate();
      throw apiErrorOf(response.statusCode ?? 0, body);
    }
    return response;
  }

  return {
    async getJson(path, query, signal) {
      const controller = new AbortController();
      const abort = () => controller.abort();
      signal.addEventListener('abort', abort, { once: true });
      const timer = options.timers.after(requestTimeoutMs, () => controller.abort(new Error(`request timed out after ${requestTimeoutMs} ms`)));
      try {
        const response = await open(path, query, controller.signal);
        const text = await readBody(response, Infinity);
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new ApiError(200, `GET ${path}: the answer is not JSON`, undefined);
        }
      } catch (error) {
        if (controller.signal.aborted && controller.signal.reason instanceof Error && !signal.aborted) throw controller.signal.reason;
        throw error;
      } finally {
        timer.cancel();
        signal.removeEventListener('abort', abort);
      }
    },

    async watch(path, query, signal, handlers) {
      let response: IncomingMessage;
      try {
        response = await open(path, query, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      handlers.onOpen();
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        const fail = (error: Error) => {
          if (failed) return;
          failed = true;
          response.destroy();
          reject(error);
        };
        const lines = createLineSplitter(MAX_LINE, {
          line(text, offset) {
            if (text.trim() === '') return;
            let event: WatchEvent;
            try {
              event = JSON.parse(text) as WatchEvent;
            } catch (error) {
              return fail(new ApiError(200, `watch ${path}: the line at byte ${offset} is not JSON (${(error as Error).message.slice(0, 120)}): ${JSON.stringify(text.slice(0, 80))}`, undefined));
            }
            if (typeof event?.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
              return fail(new ApiError(200, `watch ${path}: the line at byte ${offset} is an event without type or object`, undefined));
            }
            handlers.onEvent(event);
          },
          // One object too large to hold: skipped, so the watch goes on past it instead of failing
          // on it again after every reconnect (the API would send it each time).
          skipped: (skip) => handlers.onSkipped?.(skip),
        });
        response.on('data', (chunk: Buffer) => {
          if (!failed) lines.push(chunk, () => failed);
        });
        response.on('end', () => {
          if (!failed) resolve();
        });
        response.on('error', (error) => {
          if (signal.aborted) resolve();
          else fail(error);
        });
        response.on('close', () => {
          // A connection cut mid-stream ends without 'end'; an abort we asked for is a clean stop.
          if (!failed && !response.complete) {
            if (signal.aborted) resolve();
            else fail(Object.assign(new Error('watch stream closed before its end'), { code: 'ECONNRESET' }));
          }
        });
      });
    },

    close() {
      agent?.destroy();
      agent = undefined;
    },
  };
}

/** How much of a skipped line is kept to name its object. */
const SKIPPED_HEAD = 64 * 1024;

/**
 * Splits a byte stream into lines without rescanning what it holds: each chunk is searched once
 * for newlines (a 16 MiB line in 64 KiB chunks is 256 searches of 64 KiB, not 256 of up to 16 MiB),
 * and a line over `maxLine` bytes is not held at all: only its head is kept, to name it when skipped.
 * Newlines never occur inside a UTF-8 multi-byte sequence, so splitting bytes is safe.
 */
export function createLineSplitter(
  maxLine: number,
  sink: { line(text: string, offset: number): void; skipped(line: SkippedLine): void },
): { push(chunk: Buffer, stopped?: () => boolean): void } {
  let parts: Buffer[] = [];
  let held = 0;
  let lineStart = 0;
  let streamOffset = 0;
  let skipping: { head: Buffer; bytes: number } | undefined;
  return {
    push(chunk, stopped = () => false) {
      let start = 0;
      while (start <= chunk.length && !stopped()) {
        const nl = chunk.indexOf(10, start);
        const end = nl < 0 ? chunk.length : nl;
        const piece = chunk.subarray(start, end);
        if (skipping) {
          skipping.bytes += piece.length;
        } else {
          parts.push(piece);
          held += piece.length;
          if (held > maxLine) {
            skipping = { head: Buffer.concat(parts).subarray(0, SKIPPED_HEAD), bytes: held };
            parts = [];
            held = 0;
          }
        }
        if (nl < 0) break;
        if (skipping) {
          sink.skipped({ offset: lineStart, bytes: skipping.bytes, ...objectNamed(skipping.head.toString('utf8')) });
          skipping = undefined;
        } else {
          const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
          parts = [];
          held = 0;
          sink.line(text, lineStart);
        }
        lineStart = streamOffset + nl + 1;
        start = nl + 1;
      }
      streamOffset += chunk.length;
    },
  };
}

/** Kind, namespace and name from the start of a watch line (`{"type":"ADDED","object":{"kind":"Service",…,"metadata":{"name":…`). */
function objectNamed(head: string): Pick<SkippedLine, 'kind' | 'namespace' | 'name'> {
  const text = (pattern: RegExp, from = head) => pattern.exec(from)?.[1];
  const metadata = head.indexOf('"metadata":{');
  const meta = metadata < 0 ? '' : head.slice(metadata);
  return { kind: text(/"kind":"([A-Za-z0-9]{1,63})"/), namespace: text(/"namespace":"([a-z0-9.-]{1,253})"/, meta), name: text(/"name":"([a-z0-9.-]{1,253})"/, meta) };
}

function readBody(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return response.destroy();
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' }));
    });
  });
}

/** A Status body (`{"kind":"Status","reason":"Expired","message":…}`) → ApiError. */
function apiErrorOf(status: number, body: string): ApiError {
  let reason: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = `HTTP ${status}: ${parsed.message.slice(0, 300)}`;
  } catch {
    // Not a Status: the status code says enough.
  }
  return new ApiError(status, message, reason);
}
