/** Command line and environment → a command and its options. Flags win over CLUSTER_DNS_* variables. */
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { parseUpstream, type DnsServerOptions, type UpstreamAddress } from './options.js';
import type { PodMode } from './resolver/cluster-answers.js';
import type { KubernetesOptions } from './kubernetes/kubernetes-options.js';

export type Command = 'serve' | 'check' | 'records' | 'probe' | 'help' | 'version';

export interface CommandLine {
  readonly command: Command;
  readonly options: DnsServerOptions;
  /** `--upstream` was not given: the caller reads /etc/resolv.conf. */
  readonly upstreamFromSystem: boolean;
  readonly output: 'table' | 'json';
}

/** Every flag, its environment variable, and its help line: one table drives parsing and `--help`. */
export const FLAGS = {
  zones: { type: 'string', multiple: true, env: 'CLUSTER_DNS_ZONES', help: 'registry file or directory, repeatable (env: comma-separated)', default: './zones' },
  host: { type: 'string', env: 'CLUSTER_DNS_HOST', help: 'listen address for UDP and TCP', default: '127.0.0.1' },
  port: { type: 'string', env: 'CLUSTER_DNS_PORT', help: 'listen port for UDP and TCP (0 = any free port)', default: '1053' },
  'cluster-domain': { type: 'string', env: 'CLUSTER_DNS_CLUSTER_DOMAIN', help: 'authoritative cluster domain', default: 'cluster.local' },
  'default-namespace': { type: 'string', env: 'CLUSTER_DNS_DEFAULT_NAMESPACE', help: 'namespace of a bare <svc> short form', default: 'default' },
  ttl: { type: 'string', env: 'CLUSTER_DNS_TTL', help: 'TTL of cluster records, seconds', default: '5' },
  pods: { type: 'string', env: 'CLUSTER_DNS_PODS', help: 'pod records: disabled | insecure | verified', default: 'insecure' },
  upstream: { type: 'string', env: 'CLUSTER_DNS_UPSTREAM', help: 'comma-separated IP[:port] upstreams, or none', default: 'nameservers of /etc/resolv.conf' },
  'allow-recursion': { type: 'string', env: 'CLUSTER_DNS_ALLOW_RECURSION', help: 'comma-separated CIDRs that may use forwarding (others: REFUSED)', default: 'everyone' },
  'service-cidr': { type: 'string', env: 'CLUSTER_DNS_SERVICE_CIDR', help: 'Service ranges (ClusterIP allocation, reverse zones): one IPv4 and/or one IPv6 CIDR, comma-separated', default: '10.96.0.0/12,fd00:10:96::/108' },
  'pod-cidr': { type: 'string', env: 'CLUSTER_DNS_POD_CIDR', help: 'Pod ranges (simulated Pods, reverse zones): one IPv4 and/or one IPv6 CIDR, comma-separated', default: '10.244.0.0/16,fd00:10:244::/56' },
  'upstream-timeout': { type: 'string', env: 'CLUSTER_DNS_UPSTREAM_TIMEOUT', help: 'per-try upstream timeout, ms', default: '2000' },
  cache: { type: 'string', env: 'CLUSTER_DNS_CACHE', help: 'forwarded replies cached (entries, LRU); 0 = off', default: '10000' },
  'upstream-max-in-flight': { type: 'string', env: 'CLUSTER_DNS_UPSTREAM_MAX_IN_FLIGHT', help: 'upstream queries in flight at once; beyond it SERVFAIL', default: '1000' },
  'tcp-max-connections': { type: 'string', env: 'CLUSTER_DNS_TCP_MAX_CONNECTIONS', help: 'concurrent TCP connections; at the cap the one idle longest makes room', default: '256' },
  'tcp-max-in-flight': { type: 'string', env: 'CLUSTER_DNS_TCP_MAX_IN_FLIGHT', help: 'queries in flight per TCP connection', default: '32' },
  'tcp-idle-timeout': { type: 'string', env: 'CLUSTER_DNS_TCP_IDLE_TIMEOUT', help: 'close a TCP connection idle this long, ms', default: '10000' },
  'tcp-busy-idle-timeout': { type: 'string', env: 'CLUSTER_DNS_TCP_BUSY_IDLE_TIMEOUT', help: 'idle timeout above 3/4 of --tcp-max-connections, ms', default: '1000' },
  'tcp-slow-timeout': { type: 'string', env: 'CLUSTER_DNS_TCP_SLOW_TIMEOUT', help: 'close a TCP connection that takes longer to send one message, ms', default: '5000' },
  'tcp-max-buffered': { type: 'string', env: 'CLUSTER_DNS_TCP_MAX_BUFFERED', help: 'bytes held per TCP connection (>= 65537)', default: '262144' },
  'log-level': { type: 'string', env: 'CLUSTER_DNS_LOG_LEVEL', help: 'fatal | error | warn | info | debug | trace | silent', default: 'info' },
  http: { type: 'string', env: 'CLUSTER_DNS_HTTP', help: 'HTTP listener for /metrics, /health, /ready, /v1 API: HOST:PORT or off', default: '127.0.0.1:9153' },
  'http-token': { type: 'string', env: 'CLUSTER_DNS_HTTP_TOKEN', help: 'bearer token for /v1 (required off loopback)', default: '' },
  'shutdown-grace': { type: 'string', env: 'CLUSTER_DNS_SHUTDOWN_GRACE', help: 'on SIGTERM keep answering this long (not ready), ms', default: '5000' },
  'log-queries': { type: 'boolean', env: 'CLUSTER_DNS_LOG_QUERIES', help: 'log one line per query', default: 'false' },
  watch: { type: 'string', env: 'CLUSTER_DNS_WATCH', help: 'reload when files under --zones change: true | false', default: 'true' },
  strict: { type: 'boolean', env: 'CLUSTER_DNS_STRICT', help: 'any registry error is fatal at start-up', default: 'false' },
  kubeconfig: { type: 'string', env: 'CLUSTER_DNS_KUBECONFIG', help: 'mirror the cluster of this kubeconfig (paths joined with ":" merge as $KUBECONFIG)', default: 'off' },
  'kube-context': { type: 'string', env: 'CLUSTER_DNS_KUBE_CONTEXT', help: 'kubeconfig context to use instead of current-context', default: '' },
  kubernetes: { type: 'string', env: 'CLUSTER_DNS_KUBERNETES', help: 'mirror a cluster: in-cluster (service account) | auto (in-cluster, else $KUBECONFIG or ~/.kube/config) | off', default: 'off' },
  namespaces: { type: 'string', env: 'CLUSTER_DNS_NAMESPACES', help: 'comma-separated namespaces to mirror from the cluster', default: 'all' },
  labels: { type: 'string', env: 'CLUSTER_DNS_LABELS', help: 'label selector for mirrored objects (app=web,tier!=cache)', default: '' },
  output: { type: 'string', env: 'CLUSTER_DNS_OUTPUT', help: 'records: table | json', default: 'table' },
  help: { type: 'boolean', short: 'h', env: undefined, help: 'show this help', default: '' },
  version: { type: 'boolean', env: undefined, help: 'print the version', default: '' },
} as const;

