/** kubeconfig parsing: one row per auth form and context rule, and every error naming file and field. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { parseKubeconfig, type ClusterConnection } from '../../../src/kubernetes/kubeconfig.js';
import { checkLabelSelector, resolveKubernetesOptions } from '../../../src/kubernetes/kubernetes-options.js';

const FILE = '/home/me/.kube/config';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

/** A kubeconfig with one cluster, one context and the given user fields. */
function config(user: string, cluster = `    server: https://127.0.0.1:6443\n    certificate-authority-data: ${CA.toString('base64')}`, extra = ''): string {
  return `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
${cluster}
users:
- name: dev-user
  user:
${user || '    {}'}
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: dev-user
    namespace: shop
${extra}`;
}

const parse = (text: string, context?: string) => parseKubeconfig([{ path: FILE, text }], context);

describe('kubeconfig: authentication forms', () => {
  const rows: { name: string; user: string; expect: Partial<ClusterConnection> }[] = [
    { name: 'bearer token', user: '    token: abc.def', expect: { credentials: { kind: 'token', token: 'abc.def' } } },
    { name: 'token file, relative to the kubeconfig', user: '    tokenFile: tokens/dev', expect: { credentials: { kind: 'token-file', path: '/home/me/.kube/tokens/dev' } } },
    { name: 'token file, absolute', user: '    tokenFile: /var/run/token', expect: { credentials: { kind: 'token-file', path: '/var/run/token' } } },
    {
      name: 'client certificate and key inline',
      user: `    client-certificate-data: ${Buffer.from('CERT').toString('base64')}\n    client-key-data: ${Buffer.from('KEY').toString('base64')}`,
      expect: { clientCertificate: { data: Buffer.from('CERT') }, clientKey: { data: Buffer.from('KEY') }, credentials: { kind: 'none' } },
    },
    {
      name: 'client certificate and key as paths',
      user: '    client-certificate: certs/me.crt\n    client-key: /abs/me.key',
      expect: {
        clientCertificate: { path: '/home/me/.kube/certs/me.crt', field: `kubeconfig ${FILE}: users[0].user.client-certificate` },
        clientKey: { path: '/abs/me.key', field: `kubeconfig ${FILE}: users[0].user.client-key` },
      },
    },
    { name: 'basic auth', user: '    username: admin\n    password: pw', expect: { credentials: { kind: 'basic', username: 'admin', password: 'pw' } } },
    { name: 'no user fields', user: '', expect: { credentials: { kind: 'none' } } },
    {
      name: 'exec plugin (v1)',
      user: '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./bin/get-token\n      args: [--cluster, dev]\n      env:\n      - name: AWS_PROFILE\n        value: dev\n      interactiveMode: Never\n      provideClusterInfo: true',
      expect: {
        credentials: {
          kind: 'exec',
          exec: { command: './bin/get-token', args: ['--cluster', 'dev'], env: [{ name: 'AWS_PROFILE', value: 'dev' }], apiVersion: 'client.authentication.k8s.io/v1', installHint: undefined, provideClusterInfo: true, baseDir: '/home/me/.kube' },
        },
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const c = parse(config(row.user));
      expect(c).toMatchObject({ server: 'https://127.0.0.1:6443', certificateAuthority: { data: CA }, insecureSkipTlsVerify: false, namespace: 'shop', ...row.expect });
      expect(c.credentials).toEqual(row.expect.credentials ?? c.credentials);
    });
  }

  it('reads cluster TLS fields: CA path, insecure-skip-tls-verify, tls-server-name; a trailing slash is dropped', () => {
    const c = parse(config('    token: t', '    server: https://k8s.example.org:443/prefix/\n    certificate-authority: ca.pem\n    insecure-skip-tls-verify: true\n    tls-server-name: api.internal'));
    expect(c).toMatchObject({
      server: 'https://k8s.example.org:443/prefix',
      certificateAuthority: { path: '/home/me/.kube/ca.pem' },
      insecureSkipTlsVerify: true,
      tlsServerName: 'api.internal',
    });
  });

  it('reads a kubeconfig written as JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: 'https://10.0.0.1' } }],
      users: [{ name: 'u', user: { token: 'tok' } }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    });
    expect(parse(json)).toMatchObject({ server: 'https://10.0.0.1', credentials: { kind: 'token', token: 'tok' } });
  });
});

