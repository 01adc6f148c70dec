/**
 * The Kubernetes source against the in-process fake API over HTTPS: initial sync, each watch event,
 * resume from bookmarks, relist after 410 (both forms) with the missed delete, backoff counted with
 * manual timers, half-open watches, auth (token, client certificate, 401/403), namespaces, labels.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubernetesSource } from '../../src/kubernetes/kubernetes-source.js';
import type { ClusterConnection, Credentials } from '../../src/kubernetes/kubeconfig.js';
import type { RegistrySource } from '../../src/registry/registry-source.js';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from '../helpers/fake-kube-api.js';
import { endpointSlice, namespace, pod, service } from '../helpers/kube-objects.js';
import { manualTimers, type ManualTimers } from '../helpers/manual-timers.js';
import { pollUntil } from '../helpers/poll.js';
import { recordingSink, type RecordingSink } from '../helpers/recording-sink.js';
import { testPki } from '../helpers/test-pki.js';

const TOKEN = 'sekrit-token-0123456789';
/** Backoff timers are at most 30 s; request timeouts (60 s) and watch deadlines (330 s and more) are longer. */
const BACKOFF_MAX = 30_000;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      raw += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines, raw: () => raw };
}

function connectionTo(api: FakeKubeApi, credentials: Credentials = { kind: 'token', token: TOKEN }, extra: Partial<ClusterConnection> = {}): ClusterConnection {
  return {
    server: api.url,
    description: 'test',
    certificateAuthority: { data: Buffer.from(api.caCert) },
    insecureSkipTlsVerify: false,
    tlsServerName: undefined,
    clientCertificate: undefined,
    clientKey: undefined,
    credentials,
    namespace: undefined,
    ...extra,
  };
}

interface Harness {
  api: FakeKubeApi;
  sink: RecordingSink;
  timers: ManualTimers;
  log: ReturnType<typeof captureLog>;
  source: RegistrySource;
  restarts: string[];
}

async function harness(
  opts: { api?: FakeKubeApiOptions; namespaces?: string[]; labels?: string; pods?: boolean; credentials?: Credentials; connection?: Partial<ClusterConnection>; seed?: (api: FakeKubeApi) => void; pageSize?: number } = {},
): Promise<Harness> {
  const api = await startFakeKubeApi({ tokens: [TOKEN], ...opts.api });
  cleanup.push(() => api.close());
  (opts.seed ?? seedShop)(api);
  const timers = manualTimers();
  const log = captureLog();
  const restarts: string[] = [];
  const source = createKubernetesSource({
    connection: connectionTo(api, opts.credentials, opts.connection),
    namespaces: opts.namespaces,
    labelSelector: opts.labels,
    pods: opts.pods ?? false,
    log: log.logger,
    timers,
    onWatchRestart: (r) => restarts.push(r),
    tuning: { pageSize: opts.pageSize ?? 500 },
  });
  cleanup.push(() => source.stop());
  const sink = recordingSink();
  await source.start(sink);
  return { api, sink, timers, log, source, restarts };
}

function seedShop(api: FakeKubeApi): void {
  api.put('namespaces', namespace('shop'));
  api.put('namespaces', namespace('other'));
  api.put('services', service('shop', 'web', '10.96.0.10'));
  api.put('services', service('other', 'db', '10.96.0.20'));
  api.put('endpointslices', endpointSlice('shop', 'web', 'web-abc', ['10.1.0.1', '10.1.0.2']));
}

const synced = (h: Harness) => pollUntil(() => (h.sink.syncedCount > 0 ? true : undefined));
/** Waits until each resource has an open watch again. */
const watching = (h: Harness, resources = ['namespaces', 'services', 'endpointslices']) =>
  pollUntil(() => (resources.every((r) => h.api.openWatches(r) > 0) ? true : undefined));
/** Waits for a backoff timer (anything shorter than a watch's silence deadline) and fires it. */
async function fireBackoff(h: Harness): Promise<number> {
  await pollUntil(() => (h.timers.pending().some((d) => d <= BACKOFF_MAX) ? true : undefined));
  return h.timers.fireNext(BACKOFF_MAX + 1)!;
}

