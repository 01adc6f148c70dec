/** Command line and environment → a command and its options. Flags win over CLUSTER_DNS_* variables. */
import { parseArgs } from 'node:util';
import { didYouMean } from './did-you-mean.js';
import { ConfigError } from './errors.js';
import { LOG_FORMATS, type LogFormat } from './log.js';
import { parseUpstream, type DnsServerOptions, type UpstreamAddress } from './options.js';
import type { KubernetesOptions } from './kubernetes/kubernetes-options.js';

export type Command = 'serve' | 'check' | 'records' | 'explain' | 'probe' | 'setup-resolver' | 'help' | 'version';
export type OutputFormat = 'table' | 'json' | 'hosts';

export interface CommandLine {
  readonly command: Command;
  readonly options: DnsServerOptions;
  /** `--upstream` was not given: the caller reads /etc/resolv.conf. */
  readonly upstreamFromSystem: boolean;
  /** `--zones` was not given: `./zones` is only a guess, and a missing one gets a hint. */
  readonly zonesDefaulted: boolean;
  readonly output: OutputFormat;
  /** Unset: the caller picks pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | undefined;
  /** `--ready-file PATH`: serve writes the bound addresses there once ready (CLI only). */
  readonly readyFile: string | undefined;
  /** Positional arguments after the command (`explain NAME [TYPE]`). */
  readonly args: readonly string[];
  /** Where each option's value came from (`--port`, `CLUSTER_DNS_PORT`), to name it in errors. */
  readonly sources: Readonly<Record<string, string>>;
  /** setup-resolver's own flags: --os, --apply / --undo, --root. */
  readonly setup: { readonly os: 'linux' | 'macos' | 'windows' | undefined; readonly action: 'print' | 'apply' | 'undo'; readonly root: string };
}

/**
 * How a flag's text becomes an option value: `string` as is; `int` a whole number; `switch` a flag
 * with no value (its variable true/false); `bool` a flag taking true/false; `list` comma-separated.
 */
type FlagValue = 'string' | 'int' | 'switch' | 'bool' | 'list';

interface FlagSpec {
  readonly env: string | undefined;
  readonly help: string;
  readonly default: string;
  /** The library option it sets; absent for CLI-only flags (output, help, version). */
  readonly option?: keyof DnsServerOptions;
  readonly value: FlagValue;
  readonly short?: string;
}

/**
 * Every flag, its environment variable, help line and library option: one table drives parsing,
 * `--help` and error labels. A new library option needs one row here (and one in OPTION_SPECS).
 */
