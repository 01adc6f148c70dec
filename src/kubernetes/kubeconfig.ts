/**
 * kubeconfig files → how to reach and authenticate to one API server. Pure: texts in (already read),
 * a connection description out; errors name the file and the field. Merges several files the way
 * `$KUBECONFIG=a:b` does (the first file to set a name or current-context wins).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { checkProxyUrl } from './proxy-settings.js';
import { isRecord } from '../sources/field-checks.js';
import { parseRegistryText } from '../sources/yaml-documents.js';

/** Bytes inline (`*-data`, base64 in the file) or a path to read (resolved against its kubeconfig's directory). */
export type PemSource = { readonly data: Buffer } | { readonly path: string; readonly field: string };

export interface ExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** `client.authentication.k8s.io/v1` or `…/v1beta1`: the ExecCredential version asked for and expected. */
  readonly apiVersion: string;
  readonly installHint: string | undefined;
  readonly provideClusterInfo: boolean;
  /** Directory relative commands are looked up in (the kubeconfig's), as kubectl does. */
  readonly baseDir: string;
}

/** How requests are authenticated, as the kubeconfig `user` says. Secrets stay inside; never log this. */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'token-file'; readonly path: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'exec'; readonly exec: ExecConfig };

export interface ClusterConnection {
  /** `https://host:port` plus an optional path prefix, without a trailing slash. */
  readonly server: string;
  /** Where this came from, for messages: `kubeconfig ~/.kube/config context "prod"` or `in-cluster`. */
  readonly description: string;
  readonly certificateAuthority: PemSource | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName: string | undefined;
  readonly clientCertificate: PemSource | undefined;
  readonly clientKey: PemSource | undefined;
  readonly credentials: Credentials;
  /** The context's namespace (informational; we watch every namespace unless told otherwise). */
  readonly namespace: string | undefined;
  /** An http:// proxy reached with CONNECT: the cluster's `proxy-url`, else HTTPS_PROXY less NO_PROXY. Never logged (it may hold a password). */
  readonly proxyUrl?: string;
}

export interface KubeconfigFile {
  readonly path: string;
  readonly text: string;
}

interface Named {
  readonly value: Record<string, unknown>;
  readonly file: string;
  readonly field: string;
}

/**
 * Picks `context` (or the files' current-context) and returns its cluster and user.
 * Throws ConfigError `kubeconfig FILE: FIELD: problem` for anything unusable.
 */