describe('kubernetes source: sync and events', () => {
  it('lists every resource, reduces objects to the slim model and reports synced once', async () => {
    const h = await harness();
    await synced(h);
    expect([...h.sink.objects.keys()].sort()).toEqual(['endpointslice/shop/web-abc', 'namespace//other', 'namespace//shop', 'service/other/db', 'service/shop/web']);
    const web = h.sink.objects.get('service/shop/web')!;
    expect(web.services).toEqual([
      { namespace: 'shop', name: 'web', kind: 'ClusterIP', clusterIPs: ['10.96.0.10'], externalName: undefined, ports: [{ name: 'http', protocol: 'tcp', port: 80 }], publishNotReadyAddresses: false, origin: expect.anything() },
    ]);
    expect(h.sink.objects.get('endpointslice/shop/web-abc')!.endpointGroups).toEqual([
      {
        namespace: 'shop',
        service: 'web',
        source: 'EndpointSlice',
        ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
        endpoints: [
          { addresses: ['10.1.0.1'], hostname: 'web-0', ready: true },
          { addresses: ['10.1.0.2'], hostname: 'web-1', ready: true },
        ],
        origin: expect.anything(),
      },
    ]);
    expect(h.sink.syncedCount).toBe(1);
    expect(h.sink.calls.at(-1)).toBe('synced');
    await watching(h);
    const lists = h.api.requests.filter((r) => !r.watch && r.resource);
    expect(lists.map((r) => r.path).sort()).toEqual(['/api/v1/namespaces', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices']);
    for (const l of lists) expect(l.query.get('limit')).toBe('500');
    const watches = h.api.requests.filter((r) => r.watch);
    for (const w of watches) {
      expect(w.query.get('allowWatchBookmarks')).toBe('true');
      expect(Number(w.query.get('resourceVersion'))).toBeGreaterThan(100);
      const t = Number(w.query.get('timeoutSeconds'));
      expect(t).toBeGreaterThanOrEqual(300);
      expect(t).toBeLessThan(600);
    }
    expect(h.log.raw()).not.toContain(TOKEN);
  });

  it('pages a large list with limit and continue', async () => {
    const h = await harness({
      pageSize: 3,
      seed: (api) => {
        for (let i = 0; i < 7; i++) api.put('services', service('shop', `s${i}`, `10.96.0.${i + 1}`));
      },
    });
    await synced(h);
    const pages = h.api.requests.filter((r) => r.path === '/api/v1/services' && !r.watch);
    expect(pages.map((p) => [p.query.get('limit'), p.query.has('continue')])).toEqual([
      ['3', false],
      ['3', true],
      ['3', true],
    ]);
    expect([...h.sink.objects.keys()].filter((k) => k.startsWith('service/')).length).toBe(7);
  });

  it('applies ADDED, MODIFIED and DELETED, and resumes from the version of the last BOOKMARK', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    h.api.put('services', service('shop', 'api', '10.96.0.11'));
    await pollUntil(() => h.sink.objects.get('service/shop/api'));
    h.api.put('services', service('shop', 'api', '10.96.0.12'));
    await pollUntil(() => (h.sink.objects.get('service/shop/api')?.services[0]?.clusterIPs[0] === '10.96.0.12' ? true : undefined));
    h.api.delete('services', 'shop', 'api');
    await pollUntil(() => (h.sink.objects.has('service/shop/api') ? undefined : true));
    expect(h.sink.calls.filter((c) => c.endsWith('service/shop/api'))).toEqual(['upsert service/shop/api', 'upsert service/shop/api', 'remove service/shop/api']);

    // A selector is the cluster's business (its EndpointSlices come from the API), so none is kept.
    h.api.put('services', { ...service('shop', 'sel', '10.96.0.77'), spec: { ...(service('shop', 'sel', '10.96.0.77').spec as object), selector: { app: 'sel' } } });
    await pollUntil(() => h.sink.objects.get('service/shop/sel'));
    expect(h.sink.objects.get('service/shop/sel')!.services[0]).not.toHaveProperty('selector');

    // Other resources move the version on; a bookmark carries it to this watch.
    h.api.put('namespaces', namespace('later'));
    h.api.bookmark();
    const bookmarked = String(h.api.currentVersion());
    await pollUntil(() => h.sink.objects.get('namespace//later'));
    const before = h.api.requests.length;
    h.timers.advance(2000); // the watches lasted a while: a clean end, not a "very short watch"
    h.api.closeWatches();
    await pollUntil(() => (h.api.requests.slice(before).filter((r) => r.watch).length >= 3 ? true : undefined));
    const resumed = h.api.requests.slice(before).filter((r) => r.watch && r.path === '/api/v1/services');
    expect(resumed.map((r) => r.query.get('resourceVersion'))).toEqual([bookmarked]);
    // Resuming is not relisting.
    expect(h.api.requests.slice(before).filter((r) => !r.watch)).toEqual([]);
    expect(h.restarts.sort()).toEqual(['endpointslices', 'namespaces', 'services']);
  });

  for (const goneAs of ['event', 'http'] as const) {
    it(`relists after 410 Gone (${goneAs === 'event' ? 'ERROR event in the stream' : 'HTTP status'}) and removes what was deleted meanwhile`, async () => {
      const h = await harness({ api: { goneAs } });
      await synced(h);
      await watching(h);
      h.api.put('services', service('shop', 'old', '10.96.0.30'));
      await pollUntil(() => h.sink.objects.get('service/shop/old'));
      // The services watch drops and cannot come back; meanwhile one service goes, one comes, history is compacted.
      h.api.fail(500, Infinity, /\/services$/);
      h.timers.advance(2000); // the watches lasted a while: a clean end, not a "very short watch"
    h.api.closeWatches();
      await pollUntil(() => (h.timers.pending().some((d) => d <= BACKOFF_MAX) ? true : undefined));
      h.api.delete('services', 'shop', 'old');
      h.api.put('services', service('shop', 'new', '10.96.0.31'));
      h.api.compact();
      h.api.heal();
      const before = h.api.requests.length;
        await fireBackoff(h);
      await pollUntil(() => (h.sink.objects.has('service/shop/old') ? undefined : true));
      await pollUntil(() => h.sink.objects.get('service/shop/new'));
      const after = await pollUntil(() => {
        const seen = h.api.requests.slice(before).filter((r) => r.path === '/api/v1/services');
        return seen.length >= 3 ? seen : undefined;
      });
      expect(after.map((r) => (r.watch ? `watch ${r.status}` : `list ${r.status}`)).slice(0, 3)).toEqual([`watch ${goneAs === 'http' ? 410 : 200}`, 'list 200', 'watch 200']);
      expect(h.sink.objects.get('service/shop/web')).toBeDefined();
      expect(h.sink.syncedCount).toBe(1);
    });
  }
});

describe('kubernetes source: failures', () => {
  it('backs off with jitter from about 1 s to 30 s during an outage, logs it once, and starts again from 1 s after a healthy minute', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    h.api.fail(500, Infinity, /\/services$/);
    const before = h.api.requests.length;
    h.timers.advance(2000); // the watches lasted a while: a clean end, not a "very short watch"
    h.api.closeWatches();
    // The other two resources resume at once; only services keeps failing and backing off.
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) delays.push(await fireBackoff(h));
    // One request per fired backoff plus the first one that failed.
    await pollUntil(() => (h.api.requests.slice(before).filter((r) => r.path === '/api/v1/services').length === delays.length + 1 ? true : undefined));
    await pollUntil(() => (h.timers.pending().some((d) => d <= BACKOFF_MAX) ? true : undefined));
    const serviceRequests = h.api.requests.slice(before).filter((r) => r.path === '/api/v1/services');
    expect(serviceRequests.length).toBe(delays.length + 1);
    expect(serviceRequests.every((r) => r.status === 500)).toBe(true);
    // random() is 0.5 and jitter 0.25: each step is the doubled base times 1.125, capped at 30 s.
    expect(delays).toEqual([1125, 2250, 4500, 9000, 18000, 30000, 30000, 30000]);
    const outage = h.log.lines.filter((l) => l.msg === 'kubernetes API answered HTTP 500; answering from the last state, retrying');
    expect(outage.length).toBe(1);
    expect(outage[0]).toMatchObject({ resource: 'services', error: 'HTTP 500: injected 500' });
    // The last state keeps serving meanwhile.
    expect(h.sink.objects.get('service/shop/web')).toBeDefined();

    h.api.heal();
    await fireBackoff(h);
    await pollUntil(() => (h.log.lines.some((l) => l.msg === 'kubernetes API reachable again') ? true : undefined));
    await watching(h);
    expect(h.log.lines.filter((l) => l.msg === 'kubernetes API reachable again').length).toBe(1);

    // A healthy minute later the next outage starts from the first step again.
    h.timers.advance(61_000);
    h.api.fail(500, Infinity, /\/services$/);
    h.timers.advance(2000); // the watches lasted a while: a clean end, not a "very short watch"
    h.api.closeWatches();
    const next: number[] = [];
    for (let i = 0; i < 2; i++) next.push(await fireBackoff(h));
    expect(next).toEqual([1125, 2250]);
    expect(h.log.raw()).not.toContain(TOKEN);
  });

  it('retries a refused connection with backoff and resumes from the last version when the server is back', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    await h.api.pause();
    for (let i = 0; i < 3; i++) await fireBackoff(h);
    expect(h.log.lines.filter((l) => String(l.msg).startsWith('kubernetes API unreachable'))).toEqual([expect.objectContaining({ error: expect.stringMatching(/^(ECONNREFUSED|ECONNRESET)/) })]);
    h.api.put('services', service('shop', 'while-down', '10.96.0.50'));
    await h.api.resume();
    while (h.api.openWatches() < 3) {
      if (h.timers.pending().some((d) => d <= BACKOFF_MAX)) h.timers.fireNext(BACKOFF_MAX + 1);
      await new Promise((r) => setTimeout(r, 10));
    }
    await pollUntil(() => h.sink.objects.get('service/shop/while-down'));
    // Resumed from the remembered version: no relist was needed.
    expect(h.api.requests.filter((r) => !r.watch && r.resource).length).toBe(3);
  });

  it('treats a watch that stays silent past its timeout as dead and reconnects', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    h.api.halfOpen(true);
    h.timers.advance(2000); // the watches lasted a while: a clean end, not a "very short watch"
    h.api.closeWatches();
    // Three watches that got their headers and never send a byte.
    await pollUntil(() => (h.api.openWatches('(half-open)') === 3 ? true : undefined));
    const deadlines = h.timers.pending().filter((d) => d >= 300_000);
    expect(deadlines.length).toBe(3);
    for (const d of deadlines) {
      expect(d).toBeGreaterThanOrEqual(330_000);
      expect(d).toBeLessThan(630_000);
    }
    h.api.halfOpen(false);
    h.api.put('services', service('shop', 'after', '10.96.0.40'));
    for (let i = 0; i < 3; i++) h.timers.fireNext();
    await pollUntil(() => (h.api.openWatches('(half-open)') === 0 ? true : undefined));
    expect(h.log.lines.some((l) => typeof l.error === 'string' && /silent for \d+ s/.test(l.error))).toBe(true);
    for (let i = 0; i < 3; i++) await fireBackoff(h);
    await pollUntil(() => h.sink.objects.get('service/shop/after'));
  });

  it('does not report synced until every resource has listed once', async () => {
    const h = await harness({ api: {}, seed: (api) => (seedShop(api), api.fail(503, 2, /endpointslices$/)) });
    await pollUntil(() => (h.sink.objects.has('service/shop/web') ? true : undefined));
    await pollUntil(() => (h.timers.pending().some((d) => d <= BACKOFF_MAX) ? true : undefined));
    expect(h.sink.syncedCount).toBe(0);
    expect(h.log.lines.some((l) => l.msg === 'kubernetes API answered HTTP 503; cluster names get SERVFAIL until the first sync')).toBe(true);
    await fireBackoff(h);
    await fireBackoff(h);
    await synced(h);
    expect(h.sink.syncedCount).toBe(1);
  });

  it('a wrong token is 401, retried with backoff and never logged; a forbidden resource is 403', async () => {
    const h = await harness({ credentials: { kind: 'token', token: 'wrong-token-abcdef' } });
    await pollUntil(() => (h.timers.pending().some((d) => d <= BACKOFF_MAX) ? true : undefined));
    expect(h.api.requests.every((r) => r.status === 401)).toBe(true);
    // Named as what it is, with the API's Status message; never "unreachable".
    expect(h.log.lines.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: 'kubernetes API refused the credentials (HTTP 401); cluster names get SERVFAIL until the first sync', status: 401, error: 'HTTP 401: Unauthorized' }),
    ]);
    expect(h.log.lines.some((l) => String(l.msg).includes('unreachable'))).toBe(false);
    expect(h.log.raw()).not.toContain('wrong-token-abcdef');
    expect(h.sink.syncedCount).toBe(0);

    const f = await harness({ pods: true, seed: (api) => (seedShop(api), api.forbidden.add('pods')) });
    await pollUntil(() => (f.log.lines.some((l) => typeof l.error === 'string' && l.error.startsWith('HTTP 403')) ? true : undefined));
    expect(f.log.lines.find((l) => l.status === 403)).toMatchObject({
      msg: 'kubernetes API forbids this (HTTP 403; check the ClusterRole); cluster names get SERVFAIL until the first sync',
      error: 'HTTP 403: pods is forbidden: User "tester" cannot list resource "pods"',
    });
    expect(f.sink.syncedCount).toBe(0);
  });

  it('authenticates with a client certificate, and fails TLS against a CA that did not sign the server', async () => {
    const pki = testPki();
    const h = await harness({
      credentials: { kind: 'none' },
      connection: { clientCertificate: { data: Buffer.from(pki.clientCert) }, clientKey: { data: Buffer.from(pki.clientKey) } },
    });
    await synced(h);
    expect(h.api.requests.every((r) => r.status === 200)).toBe(true);

    const bad = await harness({ connection: { certificateAuthority: { data: Buffer.from(pki.otherCaCert) } } });
    await pollUntil(() => (bad.log.lines.some((l) => typeof l.error === 'string' && /certificate/i.test(l.error)) ? true : undefined));
    expect(bad.api.requests.length).toBe(0);
  });
});

