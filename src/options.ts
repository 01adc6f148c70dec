/** Server options with their defaults, validated once into a complete, normalised configuration. */
import { existsSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { availableParallelism, networkInterfaces } from 'node:os';
import { localRecursionCidrs, type InterfaceTable } from './dns/local-networks.js';
import { normalizeZone } from './registry/build-registry.js';
import type { HostIndexOptions } from './registry/build-host-index.js';
import { ConfigError } from './errors.js';
import { cidrsOverlap, parseCidr, type Cidr } from './dns/cidr.js';
import { canonicalIp } from './dns/ip.js';
import { didYouMean } from './did-you-mean.js';
import type { PodMode } from './resolver/cluster-answers.js';
import type { ExplainOptions } from './resolver/explain.js';
import { LOG_LEVELS } from './log.js';
import type { KubernetesOptions } from './kubernetes/kubernetes-options.js';

export interface UpstreamAddress {
  readonly address: string;
  readonly port: number;
}

/** What `createDnsServer` accepts; every field is optional and defaults as noted. */
export interface DnsServerOptions {
  /** Files or directories of registry YAML/JSON. Default: none (an empty registry; the CLI defaults to `./zones`). */
  readonly zones?: string | readonly string[];
  /** Listen address for UDP and TCP. Default `127.0.0.1` (loopback: nothing is exposed by accident). */
  readonly host?: string;
  /** Listen port for UDP and TCP; 0 picks a free one. Default `1053`. */
  readonly port?: number;
  /**
   * The authoritative cluster domain, or several (`cluster.local,cluster.internal`, as CoreDNS's
   * kubernetes plugin takes several zones): every name is answered in each; the first is the one
   * registry names, short forms and PTR targets use. Default `cluster.local`.
   */
  readonly clusterDomain?: string | readonly string[];
  /** Namespace a bare `<svc>` is looked up in. Default `default`. */
  readonly defaultNamespace?: string;
  /** TTL of every record we synthesise, in seconds. Default `5` (as CoreDNS). */
  readonly ttl?: number;
  /** Pod records: `disabled`, `insecure` (any address) or `verified` (known pods). Default `insecure`. */
  readonly pods?: PodMode;
  /** Upstream resolvers for other names, or `none` to refuse them. Default `none` for the library. */
  readonly upstream?: 'none' | string | readonly (string | UpstreamAddress)[];
  /** Per-try timeout for an upstream, ms. Default `2000`. */
  readonly upstreamTimeoutMs?: number;
  /** Forwarded replies cached at most (LRU); 0 turns the cache off. Default `10000`. */
  readonly cacheSize?: number;
  /** Upstream exchanges in flight at once; queries beyond it get SERVFAIL at once. Default `1000`. */
  readonly upstreamMaxInFlight?: number;
  /** Concurrent TCP connections; at the cap the one idle longest is closed for a newcomer. Default `256`. */
  readonly tcpMaxConnections?: number;
  /** Queries in flight on one TCP connection; reading pauses at the cap (RFC 7766 §6.2.1.1). Default `32`. */
  readonly tcpMaxInFlight?: number;
  /** A TCP connection with nothing in flight closes after this many ms (RFC 7766 §6.2.3). Default `10000`. */
  readonly tcpIdleTimeoutMs?: number;
  /** The idle timeout while more than 3/4 of tcpMaxConnections are open (RFC 7766 §6.2.3). Default `1000`. */
  readonly tcpBusyIdleTimeoutMs?: number;
  /** A TCP message whose first bytes arrived must be complete within this many ms (slowloris). Default `5000`. */
  readonly tcpSlowTimeoutMs?: number;
  /** Bytes held for one TCP connection (unfinished and waiting queries); at least 65537. Default `262144`. */
  readonly tcpMaxBufferedBytes?: number;
  /** Largest registry file read, bytes; a bigger one is refused with a diagnostic (its last good content keeps serving). Default `67108864` (64 MiB). */
  readonly maxRegistryBytes?: number;
  /** Treat any registry error as fatal at start-up. Default `false`. */
  readonly strict?: boolean;
  /** Watch the zones directories and reload on change. Default `true`. */
  readonly watch?: boolean;
  /** HTTP listener for /metrics, /health, /ready and /v1: `HOST:PORT` or `off`. Default `off` for the library (the CLI: `127.0.0.1:9153`). */
  readonly http?: string;
  /**
   * A listener for probes alone, GET /health and GET /ready (CoreDNS's `health`/`ready` ports):
   * `HOST:PORT` or `off`. They keep working with `http: 'off'`. Default `off`.
   */
  readonly probes?: string;
  /** When the HTTP address cannot be bound, warn and run without HTTP instead of failing. Default `false`. */
  readonly httpOptional?: boolean;
  /** Bearer token for the /v1 API (and /metrics off loopback). Without one, /v1 is served on loopback only (off elsewhere). */
  readonly httpToken?: string;
  /**
   * Extra `Host` names a loopback HTTP listener answers, besides `localhost`, `127.0.0.1` and `[::1]`
   * (any other Host is refused: DNS rebinding). Default none.
   */
  readonly httpAllowedHosts?: readonly string[];
  /** On stop, keep answering (reporting not ready) for this long first, ms. Default `0` for the library (the CLI: 5000). */
  readonly shutdownGraceMs?: number;
  /** Log one line per query. Default `false`. */
  readonly logQueries?: boolean;
  /** Recent queries kept in memory for GET /ui's live view (a ring; nothing on disk; only with `http`). `0` turns it off. Default `1000`. */
  readonly queryLogSize?: number;
  /**
   * Clients (CIDRs) whose out-of-zone queries are forwarded; others get REFUSED. Default: everyone
   * on a loopback `host`; beyond loopback, loopback and the private networks of this host's
   * interfaces (src/dns/local-networks.ts), so a public address is never an open resolver by accident.
   */
  readonly allowRecursion?: string | readonly string[];
  /**
   * UDP replies per second to one client prefix (/24 IPv4, /56 IPv6), as Knot's and BIND's response
   * rate limiting; beyond it replies are dropped and every second one sent truncated (TC=1, the
   * client retries over TCP, which is not limited). 0 turns it off. Default `1000` when `host` is
   * beyond loopback, `0` (off) on loopback (only this machine can reach it, benchmarks included).
   */
  readonly rrlRate?: number;
  /**
   * Let services from registrations answer short forms ending in a public top-level domain
   * (`github.com` for service `github` in namespace `com`). Default `false`: those names are
   * forwarded (or REFUSED) as if the registration were not there; the cluster names still answer.
   */
  readonly publicShortForms?: boolean;
  /** pino level. Default `info`. */
  readonly logLevel?: string;
  /** Mirror a live cluster through its API (list/watch), alongside zones and registrations. Default: off. */
  readonly kubernetes?: KubernetesOptions;
  /**
   * The cluster's Service ranges, at most one IPv4 and one IPv6 (kube-apiserver
   * `--service-cluster-ip-range`): ClusterIPs are allocated from them and their reverse names are ours.
   * Default `['10.96.0.0/12', 'fd00:10:96::/108']`.
   */
  readonly serviceCidrs?: readonly string[];
  /**
   * The cluster's Pod ranges, at most one IPv4 and one IPv6 (kube-controller-manager `--cluster-cidr`):
   * simulated Pods get addresses from them and their reverse names are ours.
   * Default `['10.244.0.0/16', 'fd00:10:244::/56']`.
   */
  readonly podCidrs?: readonly string[];
  /**
   * Processes answering DNS on the one address and port: a number, or `auto` for the machine's
   * available parallelism. Default `1`: this process does everything. More than 1 is the CLI's
   * `--workers` (node:cluster, src/workers/); `createDnsServer` answers in its own process and
   * refuses more than 1.
   */
  readonly workers?: number | 'auto';
  /**
   * Zones whose names come from Ingress, Gateway API route and LoadBalancer Service hostnames
   * (docs/ingress.md). Only hosts inside them are answered, authoritatively; a host outside is never
   * served, so a manifest cannot take over a real name. Default: none (hostnames are not served).
   */
  readonly ingressZones?: string | readonly string[];
  /**
   * What a hostname answers when its object has no address in its status (a manifest as written, no
   * controller): one IPv4 and/or one IPv6 address. Default: the listen address when it is loopback,
   * else `127.0.0.1` (a laptop's ingress controller is usually port-mapped there).
   */
  readonly ingressAddress?: string | readonly string[];
  /**
   * What reads and answers UDP: `native` (the recvmmsg/sendmmsg addon, Linux, built at install),
   * `dgram` (node:dgram), or `auto`: native where the addon loaded, else node:dgram with one info
   * line saying why. Default `auto`. TCP is node:net either way (docs/udp-engine.md).
   */
  readonly udpEngine?: 'auto' | 'native' | 'dgram';
}

export const DEFAULT_SERVICE_CIDRS: readonly string[] = ['10.96.0.0/12', 'fd00:10:96::/108'];
export const DEFAULT_POD_CIDRS: readonly string[] = ['10.244.0.0/16', 'fd00:10:244::/56'];

/**
 * Response rate limit off loopback, replies/s per client prefix. Knot's documentation suggests 200
 * for an authoritative server; clients of a cluster DNS share a node's /24, so this leaves room for
 * a busy node, and a client over it still gets every other answer via TC and TCP.
 */
export const DEFAULT_RRL_RATE = 1000;

/** More worker processes than this is a typo, not a machine. */
const MAX_WORKERS = 1024;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const POD_MODES: readonly PodMode[] = ['disabled', 'insecure', 'verified'];

/** Returned by an option's parser when the value does not fit; the caller throws the ConfigError. */
const INVALID: unique symbol = Symbol('invalid');
type Parsed<T> = T | typeof INVALID;

/** One option: what a good value looks like (for the error), its default, and value → resolved value. */
interface OptionSpec<T> {
  readonly expected: string;
  readonly fallback: T;
  readonly parse: (value: unknown) => Parsed<T>;
}

const spec = <T>(expected: string, fallback: T, parse: (value: unknown) => Parsed<T>): OptionSpec<T> => ({ expected, fallback, parse });
const wholeNumber = (min: number, max: number, fallback: number, what = `a whole number from ${min} to ${max}`) =>
  spec(what, fallback, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : INVALID));