export function parseKubeconfig(files: readonly KubeconfigFile[], context?: string): ClusterConnection {
  if (files.length === 0) throw new ConfigError('kubeconfig: no file given');
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let currentContext: { name: string; file: string } | undefined;
  for (const file of files) {
    const parsed = parseRegistryText(file.path, file.text);
    const error = parsed.diagnostics.find((d) => d.severity === 'error');
    if (error) throw new ConfigError(`kubeconfig ${file.path}:${error.line}: ${error.message}`);
    const doc = parsed.documents[0]?.value;
    if (doc === undefined || doc === null) continue; // an empty file contributes nothing, as in kubectl
    if (!isRecord(doc)) throw new ConfigError(`kubeconfig ${file.path}: not a kubeconfig (expected a mapping with clusters, users, contexts)`);
    if (doc.kind !== undefined && doc.kind !== 'Config') throw new ConfigError(`kubeconfig ${file.path}: kind: ${JSON.stringify(doc.kind)} is not Config`);
    collect(file.path, doc, 'clusters', 'cluster', clusters);
    collect(file.path, doc, 'users', 'user', users);
    collect(file.path, doc, 'contexts', 'context', contexts);
    if (!currentContext && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') {
      currentContext = { name: doc['current-context'], file: file.path };
    }
  }
  const where = files.map((f) => f.path).join(':');
  const contextName = context ?? currentContext?.name;
  if (!contextName) throw new ConfigError(`kubeconfig ${where}: current-context: not set (choose one with --kube-context)`);
  const ctx = contexts.get(contextName);
  if (!ctx) {
    const field = context ? '--kube-context' : 'current-context';
    const known = [...contexts.keys()];
    throw new ConfigError(`kubeconfig ${currentContext && !context ? currentContext.file : where}: ${field}: no context named ${JSON.stringify(contextName)}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
  const clusterName = ctx.value.cluster;
  if (typeof clusterName !== 'string' || clusterName === '') throw new ConfigError(`kubeconfig ${ctx.file}: ${ctx.field}.cluster: not set`);
  const cluster = clusters.get(clusterName);
  if (!cluster) throw new ConfigError(`kubeconfig ${ctx.file}: ${ctx.field}.cluster: no cluster named ${JSON.stringify(clusterName)}`);
  const userName = ctx.value.user;
  let user: Named | undefined;
  if (userName !== undefined && userName !== '') {
    if (typeof userName !== 'string') throw new ConfigError(`kubeconfig ${ctx.file}: ${ctx.field}.user: must be a string`);
    user = users.get(userName);
    if (!user) throw new ConfigError(`kubeconfig ${ctx.file}: ${ctx.field}.user: no user named ${JSON.stringify(userName)}`);
  }
  const c = cluster.value;
  const at = (field: string) => `kubeconfig ${cluster.file}: ${cluster.field}.${field}`;
  const server = c.server;
  if (typeof server !== 'string' || server === '') throw new ConfigError(`${at('server')}: not set`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`${at('server')}: ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${at('server')}: ${JSON.stringify(server)} is not an http(s) URL`);
  const proxyUrl = c['proxy-url'] === undefined || c['proxy-url'] === '' ? undefined : checkProxyUrl(String(c['proxy-url']), at('proxy-url'));
  const baseDir = dirname(cluster.file);
  const userBaseDir = user ? dirname(user.file) : baseDir;
  return {
    server: server.replace(/\/+$/, ''),
    description: `kubeconfig ${ctx.file} context ${JSON.stringify(contextName)}`,
    certificateAuthority: pem(c, 'certificate-authority', baseDir, at),
    insecureSkipTlsVerify: flag(c['insecure-skip-tls-verify'], at('insecure-skip-tls-verify')),
    tlsServerName: optionalString(c['tls-server-name'], at('tls-server-name')),
    clientCertificate: user ? pem(user.value, 'client-certificate', userBaseDir, (f) => `kubeconfig ${user.file}: ${user.field}.${f}`) : undefined,
    clientKey: user ? pem(user.value, 'client-key', userBaseDir, (f) => `kubeconfig ${user.file}: ${user.field}.${f}`) : undefined,
    credentials: user ? credentialsOf(user, userBaseDir) : { kind: 'none' },
    namespace: optionalString(ctx.value.namespace, `kubeconfig ${ctx.file}: ${ctx.field}.namespace`),
    ...(proxyUrl ? { proxyUrl } : {}),
  };
}

/** Reads `clusters: [{name, cluster: {...}}]` (and users, contexts) into a map; the first name wins. */
function collect(file: string, doc: Record<string, unknown>, list: string, inner: string, into: Map<string, Named>): void {
  const entries = doc[list];
  if (entries === undefined || entries === null) return;
  if (!Array.isArray(entries)) throw new ConfigError(`kubeconfig ${file}: ${list}: must be a list`);
  entries.forEach((entry, i) => {
    const field = `${list}[${i}]`;
    if (!isRecord(entry)) throw new ConfigError(`kubeconfig ${file}: ${field}: must be a mapping with name and ${inner}`);
    if (typeof entry.name !== 'string' || entry.name === '') throw new ConfigError(`kubeconfig ${file}: ${field}.name: not set`);
    const value = entry[inner] ?? {};
    if (!isRecord(value)) throw new ConfigError(`kubeconfig ${file}: ${field}.${inner}: must be a mapping`);
    if (!into.has(entry.name)) into.set(entry.name, { value, file, field: `${field}.${inner}` });
  });
}

function credentialsOf(user: Named, baseDir: string): Credentials {
  const u = user.value;
  const at = (field: string) => `kubeconfig ${user.file}: ${user.field}.${field}`;
  if (u['auth-provider'] !== undefined) throw new ConfigError(`${at('auth-provider')}: auth providers are not supported (use an exec credential plugin, as kubectl now does)`);
  if (u.exec !== undefined && u.exec !== null) return { kind: 'exec', exec: execOf(u.exec, baseDir, at) };
  const token = optionalString(u.token, at('token'));
  if (token) return { kind: 'token', token };
  const tokenFile = optionalString(u.tokenFile, at('tokenFile'));
  if (tokenFile) return { kind: 'token-file', path: resolvePath(tokenFile, baseDir) };
  const username = optionalString(u.username, at('username'));
  if (username) return { kind: 'basic', username, password: optionalString(u.password, at('password')) ?? '' };
  return { kind: 'none' };
}

const EXEC_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

function execOf(raw: unknown, baseDir: string, at: (f: string) => string): ExecConfig {
  if (!isRecord(raw)) throw new ConfigError(`${at('exec')}: must be a mapping`);
  const command = optionalString(raw.command, at('exec.command'));
  if (!command) throw new ConfigError(`${at('exec.command')}: not set`);
  const apiVersion = optionalString(raw.apiVersion, at('exec.apiVersion'));
  if (!apiVersion) throw new ConfigError(`${at('exec.apiVersion')}: not set (${EXEC_VERSIONS.join(' or ')})`);
  if (!EXEC_VERSIONS.includes(apiVersion)) throw new ConfigError(`${at('exec.apiVersion')}: ${JSON.stringify(apiVersion)} is not supported (${EXEC_VERSIONS.join(' or ')})`);
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new ConfigError(`${at('exec.args')}: must be a list of strings`);
  const envRaw = raw.env ?? [];
  if (!Array.isArray(envRaw)) throw new ConfigError(`${at('exec.env')}: must be a list of {name, value}`);
  const env = envRaw.map((e, i) => {
    if (!isRecord(e) || typeof e.name !== 'string' || typeof e.value !== 'string') throw new ConfigError(`${at(`exec.env[${i}]`)}: must be {name, value} strings`);
    return { name: e.name, value: e.value };
  });
  return {
    command,
    args: args as string[],
    env,
    apiVersion,
    installHint: optionalString(raw.installHint, at('exec.installHint')),
    provideClusterInfo: flag(raw.provideClusterInfo, at('exec.provideClusterInfo')),
    baseDir,
  };
}

/** `NAME-data` (base64) wins over `NAME` (a path), as in client-go. */
function pem(obj: Record<string, unknown>, name: string, baseDir: string, at: (f: string) => string): PemSource | undefined {
  const data = obj[`${name}-data`];
  if (data !== undefined && data !== null && data !== '') {
    if (typeof data !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(data)) throw new ConfigError(`${at(`${name}-data`)}: not base64`);
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length === 0) throw new ConfigError(`${at(`${name}-data`)}: empty after base64 decoding`);
    return { data: bytes };
  }
  const path = optionalString(obj[name], at(name));
  return path ? { path: resolvePath(path, baseDir), field: at(name) } : undefined;
}

/** Relative paths in a kubeconfig are relative to that file's directory (client-go ResolvePaths). */
function resolvePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function optionalString(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${at}: must be a string`);
  return value;
}

function flag(value: unknown, at: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ConfigError(`${at}: must be true or false`);
  return value;
}