describe('kubernetes source: what a broken API server sends', () => {
  it('skips one object over 16 MiB in a watch, naming it and its size, and keeps the watch going', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    const requestsBefore = h.api.requests.length;
    const huge = { ...service('shop', 'monster', '10.96.0.66'), metadata: { name: 'monster', namespace: 'shop', annotations: { blob: 'x'.repeat(17 * 1024 * 1024) } } };
    const line = `${JSON.stringify({ type: 'ADDED', object: { kind: 'Service', apiVersion: 'v1', ...huge } })}\n`;
    h.api.writeToWatches('services', line);
    h.api.put('services', service('shop', 'after-monster', '10.96.0.67'));
    await pollUntil(() => h.sink.objects.get('service/shop/after-monster'));
    expect(h.sink.objects.has('service/shop/monster')).toBe(false);
    expect(h.log.lines.filter((l) => l.resource === 'services' && l.level === 40)).toEqual([
      expect.objectContaining({
        msg: `kubernetes: skipped Service shop/monster: ${Buffer.byteLength(line) - 1} bytes, over the 16 MiB a watch event may take; the watch goes on`,
        kind: 'Service',
        namespace: 'shop',
        name: 'monster',
        bytes: Buffer.byteLength(line) - 1,
      }),
    ]);
    // The same stream carried on: no new request, no restart.
    expect(h.api.requests.slice(requestsBefore).filter((r) => r.resource === 'services')).toEqual([]);
    expect(h.restarts).toEqual([]);
  });

  it('names an unnamed monster by its offset', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    h.api.writeToWatches('services', `${'y'.repeat(16 * 1024 * 1024 + 10)}\n`);
    h.api.put('services', service('shop', 'next', '10.96.0.68'));
    await pollUntil(() => h.sink.objects.get('service/shop/next'));
    const skipped = h.log.lines.find((l) => String(l.msg).startsWith('kubernetes: skipped'));
    expect(skipped).toMatchObject({ resource: 'services', bytes: 16 * 1024 * 1024 + 10 });
    expect([skipped!.kind, skipped!.name]).toEqual([undefined, undefined]);
    expect(String(skipped!.msg)).toMatch(/^kubernetes: skipped an object at byte \d+ of the services watch: 16777226 bytes/);
  });

  it('logs a malformed watch line with its offset as an unreadable answer, not as unreachable, and watches again', async () => {
    const h = await harness();
    await synced(h);
    await watching(h);
    h.timers.advance(2000); // the watch lasted a while: its failure is not a "very short watch"
    h.api.writeToWatches('services', '{"type":"ADDED","object":{"kind":"Serv\n');
    await fireBackoff(h);
    h.api.put('services', service('shop', 'later', '10.96.0.69'));
    await pollUntil(() => h.sink.objects.get('service/shop/later'));
    const warned = h.log.lines.filter((l) => l.level === 40);
    expect(warned).toEqual([
      expect.objectContaining({
        msg: 'kubernetes API sent an answer that cannot be read; answering from the last state, retrying',
        resource: 'services',
        error: expect.stringMatching(/^watch \/api\/v1\/services: the line at byte \d+ is not JSON \(.+\): "\{\\"type\\":\\"ADDED\\",\\"object\\":\{\\"kind\\":\\"Serv"$/),
      }),
    ]);
    expect(h.log.lines.some((l) => String(l.msg).includes('unreachable') || String(l.error).includes('ECONNRESET'))).toBe(false);
  });
});