describe('kubeconfig: contexts and merging', () => {
  const two = `${config('    token: dev-token')}- name: prod
  context:
    cluster: prod-cluster
    user: prod-user
`.replace('clusters:\n', 'clusters:\n- name: prod-cluster\n  cluster:\n    server: https://prod:6443\n').replace('users:\n', 'users:\n- name: prod-user\n  user:\n    token: prod-token\n');

  it('uses current-context unless a context is named', () => {
    expect(parse(two).credentials).toEqual({ kind: 'token', token: 'dev-token' });
    const prod = parse(two, 'prod');
    expect(prod).toMatchObject({ server: 'https://prod:6443', credentials: { kind: 'token', token: 'prod-token' }, description: `kubeconfig ${FILE} context "prod"` });
  });

  it('merges several files as $KUBECONFIG does: the first to set a name or current-context wins', () => {
    const first = 'current-context: b\ncontexts:\n- name: b\n  context: { cluster: k2, user: u }\n';
    const second = `${config('    token: second')}clusters2: {}\n`.replace('current-context: dev', 'current-context: dev') + '';
    const merged = parseKubeconfig([
      { path: '/a/config', text: first },
      { path: '/b/config', text: `${second}`.replace('clusters:\n', 'clusters:\n- name: k2\n  cluster:\n    server: https://merged:6443\n    certificate-authority: ca.crt\n').replace('users:\n', 'users:\n- name: u\n  user:\n    tokenFile: tok\n') },
    ]);
    // Paths resolve against the file that defined them.
    expect(merged).toMatchObject({ server: 'https://merged:6443', certificateAuthority: { path: '/b/ca.crt' }, credentials: { kind: 'token-file', path: '/b/tok' } });
  });
});

