/**
 * The built CLI mirroring the fake HTTPS API server (own CA, bearer token), asked with dig: answers
 * after adds and deletes, through a compaction with a delete missed while the watch was down, and
 * through an outage; readiness before and after the first sync; bad kubeconfigs are exit 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dig, execFileAsync, startCli } from '../helpers/cli.js';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { endpointSlice, namespace, service } from '../helpers/kube-objects.js';
import { pollUntil } from '../helpers/poll.js';

const TOKEN = 'e2e-bearer-token-7f3a9c';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function kubeconfigFor(api: FakeKubeApi, dir: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: fake
clusters:
- name: fake
  cluster:
    server: ${api.url}
    certificate-authority-data: ${Buffer.from(api.caCert).toString('base64')}
users:
- name: dns
  user:
    token: ${TOKEN}
contexts:
- name: fake
  context:
    cluster: fake
    user: dns
`,
  );
  return file;
}

async function setup(seed: (api: FakeKubeApi) => void = () => {}) {
  const api = await startFakeKubeApi({ tokens: [TOKEN] });
  cleanup.push(() => api.close());
  api.put('namespaces', namespace('shop'));
  api.put('services', service('shop', 'web', '10.96.0.10'));
  api.put('services', service('shop', 'db', 'None'));
  api.put('endpointslices', endpointSlice('shop', 'db', 'db-x1', ['10.1.0.5']));
  seed(api);
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-e2e-kube-'));
  const zones = join(dir, 'zones');
  (await import('node:fs')).mkdirSync(zones);
  return { api, kubeconfig: kubeconfigFor(api, dir), zones, dir };
}

const httpPort = (stderr: string) => Number(/"http":\{[^}]*"port":(\d+)/.exec(stderr)![1]);
const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/ready`)).status;
const short = (port: number, name: string, type = 'A') => dig(port, '+short', name, type);
const rcode = async (port: number, name: string) => /status: (\w+)/.exec(await dig(port, name))![1];

describe('cluster-dns --kubeconfig against an HTTPS API server', () => {
  it('answers what the cluster has, follows adds and deletes, survives compaction and an outage, and never logs the token', async () => {
    const { api, kubeconfig, zones } = await setup();
    const cli = await startCli(['--kubeconfig', kubeconfig, '--zones', zones, '--upstream', 'none']);
    const { port } = cli;
    await pollUntil(async () => ((await short(port, 'web.shop.svc.cluster.local')) === '10.96.0.10\n' ? true : undefined));
    expect(await short(port, 'db.shop.svc.cluster.local')).toBe('10.1.0.5\n');
    expect(await short(port, '_http._tcp.web.shop.svc.cluster.local', 'SRV')).toBe('0 100 80 web.shop.svc.cluster.local.\n');
    expect(await ready(httpPort(cli.stderr()))).toBe(200);

    // Adds, modifies and deletes arrive through the watch.
    api.put('services', service('shop', 'api', '10.96.0.11'));
    await pollUntil(async () => ((await short(port, 'api.shop.svc.cluster.local')) === '10.96.0.11\n' ? true : undefined));
    api.put('endpointslices', endpointSlice('shop', 'db', 'db-x1', ['10.1.0.5', '10.1.0.6']));
    await pollUntil(async () => ((await short(port, 'db.shop.svc.cluster.local')).split('\n').filter(Boolean).sort().join(',') === '10.1.0.5,10.1.0.6' ? true : undefined));
    api.delete('services', 'shop', 'api');
    await pollUntil(async () => ((await rcode(port, 'api.shop.svc.cluster.local')) === 'NXDOMAIN' ? true : undefined));

    // The services watch goes down; a delete happens and history is compacted meanwhile.
    api.fail(503, Infinity, /\/services$/);
    api.closeWatches();
    await pollUntil(() => (api.requests.some((r) => r.path === '/api/v1/services' && r.status === 503) ? true : undefined));
    api.delete('services', 'shop', 'web');
    api.put('services', service('shop', 'new', '10.96.0.12'));
    api.compact();
    // Still serving the last state, and still ready.
    expect(await short(port, 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    expect(await ready(httpPort(cli.stderr()))).toBe(200);
    api.heal();
    await pollUntil(async () => ((await rcode(port, 'web.shop.svc.cluster.local')) === 'NXDOMAIN' ? true : undefined));
    expect(await short(port, 'new.shop.svc.cluster.local')).toBe('10.96.0.12\n');
    expect(api.requests.some((r) => r.path === '/api/v1/services' && r.watch && r.query.get('resourceVersion') !== null)).toBe(true);

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort(cli.stderr())}/metrics`)).text();
    expect(metrics).toMatch(/cluster_dns_kubernetes_watch_restarts_total\{resource="services"\} [1-9]/);
    // The recovery line is written when the relist succeeds, and the log is asynchronous: wait for it.
    const logLines = () => {
      const text = cli.stderr();
      // Whole lines only: the last one may still be arriving.
      return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string });
    };
    await pollUntil(() => (logLines().some((l) => l.msg === 'kubernetes API reachable again') ? true : undefined));
    const lines = logLines();
    expect(lines.filter((l) => l.msg.startsWith('kubernetes API unreachable')).length).toBe(1);
    expect(lines.filter((l) => l.msg === 'kubernetes API reachable again').length).toBe(1);
    expect(cli.stderr()).not.toContain(TOKEN);
  });

  it('combines with --zones: a file overrides one service of the cluster, the rest comes from the API', async () => {
    const { kubeconfig, zones } = await setup();
    writeFileSync(join(zones, 'override.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.99.0.1 }\n  local-only: { clusterIP: 10.99.0.2 }\n');
    const cli = await startCli(['--kubeconfig', kubeconfig, '--zones', zones, '--upstream', 'none']);
    await pollUntil(async () => ((await short(cli.port, 'db.shop.svc.cluster.local')) === '10.1.0.5\n' ? true : undefined));
    expect(await short(cli.port, 'web.shop.svc.cluster.local')).toBe('10.99.0.1\n');
    expect(await short(cli.port, 'local-only.shop.svc.cluster.local')).toBe('10.99.0.2\n');
  });

  it('check, records and explain list the cluster once with --kubeconfig (a file still wins) and exit', async () => {
    const { api, kubeconfig, zones } = await setup();
    writeFileSync(join(zones, 'override.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.99.0.1 }\n');
    const run = (...args: string[]) => execFileAsync(process.execPath, ['dist/main.js', ...args, '--kubeconfig', kubeconfig, '--zones', zones, '--upstream', 'none']);
    const check = await run('check');
    expect(check.stdout).toBe(
      `kubernetes service/shop/web:1: warning: metadata.name: service "web" in namespace "shop" is shadowed by the files source (${join(zones, 'override.yaml')}:3)\n` +
        '1 file(s) and 4 object(s) from the cluster: 5 namespaces, 2 services, 1 ready endpoint addresses, 0 pods; 0 error(s), 1 warning(s)\n',
    );
    const records = await run('records', '--output', 'hosts');
    expect(records.stdout).toBe(
      '# cluster-dns records --output hosts: cluster names as /etc/hosts lines (a snapshot; rerun after changes)\n' +
        '127.0.0.1\tns.dns.cluster.local\n' +
        '10.1.0.5\tdb-0.db.shop.svc.cluster.local db.shop.svc.cluster.local\n' +
        '10.99.0.1\tweb.shop.svc.cluster.local\n',
    );
    const explain = await run('explain', 'db-0.db.shop');
    expect(explain.stdout).toBe(
      [
        'db-0.db.shop. A: NOERROR',
        '  rule:   short-form: with the search suffix svc.cluster.local it is db-0.db.shop.svc.cluster.local. (a pod in namespace default would try it), answered as a CNAME to that name',
        '  via:    search suffix svc.cluster.local → db-0.db.shop.svc.cluster.local. (endpoint)',
        '  from:   Service shop/db at kubernetes service/shop/db:1 (headless, 1 ready and 0 not-ready endpoint address(es))',
        '  from:   EndpointSlice shop/db at kubernetes endpointslice/shop/db-x1:1 (db-0=10.1.0.5)',
        '  answer:',
        '    db-0.db.shop. 5 IN CNAME db-0.db.shop.svc.cluster.local.',
        '    db-0.db.shop.svc.cluster.local. 5 IN A 10.1.0.5',
        '',
      ].join('\n'),
    );
    // One list of each resource per command; each command exited on its own (execFile resolved).
    const lists = (resource: string) => api.requests.filter((r) => r.resource === resource && !r.watch).length;
    expect([lists('services'), lists('endpointslices'), lists('namespaces')]).toEqual([3, 3, 3]);
  });

  it('is not ready and answers SERVFAIL until the first sync, then ready', async () => {
    const { api, kubeconfig, zones } = await setup((a) => a.fail(500, Infinity, /endpointslices$/));
    const cli = await startCli(['--kubeconfig', kubeconfig, '--zones', zones, '--upstream', 'none']);
    await pollUntil(() => (api.requests.some((r) => r.status === 500) ? true : undefined));
    expect(await ready(httpPort(cli.stderr()))).toBe(503);
    expect(await rcode(cli.port, 'web.shop.svc.cluster.local')).toBe('SERVFAIL');
    api.heal();
    await pollUntil(async () => ((await ready(httpPort(cli.stderr()))) === 200 ? true : undefined));
    expect(await short(cli.port, 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
  });

  it('a kubeconfig that cannot be read or has no current context stops start-up with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-e2e-kc-'));
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--kubeconfig', join(dir, 'missing'), '--upstream', 'none'])).rejects.toMatchObject({
      code: 2,
      stderr: `cluster-dns: kubeconfig ${join(dir, 'missing')}: cannot read: ENOENT\n`,
    });
    const file = join(dir, 'no-context');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--kubeconfig', file, '--upstream', 'none'])).rejects.toMatchObject({
      code: 2,
      stderr: `cluster-dns: kubeconfig ${file}: current-context: not set (choose one with --kube-context)\n`,
    });
  });
});