describe('kubernetes source: scope', () => {
  it('--namespaces watches only those namespaces and serves them as existing', async () => {
    const h = await harness({ namespaces: ['shop'], pods: true, seed: (api) => (seedShop(api), api.put('pods', pod('shop', 'web-0', '10.1.0.1'))) });
    await synced(h);
    expect([...h.sink.objects.keys()].sort()).toEqual(['endpointslice/shop/web-abc', 'namespace//shop', 'pod/shop/web-0', 'service/shop/web']);
    const paths = new Set(h.api.requests.map((r) => r.path));
    expect([...paths].filter((p) => p !== '/apis/discovery.k8s.io/v1').sort()).toEqual([
      '/api/v1/namespaces/shop/pods',
      '/api/v1/namespaces/shop/services',
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices',
    ]);
  });

  it('--labels is sent as labelSelector on list and watch', async () => {
    const h = await harness({
      labels: 'dns=public',
      seed: (api) => {
        api.put('services', service('shop', 'web', '10.96.0.10', { dns: 'public' }));
        api.put('services', service('shop', 'internal', '10.96.0.11'));
      },
    });
    await synced(h);
    await watching(h);
    expect([...h.sink.objects.keys()].filter((k) => k.startsWith('service/'))).toEqual(['service/shop/web']);
    const serviceRequests = h.api.requests.filter((r) => r.path === '/api/v1/services');
    expect(serviceRequests.map((r) => r.query.get('labelSelector'))).toEqual(['dns=public', 'dns=public']);
    expect(h.api.requests.filter((r) => r.path === '/api/v1/namespaces').every((r) => !r.query.has('labelSelector'))).toBe(true);
  });

  it('falls back to v1 Endpoints where the cluster has no EndpointSlice API', async () => {
    const h = await harness({
      api: { endpointSlices: false },
      seed: (api) => {
        api.put('services', service('shop', 'web', '10.96.0.10'));
        api.put('endpoints', { metadata: { name: 'web', namespace: 'shop' }, subsets: [{ addresses: [{ ip: '10.1.0.9' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] });
      },
    });
    await synced(h);
    expect(h.sink.objects.get('endpoints/shop/web')!.endpointGroups[0]).toMatchObject({ source: 'Endpoints', endpoints: [{ addresses: ['10.1.0.9'], hostname: undefined, ready: true }] });
    expect(h.api.requests.some((r) => r.path.includes('endpointslices'))).toBe(false);
  });

  it('reports an object that does not convert and keeps it out of the registry', async () => {
    const h = await harness({
      seed: (api) => {
        seedShop(api);
        api.put('services', { metadata: { name: 'broken', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'not a name!' } });
      },
    });
    await synced(h);
    await pollUntil(() => (h.sink.reports.length > 0 ? true : undefined));
    expect(h.sink.objects.has('service/shop/broken')).toBe(false);
    expect(h.sink.reports.at(-1)).toEqual([{ severity: 'error', file: 'kubernetes service/shop/broken', line: 1, field: 'spec.externalName', message: '"not a name!" is not a DNS name' }]);
  });
});