const boolean = (fallback: boolean) => spec('true or false', fallback, (v) => (typeof v === 'boolean' ? v : INVALID));
const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  spec(`one of ${values.join(', ')}`, fallback, (v) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : INVALID));
/** A string, or an array of strings; a string may be a comma-separated list when `commas`. */
const stringList = (v: unknown, commas: boolean): Parsed<string[]> => {
  if (typeof v === 'string') return commas ? v.split(',').map((s) => s.trim()).filter(Boolean) : [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
  return INVALID;
};

/**
 * Every option `createDnsServer` accepts: the one place an option is defined for validation. Adding a
 * field to `DnsServerOptions` without a row here fails the typecheck. Values are checked once, in
 * the factory (as pino and fastify do); a wrong type or unknown name throws a ConfigError.
 */
export const OPTION_SPECS = {
  zones: spec('a path or an array of paths', [] as readonly string[], (v) => {
    const list = stringList(v, false);
    return list !== INVALID && list.every((z) => z.trim() !== '') ? list : INVALID;
  }),
  host: spec('an IP address', '127.0.0.1', (v) => (typeof v === 'string' && isIP(v) !== 0 ? v : INVALID)),
  port: wholeNumber(0, 65535, 1053, 'a port number (0-65535)'),
  clusterDomain: spec('a domain name or a list of them', ['cluster.local'] as readonly string[], (v) => {
    const list = stringList(v, true);
    if (list === INVALID || list.length === 0) return INVALID;
    const zones = list.map(normalizeZone);
    return zones.every(isDomainName) ? [...new Set(zones)] : INVALID;
  }),
  defaultNamespace: spec('a namespace name (RFC 1123 label)', 'default', (v) => (typeof v === 'string' && DNS_LABEL.test(v) ? v : INVALID)),
  ttl: wholeNumber(0, 2_147_483_647, 5, 'a TTL in seconds (0-2147483647)'),
  pods: oneOf(POD_MODES, 'insecure'),
  upstream: spec('"none", a list such as "1.1.1.1, 8.8.8.8:53", or an array of addresses or { address, port }', 'none' as readonly UpstreamAddress[] | 'none', parseUpstreamOption),
  upstreamTimeoutMs: wholeNumber(1, 60_000, 2000, 'a timeout in ms (1-60000)'),
  cacheSize: wholeNumber(0, Number.MAX_SAFE_INTEGER, 10_000, 'a number of entries (0 = off)'),
  upstreamMaxInFlight: wholeNumber(1, 1_000_000, 1000),
  tcpMaxConnections: wholeNumber(1, 1_000_000, 256),
  tcpMaxInFlight: wholeNumber(1, 65_535, 32),
  tcpIdleTimeoutMs: wholeNumber(1, 3_600_000, 10_000),
  tcpBusyIdleTimeoutMs: wholeNumber(1, 3_600_000, 1_000),
  tcpSlowTimeoutMs: wholeNumber(1, 3_600_000, 5_000),
  // Below one whole framed message (2 + 65535 octets) a legal query could be refused.
  tcpMaxBufferedBytes: wholeNumber(65_537, 1 << 30, 262_144),
  maxRegistryBytes: wholeNumber(1, Number.MAX_SAFE_INTEGER, 64 * 1024 * 1024, 'a size in bytes'),
  strict: boolean(false),
  watch: boolean(true),
  http: spec('HOST:PORT or off', 'off' as { readonly host: string; readonly port: number } | 'off', (v) => {
    if (typeof v !== 'string') return INVALID;
    try {
      return parseHttpAddress(v);
    } catch {
      return INVALID;
    }
  }),
  httpOptional: boolean(false),
  probes: spec('HOST:PORT or off', 'off' as { readonly host: string; readonly port: number } | 'off', (v) => {
    if (typeof v !== 'string') return INVALID;
    try {
      return parseHttpAddress(v);
    } catch {
      return INVALID;
    }
  }),
  httpToken: spec('a string', undefined as string | undefined, (v) => (typeof v === 'string' ? (v === '' ? undefined : v) : INVALID)),
  httpAllowedHosts: spec('a host name or an array of host names (no port, no wildcard)', [] as readonly string[], (v) => {
    const list = stringList(v, true);
    if (list === INVALID) return INVALID;
    return list.every((h) => /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/i.test(h)) ? list.map((h) => h.toLowerCase()) : INVALID;
  }),
  shutdownGraceMs: wholeNumber(0, 3_600_000, 0, 'a duration in ms'),
  logQueries: boolean(false),
  queryLogSize: wholeNumber(0, 1_000_000, 1000, 'a number of queries (0 = off)'),
  allowRecursion: spec('a CIDR or an array of CIDRs', undefined as readonly string[] | undefined, (v) => stringList(v, true)),
  rrlRate: spec('a number of responses per second per client prefix (0 = off)', undefined as number | undefined, (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000_000 ? v : INVALID,
  ),
  publicShortForms: boolean(false),
  logLevel: oneOf(LOG_LEVELS, 'info'),
  // Read and checked (kubeconfig, service account) when the server is created; here only its shape.
  kubernetes: spec('an object { mode?, kubeconfig?, context?, namespaces?, labels? }', undefined as KubernetesOptions | undefined, (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as KubernetesOptions) : INVALID,
  ),
  serviceCidrs: spec('a CIDR or an array of CIDRs', DEFAULT_SERVICE_CIDRS.map((c) => parseCidr(c)!) as readonly Cidr[], (v) => {
    const list = stringList(v, true);
    return list === INVALID ? INVALID : parseRangeList('service-cidr', list);
  }),
  podCidrs: spec('a CIDR or an array of CIDRs', DEFAULT_POD_CIDRS.map((c) => parseCidr(c)!) as readonly Cidr[], (v) => {
    const list = stringList(v, true);
    return list === INVALID ? INVALID : parseRangeList('pod-cidr', list);
  }),
  workers: spec('a number of processes (1-1024) or auto', 1, (v) => {
    if (v === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS ? n : INVALID;
  }),
  ingressZones: spec('a domain name or a list of them', [] as readonly string[], (v) => {
    const list = stringList(v, true);
    if (list === INVALID) return INVALID;
    const zones = list.map(normalizeZone);
    return zones.every(isDomainName) ? [...new Set(zones)] : INVALID;
  }),
  ingressAddress: spec('one IPv4 and/or one IPv6 address', undefined as readonly string[] | undefined, (v) => {
    const list = stringList(v, true);
    if (list === INVALID || list.length === 0 || list.length > 2) return INVALID;
    const canonical = list.map((a) => canonicalIp(a.trim()));
    if (canonical.some((a) => a === undefined)) return INVALID;
    return new Set(canonical.map((a) => isIP(a!))).size === canonical.length ? (canonical as string[]) : INVALID;
  }),
  udpEngine: oneOf(['auto', 'native', 'dgram'] as const, 'auto'),
} satisfies { readonly [K in keyof DnsServerOptions]-?: OptionSpec<unknown> };

/** Accepted by `createDnsServer` beyond DnsServerOptions (the embedding hooks); checked, not resolved. */
const HOOKS: Readonly<Record<string, { expected: string; ok: (v: unknown) => boolean }>> = {
  logger: { expected: 'a pino logger', ok: (v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function' },
  now: { expected: 'a function returning epoch ms', ok: (v) => typeof v === 'function' },
  networkInterfaces: { expected: 'a function returning the os.networkInterfaces() table', ok: (v) => typeof v === 'function' },
};

type Specs = typeof OPTION_SPECS;
type SpecValue<S> = S extends OptionSpec<infer T> ? T : never;

/** Every option resolved to its value or default; `allowRecursion` becomes a membership test. */
export type ResolvedOptions = { readonly [K in Exclude<keyof Specs, 'allowRecursion' | 'clusterDomain' | 'rrlRate'>]: SpecValue<Specs[K]> } & {
  /** The first cluster domain: the zone registry names, short forms and PTR targets are written in. */
  readonly clusterDomain: string;
  /** Every cluster domain, the first one first; each answers every name. */
  readonly clusterDomains: readonly string[];
  /** Replies per second per client prefix; 0 = off (the default on a loopback host). */
  readonly rrlRate: number;
  /** Undefined: every client may recurse. */
  readonly allowRecursion: ((address: string) => boolean) | undefined;
  readonly allowRecursionText: readonly string[] | undefined;
};

/** Fills defaults and validates; throws a ConfigError naming the option, what was given and what is expected. */
export function resolveOptions(options: DnsServerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`options: expected an object, got ${describeValue(options)}`);
  }
  const known = [...Object.keys(OPTION_SPECS), ...Object.keys(HOOKS)];
  for (const [name, value] of Object.entries(options)) {
    if (name in OPTION_SPECS || value === undefined) continue;
    const hook = HOOKS[name];
    if (!hook) throw new ConfigError(`${name}: unknown option${didYouMean(name, known)}`, { option: name });
    if (!hook.ok(value)) throw invalidOption(name, hook.expected, value);
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(OPTION_SPECS) as [keyof Specs, OptionSpec<unknown>][]) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) {
      resolved[name] = s.fallback;
      continue;
    }
    const parsed = s.parse(value);
    if (parsed === INVALID) throw invalidOption(name, s.expected, value);
    resolved[name] = parsed;
  }
  for (const pod of resolved.podCidrs as readonly Cidr[]) {
    const clash = (resolved.serviceCidrs as readonly Cidr[]).find((service) => cidrsOverlap(service, pod));
    // A pod address that is also a ClusterIP would make A and PTR answers ambiguous.
    if (clash) throw new ConfigError(`pod-cidr: "${pod.text}" overlaps service-cidr "${clash.text}"`, { option: 'podCidrs' });
  }
  const clusterDomains = resolved.clusterDomain as readonly string[];
  const overlaps = (a: string, b: string) => a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
  clusterDomains.forEach((zone, i) => {
    const other = clusterDomains.slice(0, i).find((z) => overlaps(z, zone));
    // Each cluster zone is owned whole by one stage: one inside another would be answered twice.
    if (other) throw new ConfigError(`clusterDomain: "${zone}" overlaps "${other}" (give zones side by side, such as cluster.local,cluster.internal)`, { option: 'clusterDomain' });
  });
  for (const zone of resolved.ingressZones as readonly string[]) {
    // The cluster stage owns its whole zone; an ingress zone inside or around it would split that ownership.
    const cluster = clusterDomains.find((c) => overlaps(c, zone));
    if (cluster) throw new ConfigError(`ingressZones: "${zone}" overlaps the cluster domain "${cluster}" (give a zone of its own, such as example.test)`, { option: 'ingressZones' });
    if (zone.endsWith('in-addr.arpa') || zone.endsWith('ip6.arpa')) throw new ConfigError(`ingressZones: "${zone}" is a reverse zone, not a zone for host names`, { option: 'ingressZones' });
  }
  const allowRecursionText = resolved.allowRecursion as readonly string[] | undefined;
  return {
    ...(resolved as Omit<ResolvedOptions, 'allowRecursion' | 'allowRecursionText' | 'clusterDomain' | 'clusterDomains' | 'rrlRate'>),
    clusterDomain: clusterDomains[0]!,
    clusterDomains,
    rrlRate: (resolved.rrlRate as number | undefined) ?? (isLoopback(resolved.host as string) ? 0 : DEFAULT_RRL_RATE),
    allowRecursion: allowRecursionText ? parseCidrList(allowRecursionText) : undefined,
    allowRecursionText,
  };
}

function invalidOption(name: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(`${name}: expected ${expected}, got ${describeValue(value)}`, { option: name });
}

/** A short, readable rendering of what was given: `"53"`, `70000`, `an array [1,2]`, `a function`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  if (value === null) return 'null';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(unprintable)';
  }
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  if (Array.isArray(value)) return `the array ${text}`;
  if (typeof value === 'object') return `the object ${text}`;
  return text;
}

/** `'none'`, `"1.1.1.1, 8.8.8.8:53"`, or an array of `"IP[:port]"` strings and `{ address, port }`. */
function parseUpstreamOption(value: unknown): Parsed<readonly UpstreamAddress[] | 'none'> {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'none') return 'none';
  const items: unknown[] | undefined = typeof value === 'string' ? value.split(',').filter((s) => s.trim() !== '') : Array.isArray(value) ? value : undefined;
  if (items === undefined) return INVALID;
  if (items.length === 0) throw new ConfigError('upstream: empty list (use "none" to turn forwarding off)', { option: 'upstream' });
  return items.map((item) => {
    if (typeof item === 'string') return parseUpstream(item);
    if (typeof item === 'object' && item !== null && typeof (item as UpstreamAddress).address === 'string') {
      const { address, port = 53 } = item as { address: string; port?: unknown };
      if (isIP(address) === 0) throw new ConfigError(`upstream: "${address}" is not an IP address`, { option: 'upstream' });
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new ConfigError(`upstream: expected a port number (1-65535) for ${address}, got ${describeValue(port)}`, { option: 'upstream' });
      }
      return { address, port };
    }
    throw new ConfigError(`upstream: expected "IP[:port]" or { address, port } in the list, got ${describeValue(item)}`, { option: 'upstream' });
  });
}

