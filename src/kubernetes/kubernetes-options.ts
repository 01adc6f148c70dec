/**
 * The `kubernetes` server option: which API server to mirror and how to find it (a kubeconfig,
 * in-cluster service account, or auto), plus --namespaces and --labels. Validated at start-up into
 * a ClusterConnection, so a bad kubeconfig is one ConfigError naming the file and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { checkProxyUrl, proxyFromEnvironment } from './proxy-settings.js';
import { parseKubeconfig, type ClusterConnection, type KubeconfigFile } from './kubeconfig.js';

/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesOptions {
  /**
   * How to find the API server. `kubeconfig` (the default when `kubeconfig` is set) reads that file;
   * `in-cluster` uses the pod's service account and KUBERNETES_SERVICE_HOST/PORT; `auto` is
   * in-cluster where that exists, else $KUBECONFIG or ~/.kube/config.
   */
  readonly mode?: 'kubeconfig' | 'in-cluster' | 'auto';
  /** A kubeconfig path (or several joined with the path delimiter, as $KUBECONFIG). */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current-context. */
  readonly context?: string;
  /** Mirror only these namespaces. Default: all. */
  readonly namespaces?: readonly string[];
  /** A label selector (`app=web,tier!=cache`) sent to the API; only matching objects are answered. */
  readonly labels?: string;
  /** Service-account directory for in-cluster mode. Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  readonly serviceAccountDir?: string;
}

export interface ResolvedKubernetesOptions {
  readonly connection: ClusterConnection;
  readonly namespaces: readonly string[] | undefined;
  readonly labelSelector: string | undefined;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Validates the option and reads the kubeconfig or service account; throws ConfigError. */
export function resolveKubernetesOptions(options: KubernetesOptions, env: NodeJS.ProcessEnv = process.env): ResolvedKubernetesOptions {
  const namespaces = options.namespaces && options.namespaces.length > 0 ? [...new Set(options.namespaces.map((n) => n.trim().toLowerCase()))] : undefined;
  for (const ns of namespaces ?? []) {
    if (!DNS_LABEL.test(ns)) throw new ConfigError(`namespaces: "${ns}" is not a namespace name (RFC 1123 label)`);
  }
  const labelSelector = options.labels?.trim() ? checkLabelSelector(options.labels.trim()) : undefined;
  const connection = resolveConnection(options, env);
  // As client-go: without a proxy-url, HTTPS_PROXY/HTTP_PROXY less NO_PROXY (loopback never).
  const proxyUrl = connection.proxyUrl ?? proxyFromEnvironment(connection.server, env);
  if (proxyUrl !== undefined) checkProxyUrl(proxyUrl, connection.proxyUrl ? 'proxy-url' : 'HTTPS_PROXY');
  return { connection: proxyUrl ? { ...connection, proxyUrl } : connection, namespaces, labelSelector };
}

function resolveConnection(options: KubernetesOptions, env: NodeJS.ProcessEnv): ClusterConnection {
  const mode = options.mode ?? 'kubeconfig';
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (mode === 'in-cluster') {
    if (options.kubeconfig) throw new ConfigError('kubernetes: in-cluster and --kubeconfig exclude each other');
    return inClusterConnection(env, saDir);
  }
  if (mode === 'auto') {
    if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(saDir, 'token'))) return inClusterConnection(env, saDir);
    const paths = options.kubeconfig ?? (env.KUBECONFIG || join(homedir(), '.kube', 'config'));
    // As kubectl: files of $KUBECONFIG that do not exist are skipped.
    const existing = paths.split(delimiter).filter((p) => p !== '' && existsSync(p));
    if (existing.length === 0) throw new ConfigError(`kubernetes auto: no in-cluster service account (${saDir}) and no kubeconfig (${paths})`);
    return parseKubeconfig(readKubeconfigs(existing), options.context);
  }
  if (mode !== 'kubeconfig') throw new ConfigError(`kubernetes: "${String(mode)}" must be in-cluster, auto or off`);
  if (!options.kubeconfig) throw new ConfigError('kubeconfig: no path given');
  return parseKubeconfig(readKubeconfigs(options.kubeconfig.split(delimiter).filter((p) => p !== '')), options.context);
}

function readKubeconfigs(paths: readonly string[]): KubeconfigFile[] {
  return paths.map((path) => {
    try {
      return { path, text: readFileSync(path, 'utf8') };
    } catch (error) {
      throw new ConfigError(`kubeconfig ${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  });
}

/** client-go's InClusterConfig: the service host and port from the environment, the token file re-read as it rotates. */
function inClusterConnection(env: NodeJS.ProcessEnv, saDir: string): ClusterConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new ConfigError('kubernetes in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)');
  const tokenPath = join(saDir, 'token');
  if (!existsSync(tokenPath)) throw new ConfigError(`kubernetes in-cluster: no service-account token at ${tokenPath} (automountServiceAccountToken off?)`);
  const caPath = join(saDir, 'ca.crt');
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(saDir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    description: `in-cluster service account ${saDir}`,
    certificateAuthority: existsSync(caPath) ? { path: caPath, field: `kubernetes in-cluster ${caPath}` } : undefined,
    insecureSkipTlsVerify: false,
    tlsServerName: undefined,
    clientCertificate: undefined,
    clientKey: undefined,
    credentials: { kind: 'token-file', path: tokenPath },
    namespace,
  };
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Checks selector syntax (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`, joined by
 * commas) so a typo is a start-up error, not an API 400 retried forever.
 */
export function checkLabelSelector(selector: string): string {
  const bad = (why: string) => new ConfigError(`labels: "${selector}" is not a label selector: ${why}`);
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw bad('unbalanced ")"');
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw bad('unbalanced "("');
  parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') throw bad('an empty requirement');
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(part))) {
      if (!LABEL_KEY.test(m[1]!)) throw bad(`"${m[1]}" is not a label key`);
      if (!LABEL_VALUE.test(m[3]!) || m[3]!.length > 63) throw bad(`"${m[3]}" is not a label value`);
    } else if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      if (!LABEL_KEY.test(m[1]!)) throw bad(`"${m[1]}" is not a label key`);
      for (const v of m[3]!.split(',').map((s) => s.trim())) if (!LABEL_VALUE.test(v) || v.length > 63) throw bad(`"${v}" is not a label value`);
    } else if ((m = /^!?\s*(\S+)$/.exec(part))) {
      if (!LABEL_KEY.test(m[1]!)) throw bad(`"${m[1]}" is not a label key`);
    } else throw bad(`cannot read "${part}"`);
  }
  return selector;
}