export const FLAGS: Readonly<Record<string, FlagSpec>> = {
  zones: { value: 'list', option: 'zones', env: 'CLUSTER_DNS_ZONES', help: 'registry file or directory, repeatable (env: comma-separated)', default: './zones' },
  host: { value: 'string', option: 'host', env: 'CLUSTER_DNS_HOST', help: 'listen address for UDP and TCP', default: '127.0.0.1' },
  port: { value: 'int', option: 'port', env: 'CLUSTER_DNS_PORT', help: 'listen port for UDP and TCP (0 = any free port)', default: '1053' },
  'cluster-domain': { value: 'string', option: 'clusterDomain', env: 'CLUSTER_DNS_CLUSTER_DOMAIN', help: 'authoritative cluster domain; several comma-separated (the first names the registry, each answers every name)', default: 'cluster.local' },
  'default-namespace': { value: 'string', option: 'defaultNamespace', env: 'CLUSTER_DNS_DEFAULT_NAMESPACE', help: 'namespace of a bare <svc> short form', default: 'default' },
  ttl: { value: 'int', option: 'ttl', env: 'CLUSTER_DNS_TTL', help: 'TTL of cluster records, seconds', default: '5' },
  pods: { value: 'string', option: 'pods', env: 'CLUSTER_DNS_PODS', help: 'pod records: disabled | insecure | verified', default: 'insecure' },
  upstream: { value: 'string', option: 'upstream', env: 'CLUSTER_DNS_UPSTREAM', help: 'comma-separated IP[:port] upstreams, or none', default: 'nameservers of /etc/resolv.conf' },
  'allow-recursion': { value: 'list', option: 'allowRecursion', env: 'CLUSTER_DNS_ALLOW_RECURSION', help: 'comma-separated CIDRs that may use forwarding (others: REFUSED); 0.0.0.0/0,::/0 for everyone', default: 'everyone on a loopback --host, else loopback and this host\'s private networks' },
  'service-cidr': { value: 'list', option: 'serviceCidrs', env: 'CLUSTER_DNS_SERVICE_CIDR', help: 'Service ranges (ClusterIP allocation, reverse zones): one IPv4 and/or one IPv6 CIDR, comma-separated', default: '10.96.0.0/12,fd00:10:96::/108' },
  'pod-cidr': { value: 'list', option: 'podCidrs', env: 'CLUSTER_DNS_POD_CIDR', help: 'Pod ranges (simulated Pods, reverse zones): one IPv4 and/or one IPv6 CIDR, comma-separated', default: '10.244.0.0/16,fd00:10:244::/56' },
  'upstream-timeout': { value: 'int', option: 'upstreamTimeoutMs', env: 'CLUSTER_DNS_UPSTREAM_TIMEOUT', help: 'per-try upstream timeout, ms', default: '2000' },
  cache: { value: 'int', option: 'cacheSize', env: 'CLUSTER_DNS_CACHE', help: 'forwarded replies cached (entries, LRU); 0 = off', default: '10000' },
  'upstream-max-in-flight': { value: 'int', option: 'upstreamMaxInFlight', env: 'CLUSTER_DNS_UPSTREAM_MAX_IN_FLIGHT', help: 'upstream queries in flight at once; beyond it SERVFAIL', default: '1000' },
  'tcp-max-connections': { value: 'int', option: 'tcpMaxConnections', env: 'CLUSTER_DNS_TCP_MAX_CONNECTIONS', help: 'concurrent TCP connections; at the cap the one idle longest makes room', default: '256' },
  'tcp-busy-idle-timeout': { value: 'int', option: 'tcpBusyIdleTimeoutMs', env: 'CLUSTER_DNS_TCP_BUSY_IDLE_TIMEOUT', help: 'idle timeout above 3/4 of --tcp-max-connections, ms', default: '1000' },
  'tcp-max-in-flight': { value: 'int', option: 'tcpMaxInFlight', env: 'CLUSTER_DNS_TCP_MAX_IN_FLIGHT', help: 'queries in flight per TCP connection', default: '32' },
  'tcp-idle-timeout': { value: 'int', option: 'tcpIdleTimeoutMs', env: 'CLUSTER_DNS_TCP_IDLE_TIMEOUT', help: 'close a TCP connection idle this long, ms', default: '10000' },
  'tcp-slow-timeout': { value: 'int', option: 'tcpSlowTimeoutMs', env: 'CLUSTER_DNS_TCP_SLOW_TIMEOUT', help: 'close a TCP connection that takes longer to send one message, ms', default: '5000' },
  'tcp-max-buffered': { value: 'int', option: 'tcpMaxBufferedBytes', env: 'CLUSTER_DNS_TCP_MAX_BUFFERED', help: 'bytes held per TCP connection (>= 65537)', default: '262144' },
  'max-registry-bytes': { value: 'int', option: 'maxRegistryBytes', env: 'CLUSTER_DNS_MAX_REGISTRY_BYTES', help: 'largest registry file read; bigger ones are refused', default: '67108864' },
  'public-short-forms': { value: 'switch', option: 'publicShortForms', env: 'CLUSTER_DNS_PUBLIC_SHORT_FORMS', help: 'let registered services answer short forms ending in a public TLD (github.com)', default: 'false' },
  'rrl-rate': { value: 'int', option: 'rrlRate', env: 'CLUSTER_DNS_RRL_RATE', help: 'UDP replies/s per client /24 (IPv6 /56); beyond it dropped, every 2nd sent TC=1 (TCP retry); 0 = off', default: '1000 off loopback, 0 on loopback' },
  'log-level': { value: 'string', option: 'logLevel', env: 'CLUSTER_DNS_LOG_LEVEL', help: 'fatal | error | warn | info | debug | trace | silent', default: 'info' },
  'log-format': { value: 'string', env: 'CLUSTER_DNS_LOG_FORMAT', help: 'pretty | json', default: 'pretty on a terminal, else json' },
  http: { value: 'string', option: 'http', env: 'CLUSTER_DNS_HTTP', help: 'HTTP listener for /metrics, /health, /ready, /v1 API: HOST:PORT or off', default: '127.0.0.1:9153' },
  probes: { value: 'string', option: 'probes', env: 'CLUSTER_DNS_PROBES', help: 'a listener for GET /health and /ready alone (kubelet), kept with --http off: HOST:PORT or off', default: 'off' },
  'http-allowed-hosts': { value: 'list', option: 'httpAllowedHosts', env: 'CLUSTER_DNS_HTTP_ALLOWED_HOSTS', help: 'more Host names a loopback --http listener answers (others: 403, DNS rebinding)', default: 'localhost, 127.0.0.1, [::1]' },
  'http-token': { value: 'string', option: 'httpToken', env: 'CLUSTER_DNS_HTTP_TOKEN', help: 'bearer token for /v1 (required off loopback) and, off loopback, /metrics', default: '' },
  'shutdown-grace': { value: 'int', option: 'shutdownGraceMs', env: 'CLUSTER_DNS_SHUTDOWN_GRACE', help: 'on SIGTERM keep answering this long (not ready), ms; SIGINT skips it', default: '5000' },
  'ingress-zones': { value: 'list', option: 'ingressZones', env: 'CLUSTER_DNS_INGRESS_ZONES', help: 'zones answered from Ingress, Gateway API route and LoadBalancer hostnames (only hosts inside them), comma-separated', default: 'none' },
  'ingress-address': { value: 'list', option: 'ingressAddress', env: 'CLUSTER_DNS_INGRESS_ADDRESS', help: 'address for hostnames whose object has no status address: one IPv4 and/or one IPv6', default: 'the loopback listen address, else 127.0.0.1' },
  workers: { value: 'string', option: 'workers', env: 'CLUSTER_DNS_WORKERS', help: 'processes answering DNS on the one port (node:cluster; the registry is built once and sent to each): N or auto', default: '1' },
  'ready-file': { value: 'string', env: 'CLUSTER_DNS_READY_FILE', help: 'once ready, write {"dns":{address,port},"http":{address,port}|null,"pid":N} here (atomically: temp file + rename); removed at exit', default: '' },
  'udp-engine': { value: 'string', option: 'udpEngine', env: 'CLUSTER_DNS_UDP_ENGINE', help: 'what answers UDP: auto (native where its addon was built, else node:dgram) | native | dgram', default: 'auto' },
  'query-log-size': { value: 'int', option: 'queryLogSize', env: 'CLUSTER_DNS_QUERY_LOG_SIZE', help: 'recent queries kept in memory for the /ui page (nothing on disk); 0 = off', default: '1000' },
  'log-queries': { value: 'switch', option: 'logQueries', env: 'CLUSTER_DNS_LOG_QUERIES', help: 'log one line per query', default: 'false' },
  watch: { value: 'bool', option: 'watch', env: 'CLUSTER_DNS_WATCH', help: 'reload when files under --zones change: true | false', default: 'true' },
  strict: { value: 'switch', option: 'strict', env: 'CLUSTER_DNS_STRICT', help: 'any registry error is fatal at start-up', default: 'false' },
  kubeconfig: { value: 'string', env: 'CLUSTER_DNS_KUBECONFIG', help: 'mirror the cluster of this kubeconfig (paths joined with ":" merge as $KUBECONFIG)', default: 'off' },
  'kube-context': { value: 'string', env: 'CLUSTER_DNS_KUBE_CONTEXT', help: 'kubeconfig context to use instead of current-context', default: '' },
  kubernetes: { value: 'string', env: 'CLUSTER_DNS_KUBERNETES', help: 'mirror a cluster: in-cluster (service account) | auto (in-cluster, else $KUBECONFIG or ~/.kube/config) | off', default: 'off' },
  namespaces: { value: 'string', env: 'CLUSTER_DNS_NAMESPACES', help: 'comma-separated namespaces to mirror from the cluster', default: 'all' },
  labels: { value: 'string', env: 'CLUSTER_DNS_LABELS', help: 'label selector for mirrored objects (app=web,tier!=cache)', default: '' },
  output: { value: 'string', env: 'CLUSTER_DNS_OUTPUT', help: 'records: table | json | hosts; explain: text | json', default: 'table / text' },
  os: { value: 'string', env: undefined, help: 'setup-resolver: linux | macos | windows', default: 'this machine\'s' },
  apply: { value: 'switch', env: undefined, help: 'setup-resolver: write the set-up (needs root) and record what was written', default: 'false' },
  undo: { value: 'switch', env: undefined, help: 'setup-resolver: remove exactly what --apply wrote', default: 'false' },
  root: { value: 'string', env: undefined, help: 'setup-resolver: write under this directory instead of / (tests, chroots; commands are not run)', default: '/' },
  help: { value: 'switch', short: 'h', env: undefined, help: 'show this help', default: '' },
  version: { value: 'switch', env: undefined, help: 'print the version', default: '' },
};

