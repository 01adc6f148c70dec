/** /ui's view of forwarding and of a live cluster: cache or which upstream answered, upstream health, the Kubernetes source's state and resourceVersions. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns-client.js';
import { startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';
import { namespace, service } from '../helpers/kube-objects.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('/ui with forwarding', () => {
  it('says which upstream answered, then the cache; explain asks the live resolver; upstream health counts replies', async () => {
    const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('example.org', 1, 300, [93, 184, 216, 34])] }));
    const { server, port } = await startServer({ zones: ['zones'], http: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const base = `http://127.0.0.1:${server.httpAddress!.port}`;
    await queryUdp(port, 'example.org', 'A');
    await queryUdp(port, 'example.org', 'A');
    const { queries } = (await (await fetch(`${base}/v1/ui/queries`)).json()) as { queries: Record<string, unknown>[] };
    expect(queries.map((q) => [q.name, q.rcode, q.answeredBy, q.upstream ?? null, q.answer])).toEqual([
      ['example.org.', 'NOERROR', 'cache', null, [expect.stringMatching(/^example\.org\. (300|299) IN A 93\.184\.216\.34$/)]],
      ['example.org.', 'NOERROR', 'upstream', `127.0.0.1:${upstream.port}`, ['example.org. 300 IN A 93.184.216.34']],
    ]);
    const sources = (await (await fetch(`${base}/v1/ui/sources`)).json()) as { upstreams: Record<string, unknown>[] };
    expect(sources.upstreams).toEqual([
      { server: `127.0.0.1:${upstream.port}`, state: 'ok', ok: 1, timeouts: 0, errors: 0, lastTryAt: expect.any(Number), lastOkAt: expect.any(Number), lastRttMs: expect.any(Number) },
    ]);
    const trace = (await (await fetch(`${base}/v1/explain?name=example.org`)).json()) as Record<string, unknown>;
    expect(trace).toMatchObject({ rcode: 'FORWARDED', status: 'NOERROR', candidates: [{ name: 'example.org.', rcode: 'NOERROR', rule: 'forwarded' }] });
    expect(trace.dig).toMatch(/;; ANSWER SECTION:\nexample\.org\.\t\d+\tIN\tA\t93\.184\.216\.34\n/);
  });
});

describe('/ui with a live cluster', () => {
  it('shows the Kubernetes source synced with its last events, and each record with the object resourceVersion', async () => {
    const api = await startFakeKubeApi({ tokens: ['t0ken'] });
    cleanup.push(() => api.close());
    api.put('namespaces', namespace('shop'));
    const version = api.put('services', service('shop', 'web', '10.96.0.10'));
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-ui-kube-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: ${api.url}\n    certificate-authority-data: ${Buffer.from(api.caCert).toString('base64')}\nusers:\n- name: u\n  user:\n    token: t0ken\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n`,
    );
    const { server } = await startServer({ zones: [], http: '127.0.0.1:0', kubernetes: { kubeconfig } });
    cleanup.push(() => server.stop()); // before the fake API closes: it waits for its watchers
    const base = `http://127.0.0.1:${server.httpAddress!.port}`;
    // start() resolves before the first list of the cluster; until it is in, the source says so.
    await pollUntil(() => (server.ready() ? true : undefined));
    const trace = (await (await fetch(`${base}/v1/explain?name=web.shop.svc.cluster.local`)).json()) as { records: unknown[] };
    expect(trace.records).toEqual([
      { record: 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10', source: { kind: 'Service', namespace: 'shop', name: 'web', origin: 'kubernetes service/shop/web:1', resourceVersion: version } },
    ]);
    const before = (await (await fetch(`${base}/v1/ui/sources`)).json()) as { kubernetes: Record<string, unknown> };
    expect(before.kubernetes).toMatchObject({ server: api.url, synced: true, lastRelistAt: expect.any(Number), watchRestarts: 0, failing: [] });
    expect(before.kubernetes.lastEventAt).toBeUndefined();
    api.put('services', service('shop', 'db', '10.96.0.11'));
    const after = await pollUntil(async () => {
      const s = (await (await fetch(`${base}/v1/ui/sources`)).json()) as { kubernetes: { lastEventAt?: number } };
      return s.kubernetes.lastEventAt !== undefined ? s : undefined;
    });
    expect(after.kubernetes.lastEventAt).toEqual(expect.any(Number));
    const secrets = JSON.stringify(after);
    expect(secrets).not.toContain('t0ken');
  });
});