/** Zones paths that do not exist (an empty directory is fine: it is a registry with nothing in it yet). */
export function missingZonePaths(zones: readonly string[]): string[] {
  return zones.filter((z) => !existsSync(z));
}

/**
 * A cluster range list (`--service-cidr`, `--pod-cidr`): one or two CIDRs, at most one per family
 * (dual-stack, as kube-apiserver accepts), each with room for addresses to hand out.
 */
export function parseRangeList(option: string, texts: readonly string[]): readonly Cidr[] {
  if (!Array.isArray(texts) || texts.length === 0) throw new ConfigError(`${option}: empty list (give one IPv4 and/or one IPv6 CIDR)`);
  const out: Cidr[] = [];
  for (const raw of texts) {
    const cidr = typeof raw === 'string' ? parseCidr(raw.trim()) : undefined;
    if (!cidr) throw new ConfigError(`${option}: "${String(raw)}" is not a CIDR (like 10.96.0.0/12 or fd00:10:96::/108)`);
    // A /31 or /127 and smaller has no address left once the network address is reserved.
    if (cidr.prefix > (cidr.family === 4 ? 30 : 126)) throw new ConfigError(`${option}: "${raw}" is too small to allocate addresses from`);
    if (out.some((c) => c.family === cidr.family)) {
      throw new ConfigError(`${option}: "${raw}": at most one IPv${cidr.family} range (dual-stack is one IPv4 and one IPv6)`);
    }
    out.push(cidr);
  }
  return out;
}