const COMMANDS: readonly Command[] = ['serve', 'check', 'records', 'explain', 'probe', 'setup-resolver', 'help', 'version'];

/** What each command does, for `--help`; every command is listed. */
const COMMAND_HELP: Readonly<Record<Command, string>> = {
  serve: 'answer DNS for the registry (default)',
  check: 'validate the registry, print diagnostics and a summary; exit 1 on errors',
  records: 'print every name the registry answers (--output table | json | hosts)',
  explain: 'explain NAME [TYPE]: the answer the server would give, and why (--output text | json); exit 1 when it does not resolve',
  probe: 'ask a running server (--host, --port) for dns-version TXT; one line, exit 0 when healthy',
  'setup-resolver': 'print what routes the cluster and ingress zones to this server on this OS (--os); --apply writes it, --undo removes it',
  help: 'show this help',
  version: 'print the version',
};

export function helpText(): string {
  const lines = ['Usage: cluster-dns [command] [flags]', '', 'Commands:'];
  for (const command of COMMANDS) lines.push(`  ${command.padEnd(15)}${COMMAND_HELP[command]}`);
  lines.push('', 'Flags (each also from its environment variable; flags win):');
  for (const [name, flag] of Object.entries(FLAGS)) {
    const env = flag.env ? ` [${flag.env}]` : '';
    const dflt = flag.default ? ` (default: ${flag.default})` : '';
    lines.push(`  --${name.padEnd(22)} ${flag.help}${dflt}${env}`);
  }
  return lines.join('\n');
}

