/**
 * Connections to the API server through an http:// proxy (proxy-settings.ts says which): a CONNECT
 * tunnel, with TLS to the API server inside it, in a keep-alive agent.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { redact } from './proxy-settings.js';

/**
 * Opens a CONNECT tunnel to `host:port` through the proxy and hands back its socket. A proxy that
 * answers anything but 2xx (407 for missing credentials, 403, 502) is an error naming its status.
 */
function openTunnel(proxyUrl: string, host: string, port: number, timeoutMs: number, callback: (error: Error | null, socket?: Socket) => void): void {
  const proxy = new URL(proxyUrl);
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const credentials = proxy.username ? Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64') : undefined;
  const request = httpRequest({
    hostname: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port || 80,
    method: 'CONNECT',
    path: authority,
    headers: { host: authority, ...(credentials ? { 'proxy-authorization': `Basic ${credentials}` } : {}) },
    agent: false,
  });
  request.once('connect', (response, socket) => {
    if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) >= 300) {
      socket.destroy();
      callback(new Error(`proxy ${redact(proxyUrl)} refused CONNECT ${authority}: HTTP ${response.statusCode}`));
      return;
    }
    callback(null, socket);
  });
  request.once('error', (error) => callback(new Error(`proxy ${redact(proxyUrl)}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
  // A proxy that accepts the connection and never answers would hold the request (and its socket)
  // past the API request's own timeout, which cannot reach a connection still being made.
  request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no answer to CONNECT ${authority} within ${timeoutMs} ms`), { code: undefined })));
  request.end();
}

type CreateConnection = (options: ConnectionOptions & { host?: string; port?: number }, callback: (error: Error | null, socket?: Socket) => void) => void;

/** A keep-alive agent whose connections go through the proxy's CONNECT tunnel (TLS inside it for https). */
export function tunnelingAgent(proxyUrl: string, secure: boolean, tls: HttpsAgentOptions, connectTimeoutMs = 30_000): HttpAgent {
  if (secure) {
    const agent = new HttpsAgent({ keepAlive: true, ...tls });
    const create: CreateConnection = (options, callback) => {
      openTunnel(proxyUrl, options.host ?? 'localhost', Number(options.port ?? 443), connectTimeoutMs, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error('no tunnel'));
        const secured = tlsConnect({ ...options, socket, servername: options.servername ?? (isIP(options.host ?? '') ? undefined : options.host) });
        callback(null, secured);
      });
    };
    (agent as unknown as { createConnection: CreateConnection }).createConnection = create;
    return agent;
  }
  const agent = new HttpAgent({ keepAlive: true });
  const create: CreateConnection = (options, callback) => openTunnel(proxyUrl, options.host ?? 'localhost', Number(options.port ?? 80), connectTimeoutMs, callback);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = create;
  return agent;
}
