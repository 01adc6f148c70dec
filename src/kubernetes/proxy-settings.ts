/**
 * Which proxy reaches the API server, as kubectl decides: the kubeconfig's `proxy-url`, or else
 * `HTTPS_PROXY`/`HTTP_PROXY` less `NO_PROXY` (Go's ProxyFromEnvironment, which client-go uses);
 * loopback is never proxied. Only http:// proxies (CONNECT) are supported. Pure.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/** A proxy URL checked once: `http://[user:password@]host:port`. */
export function checkProxyUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${field}: ${JSON.stringify(redact(value))} is not a URL`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(`${field}: ${url.protocol}// proxies are not supported (an http:// proxy, reached with CONNECT, is)`);
  if (url.hostname === '') throw new ConfigError(`${field}: no host`);
  return value;
}

/** The proxy to use for `server` by the environment, or undefined (Go's ProxyFromEnvironment). */
export function proxyFromEnvironment(server: string, env: NodeJS.ProcessEnv): string | undefined {
  const target = new URL(server);
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || isLoopback(host)) return undefined;
  const proxy = target.protocol === 'https:' ? env.HTTPS_PROXY || env.https_proxy : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (excluded(host, port, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  // Go takes a bare `host:port` as http://host:port.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** NO_PROXY: `*`, exact hosts or IPs, `host:port`, and domain suffixes (`.example.com` or `example.com`). */
function excluded(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const withPort = /^(.*):(\d+)$/.exec(entry);
    if (withPort && !entry.includes('::')) {
      if (withPort[2] !== port) continue;
      entry = withPort[1]!;
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (host === entry || host === entry.replace(/^\./, '') || (entry.startsWith('.') ? host.endsWith(entry) : host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** `http://user:secret@proxy:3128` → `http://proxy:3128`: credentials never reach a message or a log. */
export function redact(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(a proxy URL)';
  }
}
