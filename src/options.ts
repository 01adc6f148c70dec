/** Server options with their defaults, validated once into a complete, normalised configuration. */
import { BlockList, isIP } from 'node:net';
import { normalizeZone } from './registry/build-registry.js';
import { ConfigError } from './errors.js';
import { cidrsOverlap, parseCidr, type Cidr } from './dns/cidr.js';
import type { PodMode } from './resolver/cluster-answers.js';
import { LOG_LEVELS } from './log.js';
import type { KubernetesOptions } from './kubernetes/kubernetes-options.js';

export interface UpstreamAddress {
  readonly address: string;
  readonly port: number;
}

/** What `createDnsServer` accepts; every field is optional and defaults as noted. */
export interface DnsServerOptions {
  /** Files or directories of registry YAML/JSON. Default: none (an empty registry; the CLI defaults to `./zones`). */
  readonly zones?: readonly string[];
  /** Listen address for UDP and TCP. Default `127.0.0.1` (loopback: nothing is exposed by accident). */
  readonly host?: string;
  /** Listen port for UDP and TCP; 0 picks a free one. Default `1053`. */
  readonly port?: number;
  /** The authoritative cluster domain. Default `cluster.local`. */
  readonly clusterDomain?: string;
  /** Namespace a bare `<svc>` is looked up in. Default `default`. */
  readonly defaultNamespace?: string;
  /** TTL of every record we synthesise, in seconds. Default `5` (as CoreDNS). */
  readonly ttl?: number;
  /** Pod records: `disabled`, `insecure` (any address) or `verified` (known pods). Default `insecure`. */
  readonly pods?: PodMode;
  /** Upstream resolvers for other names, or `none` to refuse them. Default `none` for the library. */
  readonly upstream?: readonly UpstreamAddress[] | 'none';
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
  /** Treat any registry error as fatal at start-up. Default `false`. */
  readonly strict?: boolean;
  /** Watch the zones directories and reload on change. Default `true`. */
  readonly watch?: boolean;
  /** HTTP listener for /metrics, /health, /ready and /v1: `HOST:PORT` or `off`. Default `off` for the library (the CLI: `127.0.0.1:9153`). */
  readonly http?: string;
  /** When the HTTP address cannot be bound, warn and run without HTTP instead of failing. Default `false`. */
  readonly httpOptional?: boolean;
  /** Bearer token for the /v1 API. Without one, /v1 is served on loopback only (off elsewhere). */
  readonly httpToken?: string;
  /** On stop, keep answering (reporting not ready) for this long first, ms. Default `0` for the library (the CLI: 5000). */
  readonly shutdownGraceMs?: number;
  /** Log one line per query. Default `false`. */
  readonly logQueries?: boolean;
  /** Clients (CIDRs) whose out-of-zone queries are forwarded; others get REFUSED. Default: everyone. */
  readonly allowRecursion?: readonly string[];
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
}

export interface ResolvedOptions {
  readonly zones: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly clusterDomain: string;
  readonly defaultNamespace: string;
  readonly ttl: number;
  readonly pods: PodMode;
  readonly upstream: readonly UpstreamAddress[] | 'none';
  readonly upstreamTimeoutMs: number;
  readonly cacheSize: number;
  readonly upstreamMaxInFlight: number;
  readonly tcpMaxConnections: number;
  readonly tcpMaxInFlight: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpBusyIdleTimeoutMs: number;
  readonly tcpSlowTimeoutMs: number;
  readonly tcpMaxBufferedBytes: number;
  readonly strict: boolean;
  readonly watch: boolean;
  readonly http: { readonly host: string; readonly port: number } | 'off';
  readonly httpToken: string | undefined;
  readonly httpOptional: boolean;
  readonly shutdownGraceMs: number;
  readonly logQueries: boolean;
  /** Undefined: every client may recurse. */
  readonly allowRecursion: ((address: string) => boolean) | undefined;
  readonly allowRecursionText: readonly string[] | undefined;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** As given; read and checked (kubeconfig, service account) when the server is created. */
  readonly kubernetes: KubernetesOptions | undefined;
  /** Host bits cleared, in the order given; at most one per family. */
  readonly serviceCidrs: readonly Cidr[];
  /** Host bits cleared, in the order given; at most one per family. */
  readonly podCidrs: readonly Cidr[];
}

export const DEFAULT_SERVICE_CIDRS: readonly string[] = ['10.96.0.0/12', 'fd00:10:96::/108'];
export const DEFAULT_POD_CIDRS: readonly string[] = ['10.244.0.0/16', 'fd00:10:244::/56'];

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const POD_MODES: readonly PodMode[] = ['disabled', 'insecure', 'verified'];

