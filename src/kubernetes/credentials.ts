/**
 * What authenticates each API request now: a static token, a token file re-read as it rotates
 * (projected service-account tokens are replaced about hourly), or an exec credential plugin run
 * when needed and cached until its expirationTimestamp. A 401 drops the cache. Never log the result.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import type { ClusterConnection, ExecConfig } from './kubeconfig.js';
import type { Timers } from './timers.js';

export interface AuthMaterial {
  /** The Authorization header value, or undefined. */
  readonly authorization: string | undefined;
  /** Client certificate and key handed out by an exec plugin (they override the kubeconfig's). */
  readonly clientCertificate?: Buffer;
  readonly clientKey?: Buffer;
}

export interface CredentialSource {
  get(): Promise<AuthMaterial>;
  /** The server said 401: forget what is cached, so the next get() re-reads the file or re-runs the plugin. */
  invalidate(): void;
}

/** An authentication problem; its message never carries a secret. */
export class CredentialError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialError';
  }
}

/** client-go re-reads a token file at most once a minute (cachingTokenSource). */
export const TOKEN_FILE_REFRESH_MS = 60_000;
/** A plugin's credential is renewed this long before it expires, so a request never races the expiry. */
const EXPIRY_MARGIN_MS = 10_000;
const EXEC_TIMEOUT_MS = 60_000;

export interface CredentialOptions {
  readonly timers: Timers;
  /** Wall clock for expirationTimestamp. Default Date.now. */
  readonly wallClock?: () => number;
}

export function createCredentialSource(connection: ClusterConnection, options: CredentialOptions): CredentialSource {
  const creds = connection.credentials;
  switch (creds.kind) {
    case 'none':
      return { get: async () => ({ authorization: undefined }), invalidate: () => {} };
    case 'token': {
      const material = { authorization: `Bearer ${creds.token}` };
      return { get: async () => material, invalidate: () => {} };
    }
    case 'basic': {
      const material = { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` };
      return { get: async () => material, invalidate: () => {} };
    }
    case 'token-file':
      return tokenFileSource(creds.path, options.timers);
    case 'exec':
      return execSource(creds.exec, connection, options.wallClock ?? Date.now);
  }
}

function tokenFileSource(path: string, timers: Timers): CredentialSource {
  let cached: { material: AuthMaterial; readAt: number } | undefined;
  let reading: Promise<AuthMaterial> | undefined;
  const read = async (): Promise<AuthMaterial> => {
    try {
      const token = (await readFile(path, 'utf8')).trim();
      if (token === '') throw new CredentialError(`token file ${path} is empty`);
      cached = { material: { authorization: `Bearer ${token}` }, readAt: timers.now() };
      return cached.material;
    } catch (error) {
      // A rotation in progress can leave the file briefly missing: keep the last token meanwhile.
      if (cached) return cached.material;
      if (error instanceof CredentialError) throw error;
      throw new CredentialError(`cannot read token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  };
  return {
    get() {
      if (cached && timers.now() - cached.readAt < TOKEN_FILE_REFRESH_MS) return Promise.resolve(cached.material);
      reading ??= read().finally(() => (reading = undefined));
      return reading;
    },
    invalidate() {
      if (cached) cached = { ...cached, readAt: -Infinity };
    },
  };
}

function execSource(exec: ExecConfig, connection: ClusterConnection, wallClock: () => number): CredentialSource {
  let cached: { material: AuthMaterial; expiresAt: number } | undefined;
  let running: Promise<AuthMaterial> | undefined;
  const run = async (): Promise<AuthMaterial> => {
    const result = await runExecPlugin(exec, connection);
    cached = { material: result.material, expiresAt: result.expiresAt ?? Infinity };
    return result.material;
  };
  return {
    get() {
      if (cached && wallClock() < cached.expiresAt - EXPIRY_MARGIN_MS) return Promise.resolve(cached.material);
      running ??= run().finally(() => (running = undefined));
      return running;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** Runs the plugin as kubectl does (KUBERNETES_EXEC_INFO in its environment, never interactive) and reads its ExecCredential. */
export async function runExecPlugin(exec: ExecConfig, connection: ClusterConnection): Promise<{ material: AuthMaterial; expiresAt: number | undefined }> {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    const ca = connection.certificateAuthority;
    spec.cluster = {
      server: connection.server,
      ...(connection.tlsServerName ? { 'tls-server-name': connection.tlsServerName } : {}),
      'insecure-skip-tls-verify': connection.insecureSkipTlsVerify,
      ...(ca && 'data' in ca ? { 'certificate-authority-data': ca.data.toString('base64') } : {}),
    };
  }
  const info = JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec });
  // A command with a path separator is relative to the kubeconfig's directory (client-go ResolvePaths).
  const command = exec.command.includes(sep) && !isAbsolute(exec.command) ? resolve(exec.baseDir, exec.command) : exec.command;
  const env = { ...process.env, ...Object.fromEntries(exec.env.map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: info };
  const stdout = await new Promise<string>((done, fail) => {
    execFile(command, [...exec.args], { env, timeout: EXEC_TIMEOUT_MS, maxBuffer: 1 << 20, windowsHide: true }, (error, out, errOut) => {
      if (!error) return done(out);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return fail(new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)} not found${exec.installHint ? `: ${exec.installHint.trim()}` : ''}`));
      }
      // The plugin's stderr is its own message to the user (kubectl shows it); stdout may hold secrets.
      const said = String(errOut).trim().split('\n').slice(-3).join(' ').slice(0, 300);
      fail(new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)} failed (${error.killed ? 'timed out' : `exit ${String((error as { code?: unknown }).code ?? '?')}`})${said ? `: ${said}` : ''}`));
    });
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)} did not print an ExecCredential (JSON)`);
  }
  const cred = parsed as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (cred?.kind !== 'ExecCredential') throw new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)}: output kind is not ExecCredential`);
  if (cred.apiVersion !== exec.apiVersion) {
    throw new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)}: output apiVersion ${JSON.stringify(cred.apiVersion)} is not the requested ${exec.apiVersion}`);
  }
  const status = cred.status ?? {};
  const token = typeof status.token === 'string' && status.token !== '' ? status.token : undefined;
  const certData = typeof status.clientCertificateData === 'string' ? status.clientCertificateData : undefined;
  const keyData = typeof status.clientKeyData === 'string' ? status.clientKeyData : undefined;
  if (!token && !(certData && keyData)) {
    throw new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)}: status has neither token nor clientCertificateData and clientKeyData`);
  }
  let expiresAt: number | undefined;
  if (typeof status.expirationTimestamp === 'string') {
    expiresAt = Date.parse(status.expirationTimestamp);
    if (Number.isNaN(expiresAt)) throw new CredentialError(`exec credential plugin ${JSON.stringify(exec.command)}: status.expirationTimestamp is not a timestamp`);
  }
  return {
    material: {
      authorization: token ? `Bearer ${token}` : undefined,
      ...(certData && keyData ? { clientCertificate: Buffer.from(certData), clientKey: Buffer.from(keyData) } : {}),
    },
    expiresAt,
  };
}
