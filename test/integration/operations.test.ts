import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsServer } from '../../src/server.js';
import { startHttpServer } from '../../src/http/http-server.js';
import { createServerMetrics } from '../../src/http/metrics.js';
import { buildQuery, decodeReply, queryUdp, sendUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
const base = (s: { httpAddress: { port: number } | undefined }) => `http://127.0.0.1:${s.httpAddress!.port}`;

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return 0;
}

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('metrics', () => {
  it('count queries by type and protocol, responses by rcode, and the registry by kind', async () => {
    const { server, port } = await startServer({ zones, http: '127.0.0.1:0' });
    const scrape = async () => (await fetch(`${base(server)}/metrics`)).text();
    const before = await scrape();
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    await queryUdp(port, 'nope.shop.svc.cluster.local', 'AAAA');
    const after = await scrape();
    const requests = { zone: 'cluster.local.', proto: 'udp', family: '4', type: 'A' };
    expect(metricValue(after, 'coredns_dns_requests_total', requests) - metricValue(before, 'coredns_dns_requests_total', requests)).toBe(2);
    expect(metricValue(after, 'coredns_dns_responses_total', { rcode: 'NXDOMAIN' })).toBe(1);
    expect(metricValue(after, 'coredns_dns_request_duration_seconds_count', { type: 'A' })).toBe(2);
    expect(metricValue(after, 'coredns_dns_response_size_bytes_count', { proto: 'udp' })).toBe(3);
    expect(metricValue(after, 'cluster_dns_registry_objects', { kind: 'service' })).toBe(3);
    expect(metricValue(after, 'cluster_dns_registry_reloads_total', { result: 'success' })).toBe(1);
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('count registry changes by source and time each batch applied', async () => {
    const { server, port } = await startServer({ zones, http: '127.0.0.1:0' });
    const scrape = async () => (await fetch(`${base(server)}/metrics`)).text();
    const before = await scrape();
    const loaded = metricValue(before, 'cluster_dns_registry_changes_total', { source: 'files' });
    expect(loaded).toBeGreaterThan(0); // the first load is the files' objects
    expect(metricValue(before, 'cluster_dns_registry_changes_total', { source: 'registrations' })).toBe(0);
    await server.apply('namespace: shop\nservices:\n  extra: { clusterIP: 10.96.0.99 }\n');
    expect((await queryUdp(port, 'extra.shop.svc.cluster.local', 'A')).answer).toEqual(['extra.shop.svc.cluster.local. 5 IN A 10.96.0.99']);
    const after = await scrape();
    // A native document is registered per object: its namespace and its service.
    expect(metricValue(after, 'cluster_dns_registry_changes_total', { source: 'registrations' })).toBe(2);
    expect(metricValue(after, 'cluster_dns_registry_changes_total', { source: 'files' })).toBe(loaded);
    expect(metricValue(after, 'cluster_dns_registry_apply_seconds_count', {}) - metricValue(before, 'cluster_dns_registry_apply_seconds_count', {})).toBe(1);
  });

  it('keeps one registry per server, so two embedded servers do not collide', async () => {
    const a = await startServer({ zones, http: '127.0.0.1:0' });
    const b = await startServer({ zones, http: '127.0.0.1:0' });
    await queryUdp(a.port, 'web.shop.svc.cluster.local', 'A');
    const bText = await (await fetch(`${base(b.server)}/metrics`)).text();
    expect(metricValue(bText, 'coredns_dns_requests_total', { type: 'A' })).toBe(0);
  });
});

describe('health and readiness', () => {
  it('is not ready and answers SERVFAIL for the zone until the first registry has loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-fifo-'));
    tmp.push(dir);
    const fifo = join(dir, 'slow.yaml');
    execFileSync('mkfifo', [fifo]);
    const server = createDnsServer({ zones: [fifo], port: 0, http: '127.0.0.1:0', upstream: 'none' });
    const starting = server.start();
    try {
      const port = await pollUntil(() => server.httpAddress?.port);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      const loadingPort = await pollUntil(() => server.addresses?.udp.port);
      const early = await queryUdp(loadingPort, 'web.shop.svc.cluster.local', 'A', { edns: {} });
      expect(early.rcode).toBe('SERVFAIL');
      expect(early.edns?.ede).toEqual({ code: 14, text: 'registry not loaded yet' });
      writeFileSync(fifo, 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10 }\n');
      const { udp } = await starting;
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      expect((await queryUdp(udp.port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    } finally {
      await server.stop();
    }
  });

  it('reports not ready during the shutdown grace and keeps answering every query meanwhile', async () => {
    const { server, port } = await startServer({ zones, http: '127.0.0.1:0' });
    const http = base(server);
    expect((await fetch(`${http}/ready`)).status).toBe(200);
    let stopped = false;
    const stopping = server.stop({ graceMs: 3000 }).then(() => {
      stopped = true;
    });
    expect((await fetch(`${http}/ready`)).status).toBe(503);
    // Ask until the server is gone: every query sent while it was draining gets the right answer;
    // only one racing the final close may go unanswered.
    const outcomes: string[] = [];
    while (!stopped) {
      const raw = await sendUdp(port, buildQuery('web.shop.svc.cluster.local', 'A'), '127.0.0.1', 500).catch(() => undefined);
      outcomes.push(raw ? decodeReply(raw).answer.join() : stopped ? 'after stop' : 'lost while draining');
    }
    await stopping;
    expect(outcomes[0]).toBe('web.shop.svc.cluster.local. 5 IN A 10.96.0.10');
    expect(outcomes.filter((o) => o !== 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10' && o !== 'after stop')).toEqual([]);
    await expect(fetch(`${http}/health`)).rejects.toThrow();
  });
});

describe('the registration API', () => {
  it('registers, lists, shows records, removes, and reports bad bodies with line and field', async () => {
    const { server, port } = await startServer({ http: '127.0.0.1:0' });
    const http = base(server);
    const put = await fetch(`${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9, ports: [http:80] }\n' });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({
      registered: [
        { kind: 'Namespace', namespace: '', name: 'dev', key: 'namespace//dev', format: 'native' },
        { kind: 'Service', namespace: 'dev', name: 'api', key: 'service/dev/api', format: 'native' },
      ],
    });
    expect((await queryUdp(port, 'api.dev.svc.cluster.local', 'A')).answer).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.9']);

    const json = await fetch(`${http}/v1/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'dev' }, spec: { clusterIP: '10.96.9.10' } }),
    });
    expect(json.status).toBe(200);
    expect(((await (await fetch(`${http}/v1/registrations`)).json()) as { registrations: { key: string }[] }).registrations.map((r: { key: string }) => r.key)).toEqual(['namespace//dev', 'service/dev/api', 'service/dev/db']);
    const records = ((await (await fetch(`${http}/v1/records`)).json()) as { records: unknown }).records as { name: string; type: string; data: string }[];
    expect(records).toContainEqual({ name: '_http._tcp.api.dev.svc.cluster.local.', type: 'SRV', ttl: 5, data: '0 100 80 api.dev.svc.cluster.local.' });

    const bad = await fetch(`${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.999 }\n' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'registration rejected', diagnostics: ['body:3: services.api.clusterIP: "10.96.9.999" is not an IP address'] });
    expect((await queryUdp(port, 'api.dev.svc.cluster.local', 'A')).answer).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.9']);

    const del = await fetch(`${http}/v1/registrations/Service/dev/db`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ removed: ['service/dev/db'] });
    expect((await queryUdp(port, 'db.dev.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    await fetch(`${http}/v1/registrations`, { method: 'DELETE' });
    expect((await queryUdp(port, 'api.dev.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('keeps every service of a namespace that separate POSTs registered; PUT replaces all; DELETE by name removes only that one', async () => {
    const { server, port } = await startServer({ http: '127.0.0.1:0' });
    const http = base(server);
    const post = (body: string, method = 'POST') => fetch(`${http}/v1/registrations`, { method, headers: { 'content-type': 'application/yaml' }, body }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const a = async (name: string) => (await queryUdp(port, name, 'A')).answer;
    const rcode = async (name: string) => (await queryUdp(port, name, 'A')).rcode;

    expect((await post('namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n')).status).toBe(200);
    expect(await post('namespace: dev\nservices:\n  worker: { clusterIP: 10.96.9.10 }\npods:\n  worker-0: 10.244.9.10\n')).toEqual({
      status: 200,
      body: {
        registered: [
          { kind: 'Namespace', namespace: '', name: 'dev', key: 'namespace//dev', format: 'native' },
          { kind: 'Service', namespace: 'dev', name: 'worker', key: 'service/dev/worker', format: 'native' },
          { kind: 'Pod', namespace: 'dev', name: 'worker-0', key: 'pod/dev/worker-0', format: 'native' },
        ],
      },
    });
    expect(await a('api.dev.svc.cluster.local')).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.9']);
    expect(await a('worker.dev.svc.cluster.local')).toEqual(['worker.dev.svc.cluster.local. 5 IN A 10.96.9.10']);

    // A native service and a Kubernetes Service of the same name are one object: the newest wins.
    await fetch(`${http}/v1/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'dev' }, spec: { clusterIP: '10.96.9.11' } }),
    });
    expect(await a('api.dev.svc.cluster.local')).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.11']);
    const listed = ((await (await fetch(`${http}/v1/registrations`)).json()) as { registrations: { key: string; format: string }[] }).registrations;
    expect(listed.map((r) => `${r.key} ${r.format}`)).toEqual(['namespace//dev native', 'service/dev/worker native', 'pod/dev/worker-0 native', 'service/dev/api kubernetes']);

    expect((await fetch(`${http}/v1/registrations/Service/dev/worker`, { method: 'DELETE' }).then((r) => r.json()))).toEqual({ removed: ['service/dev/worker'] });
    expect(await rcode('worker.dev.svc.cluster.local')).toBe('NXDOMAIN');
    expect(await a('api.dev.svc.cluster.local')).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.11']);
    expect(await a('worker-0.dev.pod.cluster.local')).toEqual([]);

    // PUT still replaces everything with its body.
    expect((await post('namespace: dev\nservices:\n  cache: { clusterIP: 10.96.9.12 }\n', 'PUT')).status).toBe(200);
    expect(await a('cache.dev.svc.cluster.local')).toEqual(['cache.dev.svc.cluster.local. 5 IN A 10.96.9.12']);
    expect(await rcode('api.dev.svc.cluster.local')).toBe('NXDOMAIN');
    expect(server.registrations().map((r) => r.key)).toEqual(['namespace//dev', 'service/dev/cache']);

    // Native/NS/- names every object native documents registered in NS.
    await post('namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n');
    expect((await fetch(`${http}/v1/registrations/Native/dev/-`, { method: 'DELETE' }).then((r) => r.json()))).toEqual({
      removed: ['service/dev/cache', 'namespace//dev', 'service/dev/api'],
    });
    expect(server.registrations()).toEqual([]);
  });

  it('lists lease expiry as ISO 8601 and epoch milliseconds', async () => {
    const { server } = await startServer({ http: '127.0.0.1:0' });
    const before = Date.now();
    await fetch(`${base(server)}/v1/registrations?lease=600`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  tmp: { clusterIP: 10.96.9.1 }\n' });
    const listed = ((await (await fetch(`${base(server)}/v1/registrations`)).json()) as { registrations: { key: string; expiresAt: string; expiresAtMs: number }[] }).registrations;
    const tmp = listed.find((r) => r.key === 'service/dev/tmp')!;
    expect(tmp.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(tmp.expiresAt)).toBe(tmp.expiresAtMs);
    expect(tmp.expiresAtMs).toBeGreaterThanOrEqual(before + 600_000);
  });

  it('expires registrations with ?lease=', async () => {
    const { server, port } = await startServer({ http: '127.0.0.1:0' });
    await fetch(`${base(server)}/v1/registrations?lease=0.3`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  tmp: { clusterIP: 10.96.9.1 }\n' });
    expect((await queryUdp(port, 'tmp.dev.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
    await pollUntil(async () => ((await queryUdp(port, 'tmp.dev.svc.cluster.local', 'A')).rcode === 'NXDOMAIN' ? true : undefined));
    expect((await fetch(`${base(server)}/v1/registrations?lease=soon`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: '' })).status).toBe(400);
  });

  it('requires the bearer token when one is set', async () => {
    const { server } = await startServer({ http: '127.0.0.1:0', httpToken: 's3cret' });
    expect((await fetch(`${base(server)}/v1/registrations`)).status).toBe(401);
    expect((await fetch(`${base(server)}/v1/registrations`, { headers: { authorization: 'Bearer wrong!' } })).status).toBe(401);
    expect((await fetch(`${base(server)}/v1/registrations`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await fetch(`${base(server)}/metrics`)).status).toBe(200);
  });

  it('is off on a non-loopback address without a token, while metrics and probes still work', async () => {
    // Bound to loopback as every test server is, but configured as if it were not.
    const listener = await startHttpServer({
      host: '127.0.0.1', port: 0, loopback: false, token: undefined, healthy: () => true, ready: () => true,
      metrics: createServerMetrics('dns://test', 'cluster.local', { processMetrics: false }),
      api: { apply: async () => [], replace: async () => [], remove: async () => [], list: () => [], records: () => [], explain: () => ({ error: 'unused' }) },
    });
    try {
      const http = `http://127.0.0.1:${listener.address.port}`;
      expect((await fetch(`${http}/v1/registrations`)).status).toBe(403);
      expect((await fetch(`${http}/ready`)).status).toBe(200);
      expect((await fetch(`${http}/metrics`)).status).toBe(200);
    } finally {
      await listener.close();
    }
  });
});