/** Fills defaults and validates; throws ConfigError naming the option and the bad value. */
export function resolveOptions(options: DnsServerOptions = {}): ResolvedOptions {
  const host = options.host ?? '127.0.0.1';
  if (isIP(host) === 0) throw new ConfigError(`host: "${host}" is not an IP address`);
  const port = options.port ?? 1053;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port: "${port}" is not a port number (0-65535)`);
  const clusterDomain = normalizeZone(options.clusterDomain ?? 'cluster.local');
  if (!isDomainName(clusterDomain)) throw new ConfigError(`cluster-domain: "${options.clusterDomain}" is not a domain name`);
  const defaultNamespace = options.defaultNamespace ?? 'default';
  if (!DNS_LABEL.test(defaultNamespace)) throw new ConfigError(`default-namespace: "${defaultNamespace}" is not a namespace name (RFC 1123 label)`);
  const ttl = options.ttl ?? 5;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) throw new ConfigError(`ttl: "${ttl}" is not a TTL in seconds (0-2147483647)`);
  const pods = options.pods ?? 'insecure';
  if (!POD_MODES.includes(pods)) throw new ConfigError(`pods: "${pods}" must be one of ${POD_MODES.join(', ')}`);
  const logLevel = (options.logLevel ?? 'info') as ResolvedOptions['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`log-level: "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 2000;
  if (!Number.isInteger(upstreamTimeoutMs) || upstreamTimeoutMs < 1 || upstreamTimeoutMs > 60_000) {
    throw new ConfigError(`upstream-timeout: "${upstreamTimeoutMs}" is not a timeout in ms (1-60000)`);
  }
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new ConfigError(`cache: "${cacheSize}" is not a number of entries (0 = off)`);
  const limit = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${name}: "${v}" must be a whole number from ${min} to ${max}`);
    return v;
  };
  const upstreamMaxInFlight = limit('upstream-max-in-flight', options.upstreamMaxInFlight, 1000, 1, 1_000_000);
  const tcpMaxConnections = limit('tcp-max-connections', options.tcpMaxConnections, 256, 1, 1_000_000);
  const tcpMaxInFlight = limit('tcp-max-in-flight', options.tcpMaxInFlight, 32, 1, 65_535);
  const tcpIdleTimeoutMs = limit('tcp-idle-timeout', options.tcpIdleTimeoutMs, 10_000, 1, 3_600_000);
  const tcpBusyIdleTimeoutMs = limit('tcp-busy-idle-timeout', options.tcpBusyIdleTimeoutMs, 1_000, 1, 3_600_000);
  const tcpSlowTimeoutMs = limit('tcp-slow-timeout', options.tcpSlowTimeoutMs, 5_000, 1, 3_600_000);
  // Below one whole framed message (2 + 65535 octets) a legal query could be refused.
  const tcpMaxBufferedBytes = limit('tcp-max-buffered', options.tcpMaxBufferedBytes, 262_144, 65_537, 1 << 30);
  const upstream = options.upstream ?? 'none';
  if (upstream !== 'none' && upstream.length === 0) throw new ConfigError('upstream: empty list (use "none" to turn forwarding off)');
  const http = parseHttpAddress(options.http ?? 'off');
  const httpToken = options.httpToken === '' ? undefined : options.httpToken;
  const serviceCidrs = parseRangeList('service-cidr', options.serviceCidrs ?? DEFAULT_SERVICE_CIDRS);
  const podCidrs = parseRangeList('pod-cidr', options.podCidrs ?? DEFAULT_POD_CIDRS);
  for (const pod of podCidrs) {
    const clash = serviceCidrs.find((service) => cidrsOverlap(service, pod));
    // A pod address that is also a ClusterIP would make A and PTR answers ambiguous.
    if (clash) throw new ConfigError(`pod-cidr: "${pod.text}" overlaps service-cidr "${clash.text}"`);
  }
  const shutdownGraceMs = options.shutdownGraceMs ?? 0;
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0) throw new ConfigError(`shutdown-grace: "${shutdownGraceMs}" is not a duration in ms`);
  return {
    zones: options.zones ?? [],
    host,
    port,
    clusterDomain,
    defaultNamespace,
    ttl,
    pods,
    upstream,
    upstreamTimeoutMs,
    cacheSize,
    upstreamMaxInFlight,
    tcpMaxConnections,
    tcpMaxInFlight,
    tcpIdleTimeoutMs,
    tcpBusyIdleTimeoutMs,
    tcpSlowTimeoutMs,
    tcpMaxBufferedBytes,
    strict: options.strict ?? false,
    watch: options.watch ?? true,
    http,
    httpToken,
    httpOptional: options.httpOptional ?? false,
    shutdownGraceMs,
    logQueries: options.logQueries ?? false,
    allowRecursion: options.allowRecursion ? parseCidrList(options.allowRecursion) : undefined,
    allowRecursionText: options.allowRecursion,
    logLevel,
    kubernetes: options.kubernetes,
    serviceCidrs,
    podCidrs,
  };
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
    const family = isIP(address);
    if (family === 0) return false;
    // IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return list.check(mapped[1]!, 'ipv4');
    return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}
