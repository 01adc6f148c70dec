/** Credentials against the fake API: exec plugins (v1, v1beta1) cached until expiry and re-run on 401; token files re-read as they rotate. */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/kubernetes/api-client.js';
import { createCredentialSource, CredentialError } from '../../src/kubernetes/credentials.js';
import type { ClusterConnection, Credentials } from '../../src/kubernetes/kubeconfig.js';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { manualTimers } from '../helpers/manual-timers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-creds-'));

function connection(api: FakeKubeApi, credentials: Credentials): ClusterConnection {
  return { server: api.url, description: 'test', certificateAuthority: { data: Buffer.from(api.caCert) }, insecureSkipTlsVerify: false, tlsServerName: undefined, clientCertificate: undefined, clientKey: undefined, credentials, namespace: undefined };
}

/** A plugin that prints the token in TOKEN_FILE, counts its runs and keeps the KUBERNETES_EXEC_INFO it got. */
function plugin(name: string, apiVersion: string, expires: string | undefined): { command: string; tokenFile: string; runs: () => number; info: () => unknown } {
  const base = join(dir, name);
  const tokenFile = `${base}.token`;
  const script = `#!/bin/sh
echo run >> "${base}.runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "${base}.info"
printf '{"apiVersion":"${apiVersion}","kind":"ExecCredential","status":{"token":"%s"${expires ? `,"expirationTimestamp":"${expires}"` : ''}}}' "$(cat "${tokenFile}")"
`;
  writeFileSync(`${base}.sh`, script);
  chmodSync(`${base}.sh`, 0o755);
  return {
    command: `${base}.sh`,
    tokenFile,
    runs: () => {
      try {
        return readFileSync(`${base}.runs`, 'utf8').trim().split('\n').length;
      } catch {
        return 0;
      }
    },
    info: () => JSON.parse(readFileSync(`${base}.info`, 'utf8')) as unknown,
  };
}

async function api(tokens: string[]): Promise<FakeKubeApi> {
  const a = await startFakeKubeApi({ tokens, clientCertificates: false });
  cleanup.push(() => a.close());
  return a;
}

const never = new AbortController().signal;

describe('exec credential plugins', () => {
  for (const apiVersion of ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']) {
    it(`${apiVersion}: runs once, caches the token, re-runs after a 401`, async () => {
      const server = await api(['exec-token-1']);
      const p = plugin(apiVersion.split('/')[1]!, apiVersion, '2999-01-01T00:00:00Z');
      writeFileSync(p.tokenFile, 'exec-token-1');
      const conn = connection(server, { kind: 'exec', exec: { command: p.command, args: [], env: [], apiVersion, installHint: undefined, provideClusterInfo: true, baseDir: dir } });
      const timers = manualTimers();
      const client = createApiClient(conn, { credentials: createCredentialSource(conn, { timers }), timers });
      cleanup.push(() => client.close());
      await client.getJson('/api/v1/services', {}, never);
      await client.getJson('/api/v1/services', {}, never);
      expect(p.runs()).toBe(1);
      expect(p.info()).toEqual({ apiVersion, kind: 'ExecCredential', spec: { interactive: false, cluster: { server: server.url, 'insecure-skip-tls-verify': false, 'certificate-authority-data': Buffer.from(server.caCert).toString('base64') } } });
      // The credential is revoked and the plugin now hands out another one.
      server.tokens.clear();
      server.tokens.add('exec-token-2');
      writeFileSync(p.tokenFile, 'exec-token-2');
      await client.getJson('/api/v1/services', {}, never);
      expect(p.runs()).toBe(2);
      expect(server.requests.map((r) => r.status)).toEqual([200, 200, 401, 200]);
    });
  }

  it('runs the plugin again once the credential expires', async () => {
    const server = await api(['t']);
    const p = plugin('expiring', 'client.authentication.k8s.io/v1', '2030-01-01T00:00:00Z');
    writeFileSync(p.tokenFile, 't');
    const conn = connection(server, { kind: 'exec', exec: { command: p.command, args: [], env: [], apiVersion: 'client.authentication.k8s.io/v1', installHint: undefined, provideClusterInfo: false, baseDir: dir } });
    let wall = Date.parse('2029-12-31T23:00:00Z');
    const creds = createCredentialSource(conn, { timers: manualTimers(), wallClock: () => wall });
    await creds.get();
    await creds.get();
    expect(p.runs()).toBe(1);
    wall = Date.parse('2030-01-01T00:00:00Z');
    await creds.get();
    expect(p.runs()).toBe(2);
  });

  it('a missing plugin says so with its install hint; a failing one with its stderr, never its stdout', async () => {
    const server = await api(['t']);
    const exec = (command: string) => ({ kind: 'exec' as const, exec: { command, args: [], env: [{ name: 'SECRET_OUT', value: 'leaked-token-xyz' }], apiVersion: 'client.authentication.k8s.io/v1', installHint: 'install it with: brew install thing', provideClusterInfo: false, baseDir: dir } });
    const missing = createCredentialSource(connection(server, exec(join(dir, 'no-such-plugin'))), { timers: manualTimers() });
    await expect(missing.get()).rejects.toThrow(new CredentialError(`exec credential plugin "${join(dir, 'no-such-plugin')}" not found: install it with: brew install thing`));
    writeFileSync(join(dir, 'fails.sh'), '#!/bin/sh\necho "$SECRET_OUT"\necho "not logged in" >&2\nexit 3\n');
    chmodSync(join(dir, 'fails.sh'), 0o755);
    const failing = createCredentialSource(connection(server, exec(join(dir, 'fails.sh'))), { timers: manualTimers() });
    const error = (await failing.get().then(() => new Error('resolved'), (e: unknown) => e)) as Error;
    expect(error.message).toBe(`exec credential plugin "${join(dir, 'fails.sh')}" failed (exit 3): not logged in`);
    expect(error.message).not.toContain('leaked-token-xyz');
  });
});

describe('token files', () => {
  it('re-reads a rotated token after a minute, or at once after a 401', async () => {
    const server = await api(['first']);
    const file = join(dir, 'sa-token');
    writeFileSync(file, 'first\n');
    const timers = manualTimers();
    const conn = connection(server, { kind: 'token-file', path: file });
    const client = createApiClient(conn, { credentials: createCredentialSource(conn, { timers }), timers });
    cleanup.push(() => client.close());
    await client.getJson('/api/v1/services', {}, never);
    // Rotation: the kubelet writes a new token; the old one still works for a while.
    writeFileSync(file, 'second\n');
    server.tokens.add('second');
    timers.advance(61_000);
    await client.getJson('/api/v1/services', {}, never);
    server.tokens.delete('first');
    await client.getJson('/api/v1/services', {}, never);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    // Rotated and the old one revoked within the minute: the 401 makes us read the file again.
    writeFileSync(file, 'third\n');
    server.tokens.clear();
    server.tokens.add('third');
    await client.getJson('/api/v1/services', {}, never);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200, 200, 401, 200]);
  });
});
