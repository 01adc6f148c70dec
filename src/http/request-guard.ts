/**
 * Which HTTP requests a web page could have made, refused before any route runs (pure). A listener on
 * 127.0.0.1 is not a trust boundary: any page the user opens can send simple requests to it (no CORS
 * preflight for GET, or for a POST of text/plain, form-urlencoded or multipart — Fetch standard,
 * "CORS-safelisted request-header"), and DNS rebinding delivers a page's same-origin requests to it
 * with the attacker's name in `Host`. So, as CUPS and other loopback daemons learnt:
 * - on a loopback listener, `Host` must name the listener (a loopback address or `localhost`, or a
 *   name the user allowed); a rebound name never does;
 * - a request that says it comes from another origin (`Origin`, or `Sec-Fetch-Site: cross-site` /
 *   `same-site`) is refused on every listener, loopback or not;
 * - a write must carry a body type a form cannot send (YAML or JSON), so it needs a preflight that
 *   we never grant.
 * Probes (kubelet) and scrapers (Prometheus) send a pod IP or service name as `Host` and no `Origin`,
 * so off loopback `Host` is not checked: there the bearer token guards /v1 and /metrics.
 */

/** The parts of a request the guard looks at; header names lowercase, as node:http gives them. */
export interface GuardedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface GuardPolicy {
  /** The listener is on a loopback address (127.0.0.0/8 or ::1). */
  readonly loopback: boolean;
  /** The port the listener is bound to (a `Host` with another port is not us). */
  readonly port: number;
  /** The address the listener is bound to, e.g. `127.0.0.1`, `::1`. */
  readonly address: string;
  /** Extra `Host` names the user allows (`--http-allowed-hosts`), lowercase, without port. */
  readonly allowedHosts: readonly string[];
}

/** Why a request was refused: the 403's one-line reason, and a short label for the counter. */
export interface Refusal {
  readonly status: 403 | 415;
  readonly reason: 'host' | 'origin' | 'fetch-site' | 'content-type';
  readonly message: string;
}

/** Media types a registration body may be sent as; none is CORS-safelisted, so a form cannot send them. */
/**
 * On every response, for browsers that let a request through anyway (one that sends neither Origin
 * nor Sec-Fetch-Site): `nosniff` keeps JSON from running as a `<script>`, CORP `same-origin` makes the
 * browser withhold any response from a page of another origin (Fetch standard, "cross-origin resource
 * policy check"), and `no-store` keeps answers about the registry out of shared caches.
 */
export const GUARD_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export const WRITE_CONTENT_TYPES: readonly string[] = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json'];

/** Page paths a person may open from a link (a top-level navigation): they hold no data themselves. */
const NAVIGABLE = /^\/ui(\/|$)/;

/** undefined when the request may go on; otherwise why not. */
export function checkRequest(request: GuardedRequest, policy: GuardPolicy): Refusal | undefined {
  const host = header(request, 'host');
  if (policy.loopback && !hostNamesListener(host, policy)) {
    return {
      status: 403,
      reason: 'host',
      message: `Host "${host ?? ''}" does not name this listener: on loopback only localhost, 127.0.0.1 or [::1]${policy.allowedHosts.length > 0 ? `, ${policy.allowedHosts.join(', ')}` : ''} are answered (DNS rebinding); add a name with --http-allowed-hosts`,
    };
  }
  const origin = header(request, 'origin');
  if (origin !== undefined && !sameOrigin(origin, host, policy)) {
    return { status: 403, reason: 'origin', message: `Origin "${origin}" is not this listener: requests from web pages are refused (cross-site request forgery)` };
  }
  const site = header(request, 'sec-fetch-site')?.toLowerCase();
  if ((site === 'cross-site' || site === 'same-site') && !(origin === undefined && request.method === 'GET' && NAVIGABLE.test(request.path) && header(request, 'sec-fetch-mode') === 'navigate')) {
    return { status: 403, reason: 'fetch-site', message: `Sec-Fetch-Site "${site}": requests from other sites are refused (cross-site request forgery)` };
  }
  if (isWrite(request.method) && hasBody(request)) {
    const type = mediaType(header(request, 'content-type'));
    if (!WRITE_CONTENT_TYPES.includes(type)) {
      return {
        status: 415,
        reason: 'content-type',
        message: `Content-Type "${type}" is not accepted for ${request.method}: send the body as ${WRITE_CONTENT_TYPES.join(', ')} (a web form cannot)`,
      };
    }
  }
  return undefined;
}

function isWrite(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH';
}

/** A DELETE with no body needs no type; POST and PUT always have one, even empty. */
function hasBody(request: GuardedRequest): boolean {
  if (request.method !== 'DELETE') return true;
  const length = header(request, 'content-length');
  return header(request, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

function header(request: GuardedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `application/yaml; charset=utf-8` → `application/yaml`; absent → ''. */
function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Splits `name:port`, `[v6]:port`, `name` into a lowercase host and an optional port. */
export function parseHostHeader(value: string): { host: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  const host = m[1]!.toLowerCase().replace(/\.$/, '');
  return { host, port: m[2] === undefined ? undefined : Number(m[2]) };
}

function hostNamesListener(value: string | undefined, policy: GuardPolicy): boolean {
  // HTTP/1.1 requires Host (RFC 9112 §3.2); a request without one cannot be told from a rebound one.
  if (value === undefined) return false;
  const parsed = parseHostHeader(value);
  if (!parsed) return false;
  if (parsed.port !== undefined && parsed.port !== policy.port) return false;
  return listenerNames(policy).has(parsed.host);
}

function listenerNames(policy: GuardPolicy): Set<string> {
  const bound = policy.address.includes(':') ? `[${policy.address.toLowerCase()}]` : policy.address;
  return new Set(['localhost', '127.0.0.1', '[::1]', bound, ...policy.allowedHosts]);
}

/** The page's origin must be this listener as the request reached it: `http://<Host>`. */
function sameOrigin(origin: string, host: string | undefined, policy: GuardPolicy): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) and garbage alike
  }
  if (url.protocol !== 'http:') return false;
  const port = url.port === '' ? 80 : Number(url.port);
  if (port !== policy.port) return false;
  const originHost = url.hostname.toLowerCase();
  if (policy.loopback) return listenerNames(policy).has(originHost);
  // Off loopback the page must come from the very name the request was sent to.
  const parsed = host === undefined ? undefined : parseHostHeader(host);
  return parsed !== undefined && parsed.host === originHost;
}