/**
 * The commands and flags as Markdown tables, from the same tables as `--help`: docs/cli.md holds
 * this between its `<!-- generated: cli-reference -->` markers (`npm run docs:cli` rewrites it, a
 * test fails when it drifts).
 */
export function cliReferenceMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  const lines = ['| command | does |', '| --- | --- |'];
  for (const command of COMMANDS) lines.push(`| \`cluster-dns ${command}\` | ${cell(COMMAND_HELP[command])} |`);
  lines.push('', '| flag | environment | default | meaning |', '| --- | --- | --- | --- |');
  for (const [name, flag] of Object.entries(FLAGS)) {
    const value = flag.value === 'switch' ? '' : flag.value === 'int' ? ' N' : flag.value === 'bool' ? ' BOOL' : flag.value === 'list' ? ' LIST' : ' VALUE';
    const short = flag.short ? `, \`-${flag.short}\`` : '';
    lines.push(`| \`--${name}${value}\`${short} | ${flag.env ? `\`${flag.env}\`` : ''} | ${flag.default ? cell(flag.default) : ''} | ${cell(flag.help)} |`);
  }
  return lines.join('\n');
}

/** Parses argv (without node and script) and env; throws ConfigError with one clear line. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const spec = Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]) => [
      name,
      { type: flag.value === 'switch' ? 'boolean' : 'string', ...(flag.option === 'zones' ? { multiple: true } : {}), ...(flag.short ? { short: flag.short } : {}) },
    ]),
  ) as NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  // Not strict: we check the tokens ourselves, so an unknown flag gets "did you mean" and no raw parseArgs text.
  const parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: false, tokens: true });
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const flag = FLAGS[token.name];
    const shown = token.rawName;
    if (!flag) throw new ConfigError(`unknown option ${shown}${didYouMean(token.name, Object.keys(FLAGS), (n) => `--${n}`)}`);
    if (flag.value === 'switch' && token.value !== undefined) throw new ConfigError(`${shown} takes no value (got "${token.value}")`);
    if (flag.value !== 'switch' && token.value === undefined) throw new ConfigError(`${shown} needs a value`);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const [first, ...rest] = parsed.positionals;
  const sources: Record<string, string> = {};
  const setup = { os: undefined, action: 'print' as const, root: '/' };
  const base = { upstreamFromSystem: false, zonesDefaulted: false, output: 'table' as const, logFormat: undefined, readyFile: undefined, args: [], sources, options: {}, setup };
  if (values.help || first === 'help') return { ...base, command: 'help' };
  if (values.version || first === 'version') return { ...base, command: 'version' };

  const command = (first ?? 'serve') as Command;
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${first}"${didYouMean(first!, COMMANDS) || ` (expected ${COMMANDS.join(', ')})`}`);
  const maxArgs = command === 'explain' ? 2 : 0;
  if (rest.length > maxArgs) throw new ConfigError(`unexpected argument "${rest[maxArgs]}"`);
  if (command === 'explain' && rest.length === 0) throw new ConfigError('explain: which name? (cluster-dns explain NAME [TYPE])');

  /** The raw text of a flag, or of its variable when the flag is absent; records which one it was. */
  const raw = (name: string): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return remember(name, `--${name}`, v);
    const e = FLAGS[name]!.env;
    const fromEnv = e ? env[e] : undefined;
    return fromEnv === undefined || fromEnv === '' ? undefined : remember(name, e!, fromEnv);
  };
  const remember = (name: string, label: string, value: string): string => {
    const option = FLAGS[name]!.option;
    if (option) sources[option] = label;
    return value;
  };
  const truth = (text: string, label: string, expected: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    throw new ConfigError(`${label}: "${text}" is not ${expected}`);
  };

  /** One flag's value in the type its option takes, or undefined when neither flag nor variable is set. */
  const read = (name: string, flag: FlagSpec): unknown => {
    if (flag.value === 'switch') {
      if (values[name] === true) {
        remember(name, `--${name}`, 'true');
        return true;
      }
      const text = flag.env ? env[flag.env] : undefined;
      return text === undefined || text === '' ? undefined : truth(remember(name, flag.env!, text), flag.env!, 'a boolean (true/false)');
    }
    if (flag.option === 'zones') {
      const given = values[name] as string[] | undefined;
      if (given && given.length > 0) {
        remember(name, `--${name}`, '');
        return given;
      }
    }
    const text = raw(name);
    if (text === undefined) return undefined;
    const label = sources[flag.option ?? ''] ?? `--${name}`;
    switch (flag.value) {
      case 'int':
        if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${label}: "${text}" is not a whole number`);
        return Number(text);
      case 'bool':
        return truth(text, label, 'true or false');
      case 'list':
        return text.split(',').map((t) => t.trim()).filter(Boolean);
      default:
        return text;
    }
  };

  const options: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (!flag.option) continue;
    const value = read(name, flag);
    if (value !== undefined) options[flag.option] = value;
  }
  const zonesDefaulted = options.zones === undefined;
  if (zonesDefaulted) options.zones = ['./zones'];
  // The default listener is a convenience: if its port is taken, the server runs without it.
  if (options.http === undefined) Object.assign(options, { http: '127.0.0.1:9153', httpOptional: true });
  options.shutdownGraceMs ??= 5000;
  const upstreamText = options.upstream as string | undefined;
  if (upstreamText !== undefined) {
    // Checked here too, so the error names the flag or variable it came from.
    const list: readonly UpstreamAddress[] | 'none' =
      upstreamText.trim().toLowerCase() === 'none' ? 'none' : upstreamText.split(',').filter((u) => u.trim() !== '').map((u) => withLabel(sources.upstream, () => parseUpstream(u)));
    if (list !== 'none' && list.length === 0) throw new ConfigError(`${sources.upstream}: empty list (use "none" to turn forwarding off)`);
    options.upstream = list;
  }

  // The kubernetes option gathers five flags into one object.
  const kubernetes = kubernetesOptions(raw('kubernetes'), raw('kubeconfig'), raw('kube-context'), raw('namespaces'), raw('labels'));
  if (kubernetes) options.kubernetes = kubernetes;

  const output = raw('output') ?? (command === 'explain' ? 'text' : 'table');
  const outputs = command === 'explain' ? ['text', 'table', 'json'] : ['table', 'json', 'hosts'];
  if (!outputs.includes(output)) throw new ConfigError(`--output: "${output}" must be ${outputs.filter((o) => o !== 'table' || command !== 'explain').join(', ')}${didYouMean(output, outputs)}`);
  const readyFile = raw('ready-file');
  if (readyFile !== undefined) sources.readyFile = typeof values['ready-file'] === 'string' ? '--ready-file' : 'CLUSTER_DNS_READY_FILE';
  const setupFlags = ['os', 'apply', 'undo', 'root'].filter((f) => values[f] !== undefined);
  if (command !== 'setup-resolver' && setupFlags.length > 0) throw new ConfigError(`--${setupFlags[0]} is a setup-resolver flag (cluster-dns setup-resolver --${setupFlags[0]} …)`);
  if (values.apply && values.undo) throw new ConfigError('setup-resolver: --apply and --undo exclude each other');
  const os = values.os as string | undefined;
  if (os !== undefined && !['linux', 'macos', 'windows'].includes(os)) throw new ConfigError(`--os: "${os}" must be linux, macos or windows${didYouMean(os, ['linux', 'macos', 'windows'])}`);
  const root = (values.root as string | undefined) ?? '/';
  const logFormat = raw('log-format');
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new ConfigError(`--log-format: "${logFormat}" must be pretty or json${didYouMean(logFormat, LOG_FORMATS)}`);
  }
  return {
    command,
    options: options as DnsServerOptions,
    upstreamFromSystem: upstreamText === undefined,
    zonesDefaulted,
    output: (output === 'text' ? 'table' : output) as OutputFormat,
    logFormat: logFormat as LogFormat | undefined,
    readyFile,
    args: rest,
    sources,
    setup: { os: os as CommandLine['setup']['os'], action: values.apply ? 'apply' : values.undo ? 'undo' : 'print', root },
  };
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

/** Runs `parse`, relabelling a ConfigError from the option's name to the flag or variable it came from. */
function withLabel<T>(label: string | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError && label) throw new ConfigError(error.message.replace(/^[\w-]+:/, `${label}:`), { cause: error });
    throw error;
  }
}

/**
 * A library ConfigError as the CLI user should read it: `clusterDomain: …` becomes
 * `--cluster-domain: …` (or the variable it came from), so the line names what they typed.
 */
export function describeForCli(error: ConfigError, sources: Readonly<Record<string, string>>): string {
  const option = error.option;
  if (!option) return error.message;
  const flag = Object.entries(FLAGS).find(([, f]) => f.option === option)?.[0];
  const label = sources[option] ?? (flag ? `--${flag}` : option);
  return error.message.startsWith(`${option}:`) ? `${label}:${error.message.slice(option.length + 1)}` : error.message;
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