export function isDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63 && /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i.test(l));
}

/** Parses `IP`, `IP:port`, `[IPv6]:port` (default port 53). */
export function parseUpstream(text: string): UpstreamAddress {
  const trimmed = text.trim();
  let address = trimmed;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    address = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(trimmed) === 0 && /^[^:]+:\d+$/.test(trimmed)) {
    const i = trimmed.lastIndexOf(':');
    address = trimmed.slice(0, i);
    port = Number(trimmed.slice(i + 1));
  }
  if (isIP(address) === 0) throw new ConfigError(`upstream: "${text}" is not IP[:port] (IPv6 as [addr]:port)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`upstream: "${text}" has a bad port`);
  return { address, port };
}

/** The address `ns.dns.<zone>` resolves to: the listen address, or loopback for a wildcard bind. */
export function nameServerAddresses(host: string): string[] {
  if (host === '0.0.0.0') return ['127.0.0.1'];
  if (host === '::') return ['::1'];
  return [host];
}

/**
 * What a hostname answers when its object has no status address: --ingress-address, else the
 * listen address when it is loopback, else 127.0.0.1 (where a laptop's ingress controller is port-mapped).
 */
export function ingressAddresses(options: Pick<ResolvedOptions, 'ingressAddress' | 'host'>): readonly string[] {
  if (options.ingressAddress) return options.ingressAddress;
  return [isLoopback(options.host) ? options.host : '127.0.0.1'];
}

/** The hostname index's zones and default address, for buildRegistry and the publisher. */
export function hostIndexOptions(options: ResolvedOptions): HostIndexOptions {
  return { zones: options.ingressZones, defaultAddresses: ingressAddresses(options) };
}

/** What `explain` needs to know of the configuration (CLI and GET /v1/explain alike). */
export function explainOptionsFor(options: ResolvedOptions): ExplainOptions {
  return {
    podMode: options.pods,
    defaultNamespace: options.defaultNamespace,
    publicShortForms: options.publicShortForms,
    nameServerAddresses: nameServerAddresses(options.host),
    ingressZones: options.ingressZones,
    clusterAliases: options.clusterDomains.slice(1),
    upstreams: options.upstream === 'none' ? 'none' : options.upstream.map((u) => (u.address.includes(':') ? `[${u.address}]:${u.port}` : `${u.address}:${u.port}`)),
  };
}

export function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

/** `HOST:PORT`, `[IPv6]:PORT`, `:PORT` (loopback) or `off`. */
export function parseHttpAddress(text: string): { host: string; port: number } | 'off' {
  const t = text.trim();
  if (t.toLowerCase() === 'off' || t.toLowerCase() === 'none') return 'off';
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d+)$/.exec(t);
  const host = m ? (m[1] ?? m[2] ?? '') || '127.0.0.1' : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || isIP(host) === 0 || !(port >= 0 && port <= 65535)) throw new ConfigError(`http: "${text}" is not HOST:PORT or off`);
  return { host, port };
}

/** Who may have names forwarded: everyone, or the clients in `cidrs` (and where that list came from, for the start-up log). */
export type RecursionPolicy =
  | { readonly kind: 'everyone' }
  | { readonly kind: 'listed'; readonly from: 'allow-recursion' | 'local networks'; readonly cidrs: readonly string[]; readonly allowed: (address: string) => boolean };

/**
 * The recursion ACL in force: `--allow-recursion` when given; otherwise everyone on a loopback
 * host (only this machine can reach it), and beyond loopback the host's loopback and private
 * interface networks, as BIND's default `allow-recursion { localhost; localnets; }` (RFC 5358 §4:
 * recursion only for the intended clients). Interfaces are read once, at creation.
 */
export function recursionPolicy(options: ResolvedOptions, interfaces: () => InterfaceTable = networkInterfaces): RecursionPolicy {
  if (options.allowRecursion && options.allowRecursionText) {
    return { kind: 'listed', from: 'allow-recursion', cidrs: options.allowRecursionText, allowed: options.allowRecursion };
  }
  if (isLoopback(options.host)) return { kind: 'everyone' };
  let table: InterfaceTable;
  try {
    table = interfaces();
  } catch {
    // Some sandboxes refuse to list interfaces (uv_interface_addresses): loopback only, never everyone.
    table = { lo: [{ address: '127.0.0.1', cidr: '127.0.0.0/8', internal: true }, { address: '::1', cidr: '::1/128', internal: true }] };
  }
  const cidrs = localRecursionCidrs(table);
  return { kind: 'listed', from: 'local networks', cidrs, allowed: parseCidrList(cidrs) };
}

/** `10.0.0.0/8,::1/128,192.0.2.7` → a membership test; a bare address is a single host. */
export function parseCidrList(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const raw of cidrs) {
    const text = raw.trim();
    const [address = '', prefixText] = text.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
      throw new ConfigError(`allow-recursion: "${raw}" is not an IP address or CIDR`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (address) => {
    // A link-local IPv6 client arrives with its zone (fe80::1%eth0); the zone is not part of the address.
    const zone = address.indexOf('%');
    if (zone >= 0) address = address.slice(0, zone);
    const family = isIP(address);
    if (family === 0) return false;
    // IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return list.check(mapped[1]!, 'ipv4');
    return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}
