// The one-shot commands' registry with --kubeconfig: files first, then one list of the cluster
// through the real source over HTTPS; a cluster that never lists completely is a clear error, not a hang.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readCommandRegistry } from '../../src/commands/command-registry.js';
import { resolveOptions } from '../../src/options.js';
import { formatDiagnostic } from '../../src/registry/diagnostics.js';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { namespace, service } from '../helpers/kube-objects.js';

const TOKEN = 'command-registry-token-1c9e';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function cluster(): Promise<{ api: FakeKubeApi; kubeconfig: string; dir: string }> {
  const api = await startFakeKubeApi({ tokens: [TOKEN] });
  cleanup.push(() => api.close());
  api.put('namespaces', namespace('shop'));
  api.put('services', service('shop', 'web', '10.96.0.10'));
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-command-registry-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: ${api.url}\n    certificate-authority-data: ${Buffer.from(api.caCert).toString('base64')}\nusers:\n- name: u\n  user:\n    token: ${TOKEN}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n`,
  );
  return { api, kubeconfig, dir };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('readCommandRegistry', () => {
  it('builds from the files and one list of the cluster, files first, and names the cluster objects it leaves out', async () => {
    const { api, kubeconfig, dir } = await cluster();
    const zones = join(dir, 'zones.yaml');
    writeFileSync(zones, 'namespace: shop\nservices:\n  local: { clusterIP: 10.99.0.2 }\n');
    api.put('services', service('shop', 'broken', '10.96.0.300'));
    const err = collect();
    const built = (await readCommandRegistry(resolveOptions({ zones: [zones], kubernetes: { kubeconfig }, http: 'off', upstream: 'none' }), err.stream, 60_000))!;
    // The object that does not convert is left out and named, as the server logs it.
    expect(built.sourceDiagnostics.map(formatDiagnostic)).toEqual(['kubernetes service/shop/broken:1: spec.clusterIPs[0]: "10.96.0.300" is not an IP address']);
    expect(built.clusterObjects).toBe(2);
    expect(built.registry.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['shop/local', 'shop/web']);
    expect(built.registry.names.get('web.shop.svc.cluster.local')?.a.map((r) => r.address)).toEqual(['10.96.0.10']);
    expect(err.text()).toBe('');
  });

  it('gives up with one line naming the API server when no complete list comes in time', async () => {
    const { api, kubeconfig } = await cluster();
    api.fail(500, Infinity, /services$/);
    const err = collect();
    await expect(readCommandRegistry(resolveOptions({ zones: [], kubernetes: { kubeconfig }, http: 'off', upstream: 'none' }), err.stream, 500)).resolves.toBeUndefined();
    expect(err.text()).toBe(`cluster-dns: the Kubernetes API at ${api.url} gave no complete list within 1 s (see the errors above)\n`);
    expect(api.requests.some((r) => r.resource === 'services' && r.status === 500)).toBe(true);
  });
});