const COMMANDS: readonly Command[] = ['serve', 'check', 'records', 'probe'];

export function helpText(): string {
  const lines = [
    'Usage: cluster-dns [serve|check|records|probe] [flags]',
    '',
    '  serve    answer DNS for the registry (default)',
    '  check    validate the registry, print diagnostics and a summary; exit 1 on errors',
    '  records  print every name the registry answers',
    '',
    'Flags (each also from its environment variable; flags win):',
  ];
  for (const [name, flag] of Object.entries(FLAGS)) {
    const env = flag.env ? ` [${flag.env}]` : '';
    const dflt = flag.default ? ` (default: ${flag.default})` : '';
    lines.push(`  --${name.padEnd(20)} ${flag.help}${dflt}${env}`);
  }
  return lines.join('\n');
}

/** Parses argv (without node and script) and env; throws ConfigError with one clear line. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const spec = Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type, ...('multiple' in flag ? { multiple: true } : {}), ...('short' in flag ? { short: flag.short } : {}) }]),
  ) as Parameters<typeof parseArgs>[0] extends infer P ? (P extends { options?: infer O } ? O : never) : never;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError((error as Error).message.split('\n')[0] ?? 'bad command line');
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) return { command: 'help', options: {}, upstreamFromSystem: false, output: 'table' };
  if (values.version) return { command: 'version', options: {}, upstreamFromSystem: false, output: 'table' };

  const [first, ...extra] = parsed.positionals;
  const command = (first ?? 'serve') as Command;
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${first}" (expected ${COMMANDS.join(', ')})`);
  if (extra.length > 0) throw new ConfigError(`unexpected argument "${extra[0]}"`);

  const str = (name: keyof typeof FLAGS): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    const e = FLAGS[name].env;
    const fromEnv = e ? env[e] : undefined;
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const truth = (raw: string, label: string, expected: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${label}: "${raw}" is not ${expected}`);
  };
  /** A presence flag (`--strict`), or its variable set to true/false. */
  const bool = (name: keyof typeof FLAGS): boolean | undefined => {
    if (values[name] === true) return true;
    const e = FLAGS[name].env;
    const raw = e ? env[e] : undefined;
    return raw === undefined || raw === '' ? undefined : truth(raw, e!, 'a boolean (true/false)');
  };
  /** A flag that takes a value (`--watch false`). */
  const boolText = (name: keyof typeof FLAGS): boolean | undefined => {
    const raw = str(name);
    return raw === undefined ? undefined : truth(raw, name, 'true or false');
  };
  const int = (name: keyof typeof FLAGS): number | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name}: "${raw}" is not a whole number`);
    return Number(raw);
  };

  /** A comma-separated list; checked by resolveOptions, which names the option. */
  const list = (name: keyof typeof FLAGS): string[] | undefined => str(name)?.split(',').map((item) => item.trim()).filter(Boolean);

  const zonesFlag = values.zones as string[] | undefined;
  const zonesEnv = env.CLUSTER_DNS_ZONES;
  const zones = zonesFlag && zonesFlag.length > 0 ? zonesFlag : zonesEnv ? zonesEnv.split(',').map((z) => z.trim()).filter(Boolean) : ['./zones'];

  const upstreamText = str('upstream');
  let upstream: readonly UpstreamAddress[] | 'none' | undefined;
  if (upstreamText !== undefined) {
    upstream = upstreamText.trim().toLowerCase() === 'none' ? 'none' : upstreamText.split(',').filter((s) => s.trim() !== '').map(parseUpstream);
    if (upstream !== 'none' && upstream.length === 0) throw new ConfigError('upstream: empty list (use "none" to turn forwarding off)');
  }

  const kubernetes = kubernetesOptions(str('kubernetes'), str('kubeconfig'), str('kube-context'), str('namespaces'), str('labels'));

  const output = str('output') ?? 'table';
  if (output !== 'table' && output !== 'json') throw new ConfigError(`output: "${output}" must be table or json`);

  const options: DnsServerOptions = {
    zones,
    ...defined('host', str('host')),
    ...defined('port', int('port')),
    ...defined('clusterDomain', str('cluster-domain')),
    ...defined('defaultNamespace', str('default-namespace')),
    ...defined('ttl', int('ttl')),
    ...defined('pods', str('pods') as PodMode | undefined),
    ...defined('upstream', upstream),
    ...defined('upstreamTimeoutMs', int('upstream-timeout')),
    ...defined('allowRecursion', str('allow-recursion')?.split(',').map((c) => c.trim()).filter(Boolean)),
    ...defined('serviceCidrs', list('service-cidr')),
    ...defined('podCidrs', list('pod-cidr')),
    ...defined('cacheSize', int('cache')),
    ...defined('upstreamMaxInFlight', int('upstream-max-in-flight')),
    ...defined('tcpMaxConnections', int('tcp-max-connections')),
    ...defined('tcpMaxInFlight', int('tcp-max-in-flight')),
    ...defined('tcpIdleTimeoutMs', int('tcp-idle-timeout')),
    ...defined('tcpBusyIdleTimeoutMs', int('tcp-busy-idle-timeout')),
    ...defined('tcpSlowTimeoutMs', int('tcp-slow-timeout')),
    ...defined('tcpMaxBufferedBytes', int('tcp-max-buffered')),
    ...defined('logLevel', str('log-level')),
    ...defined('strict', bool('strict')),
    ...defined('watch', boolText('watch')),
    // The default listener is a convenience: if its port is taken, the server runs without it.
    ...(str('http') === undefined ? { http: '127.0.0.1:9153', httpOptional: true } : { http: str('http') }),
    ...defined('httpToken', str('http-token')),
    shutdownGraceMs: int('shutdown-grace') ?? 5000,
    ...defined('logQueries', bool('log-queries')),
    ...defined('kubernetes', kubernetes),
  };
  return { command, options, upstreamFromSystem: upstream === undefined, output };
}

/** --kubernetes / --kubeconfig and their companions → the `kubernetes` option (undefined: off). */
function kubernetesOptions(mode: string | undefined, kubeconfig: string | undefined, context: string | undefined, namespaces: string | undefined, labels: string | undefined): KubernetesOptions | undefined {
  const m = mode?.trim().toLowerCase();
  if (m !== undefined && m !== 'in-cluster' && m !== 'auto' && m !== 'off') throw new ConfigError(`kubernetes: "${mode}" must be in-cluster, auto or off`);
  const on = (m !== undefined && m !== 'off') || (m === undefined && kubeconfig !== undefined);
  if (!on) {
    const stray = kubeconfig !== undefined ? 'kubeconfig' : context !== undefined ? 'kube-context' : namespaces !== undefined ? 'namespaces' : labels !== undefined ? 'labels' : undefined;
    if (stray) throw new ConfigError(`${stray}: needs --kubeconfig or --kubernetes in-cluster|auto${m === 'off' ? ' (--kubernetes is off)' : ''}`);
    return undefined;
  }
  return {
    mode: m === 'in-cluster' || m === 'auto' ? m : 'kubeconfig',
    ...defined('kubeconfig', kubeconfig),
    ...defined('context', context),
    ...defined('namespaces', namespaces?.split(',').map((n) => n.trim()).filter(Boolean)),
    ...defined('labels', labels),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The `nameserver` lines of resolv.conf text (RFC-free format, resolv.conf(5)); scoped IPv6 skipped. */
export function parseResolvConf(text: string): UpstreamAddress[] {
  const out: UpstreamAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m || m[1]!.includes('%')) continue;
    try {
      out.push(parseUpstream(m[1]!.includes(':') && !m[1]!.startsWith('[') ? `[${m[1]}]` : m[1]!));
    } catch {
      // A malformed line is skipped, as the libc resolver does.
    }
  }
  return out;
}