describe('kubeconfig: errors name the file and the field', () => {
  const rows: { name: string; text: string; context?: string; message: string }[] = [
    { name: 'no current context', text: config('    token: t').replace('current-context: dev\n', ''), message: `kubeconfig ${FILE}: current-context: not set (choose one with --kube-context)` },
    { name: 'current context missing', text: config('    token: t').replace('current-context: dev', 'current-context: nope'), message: `kubeconfig ${FILE}: current-context: no context named "nope" (known: dev)` },
    { name: 'named context missing', text: config('    token: t'), context: 'prod', message: `kubeconfig ${FILE}: --kube-context: no context named "prod" (known: dev)` },
    { name: 'context without cluster', text: config('    token: t').replace('    cluster: dev-cluster\n', ''), message: `kubeconfig ${FILE}: contexts[0].context.cluster: not set` },
    { name: 'unknown cluster', text: config('    token: t').replace('    cluster: dev-cluster', '    cluster: gone'), message: `kubeconfig ${FILE}: contexts[0].context.cluster: no cluster named "gone"` },
    { name: 'unknown user', text: config('    token: t').replace('    user: dev-user', '    user: ghost'), message: `kubeconfig ${FILE}: contexts[0].context.user: no user named "ghost"` },
    { name: 'no server', text: config('    token: t', '    insecure-skip-tls-verify: true'), message: `kubeconfig ${FILE}: clusters[0].cluster.server: not set` },
    { name: 'server not a URL', text: config('    token: t', '    server: "::nope"'), message: `kubeconfig ${FILE}: clusters[0].cluster.server: "::nope" is not a URL` },
    { name: 'bad CA data', text: config('    token: t', '    server: https://x\n    certificate-authority-data: "***"'), message: `kubeconfig ${FILE}: clusters[0].cluster.certificate-authority-data: not base64` },
    { name: 'skip-verify not a boolean', text: config('    token: t', '    server: https://x\n    insecure-skip-tls-verify: "yes"'), message: `kubeconfig ${FILE}: clusters[0].cluster.insecure-skip-tls-verify: must be true or false` },
    { name: 'exec without apiVersion', text: config('    exec:\n      command: aws'), message: `kubeconfig ${FILE}: users[0].user.exec.apiVersion: not set (client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)` },
    { name: 'exec alpha version', text: config('    exec:\n      command: aws\n      apiVersion: client.authentication.k8s.io/v1alpha1'), message: `kubeconfig ${FILE}: users[0].user.exec.apiVersion: "client.authentication.k8s.io/v1alpha1" is not supported (client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)` },
    { name: 'auth-provider', text: config('    auth-provider:\n      name: gcp'), message: `kubeconfig ${FILE}: users[0].user.auth-provider: auth providers are not supported (use an exec credential plugin, as kubectl now does)` },
    { name: 'not a mapping', text: '- a\n- b\n', message: `kubeconfig ${FILE}: not a kubeconfig (expected a mapping with clusters, users, contexts)` },
    { name: 'wrong kind', text: 'kind: Pod\n', message: `kubeconfig ${FILE}: kind: "Pod" is not Config` },
    { name: 'clusters not a list', text: 'clusters: {}\n', message: `kubeconfig ${FILE}: clusters: must be a list` },
    { name: 'entry without name', text: 'contexts:\n- context: {}\n', message: `kubeconfig ${FILE}: contexts[0].name: not set` },
    { name: 'YAML syntax', text: 'clusters: [\n', message: `kubeconfig ${FILE}:1:` },
    { name: 'empty file', text: '', message: `kubeconfig ${FILE}: current-context: not set (choose one with --kube-context)` },
  ];
  for (const row of rows) {
    it(row.name, () => {
      let caught: unknown;
      try {
        parse(row.text, row.context);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe('CONFIG_INVALID');
      expect((caught as Error).message.startsWith(row.message)).toBe(true);
    });
  }
});

describe('kubernetes options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-kubeopts-'));

  it('reads in-cluster settings from the environment and the service-account directory', () => {
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'ca.crt'), CA);
    writeFileSync(join(dir, 'namespace'), 'kube-system\n');
    const r = resolveKubernetesOptions({ mode: 'in-cluster', serviceAccountDir: dir }, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
    expect(r.connection).toMatchObject({ server: 'https://[fd00::1]:443', credentials: { kind: 'token-file', path: join(dir, 'token') }, certificateAuthority: { path: join(dir, 'ca.crt') }, namespace: 'kube-system' });
    expect(() => resolveKubernetesOptions({ mode: 'in-cluster', serviceAccountDir: dir }, {})).toThrow('kubernetes in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  });

  it('auto: in-cluster where it exists, else $KUBECONFIG (missing files skipped), else an error', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(resolveKubernetesOptions({ mode: 'auto', serviceAccountDir: dir }, env).connection.server).toBe('https://10.96.0.1:443');
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, config('    token: t'));
    const viaEnv = resolveKubernetesOptions({ mode: 'auto', serviceAccountDir: join(dir, 'none') }, { KUBECONFIG: `${join(dir, 'missing')}:${kc}` });
    expect(viaEnv.connection.server).toBe('https://127.0.0.1:6443');
    expect(() => resolveKubernetesOptions({ mode: 'auto', serviceAccountDir: join(dir, 'none') }, { KUBECONFIG: join(dir, 'missing') })).toThrow(/^kubernetes auto: no in-cluster service account/);
  });

  it('an unreadable kubeconfig names the file', () => {
    expect(() => resolveKubernetesOptions({ kubeconfig: join(dir, 'nope.yaml') })).toThrow(`kubeconfig ${join(dir, 'nope.yaml')}: cannot read: ENOENT`);
  });

  it('validates namespaces and label selectors', () => {
    writeFileSync(join(dir, 'ok'), config('    token: t'));
    expect(resolveKubernetesOptions({ kubeconfig: join(dir, 'ok'), namespaces: ['Shop', 'shop', 'db'], labels: 'app in (web, api),tier!=cache,!legacy' })).toMatchObject({
      namespaces: ['shop', 'db'],
      labelSelector: 'app in (web, api),tier!=cache,!legacy',
    });
    expect(() => resolveKubernetesOptions({ kubeconfig: join(dir, 'ok'), namespaces: ['no_underscores'] })).toThrow('namespaces: "no_underscores" is not a namespace name');
    for (const good of ['app=web', 'app==web', 'example.org/tier=front', 'app', 'app notin (a,b)', 'x=']) expect(checkLabelSelector(good)).toBe(good);
    for (const bad of ['app=web,', 'app in (a', '=web', 'app=we b', 'a b c']) expect(() => checkLabelSelector(bad)).toThrow(/^labels: /);
  });
});
