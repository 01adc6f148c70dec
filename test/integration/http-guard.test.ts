// The attacks of issue 17 against a real server with its defaults (HTTP on loopback, no token): a
// rebound page, a cross-site form, a foreign-Host read; and the uses that must keep working: curl
// on loopback as the README writes it, kubelet and Prometheus off loopback.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/http-server.js';
import { createServerMetrics } from '../../src/http/metrics.js';
import { queryUdp } from '../helpers/dns-client.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startServer } from '../helpers/start-server.js';

const run = promisify(execFile);
const zones = ['test/fixtures/equivalence/native.yaml'];
const hijack = 'namespace: shop\nservices:\n  web: { clusterIP: 6.6.6.6 }\n';
const webAnswer = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];

async function defaultServer(extra: Parameters<typeof startServer>[0] = {}) {
  const { server, port } = await startServer({ zones, http: '127.0.0.1:0', ...extra });
  return { server, port, http: server.httpAddress!.port };
}

function refusedCount(metrics: string, reason: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`cluster_dns_http_refused_total{reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('HTTP: nothing a web page can reach', () => {
  it('refuses a DNS-rebinding POST (foreign Host and Origin, text/plain) and the name keeps its address', async () => {
    const { port, http } = await defaultServer();
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(webAnswer);
    const res = await rawRequest(http, {
      method: 'POST',
      path: '/v1/registrations',
      headers: { host: `attacker.example:${http}`, origin: `http://attacker.example:${http}`, 'content-type': 'text/plain' },
      body: hijack,
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: `Host "attacker.example:${http}" does not name this listener: on loopback only localhost, 127.0.0.1 or [::1] are answered (DNS rebinding); add a name with --http-allowed-hosts` });
    expect(res.headers.connection).toBe('close');
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(webAnswer);
  });

  it('refuses cross-site request forgery with a loopback Host, in every body type a form can send', async () => {
    const { port, http } = await defaultServer();
    const host = `127.0.0.1:${http}`;
    const attempts = [
      { origin: 'http://attacker.example', type: 'text/plain' },
      { origin: 'http://attacker.example', type: 'application/x-www-form-urlencoded' },
      { origin: 'http://attacker.example', type: 'multipart/form-data; boundary=b' },
      // A YAML type needs a preflight, which we never grant; refused on Origin anyway.
      { origin: 'http://attacker.example', type: 'application/yaml' },
    ];
    for (const attempt of attempts) {
      const res = await rawRequest(http, { method: 'POST', path: '/v1/registrations', headers: { host, origin: attempt.origin, 'content-type': attempt.type }, body: hijack });
      expect({ type: attempt.type, status: res.status }).toEqual({ type: attempt.type, status: 403 });
    }
    // Without an Origin (an older browser, a navigation) the form's type alone is refused.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=b']) {
      const res = await rawRequest(http, { method: 'POST', path: '/v1/registrations', headers: { host, 'content-type': type }, body: hijack });
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
    }
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(webAnswer);
  });

  it('refuses a foreign-Host read of every route and a foreign-Host PUT or DELETE that would wipe registrations', async () => {
    const { server, port, http } = await defaultServer();
    await server.apply('namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n');
    for (const path of ['/v1/explain?name=web.shop', '/v1/registrations', '/v1/records', '/metrics', '/health', '/ready', '/nowhere']) {
      const res = await rawRequest(http, { path, headers: { host: `rebind.attacker.example:${http}` } });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    for (const method of ['PUT', 'DELETE']) {
      const res = await rawRequest(http, { method, path: '/v1/registrations', headers: { host: `rebind.attacker.example:${http}`, 'content-type': 'application/yaml' }, body: '' });
      expect({ method, status: res.status }).toEqual({ method, status: 403 });
    }
    expect((await queryUdp(port, 'api.dev.svc.cluster.local', 'A')).answer).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.9']);
    const metrics = await rawRequest(http, { path: '/metrics' });
    expect(refusedCount(metrics.body, 'host')).toBe(9);
  });

  it('answers curl on loopback as the README writes it, and a page served by the listener itself', async () => {
    const { port, http } = await defaultServer();
    // The README's example, word for word but for the port.
    await run('sh', ['-c', `printf 'namespace: dev\\nservices:\\n  api: { clusterIP: 10.96.9.9, ports: [http:8080] }\\n' | curl -sf -H 'Content-Type: application/yaml' --data-binary @- 'http://127.0.0.1:${http}/v1/registrations?lease=60'`]);
    expect((await queryUdp(port, 'api.dev.svc.cluster.local', 'A')).answer).toEqual(['api.dev.svc.cluster.local. 5 IN A 10.96.9.9']);
    // Without the type, curl sends application/x-www-form-urlencoded, which a web form could too.
    const plain = await run('sh', ['-c', `printf 'namespace: x\\n' | curl -s -o /dev/null -w '%{http_code}' --data-binary @- 'http://127.0.0.1:${http}/v1/registrations'`]);
    expect(plain.stdout).toBe('415');
    for (const host of [`localhost:${http}`, `127.0.0.1:${http}`, 'localhost']) {
      expect((await rawRequest(http, { path: '/v1/records', headers: { host } })).status).toBe(200);
    }
    const own = await rawRequest(http, {
      method: 'POST',
      path: '/v1/registrations',
      headers: { host: `localhost:${http}`, origin: `http://localhost:${http}`, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'dev' }, spec: { clusterIP: '10.96.9.10' } }),
    });
    expect(own.status).toBe(200);
    expect((await rawRequest(http, { method: 'DELETE', path: '/v1/registrations/Service/dev/db' })).status).toBe(200);
    // HTTP/1.1 requires Host (RFC 9112 §3.2): node:http itself answers 400 before the guard runs.
    expect((await rawRequest(http, { path: '/v1/records', noHost: true })).status).toBe(400);
  });

  it('answers the names the user adds with httpAllowedHosts', async () => {
    const { http } = await defaultServer({ httpAllowedHosts: ['dns.test'] });
    expect((await rawRequest(http, { path: '/v1/records', headers: { host: `dns.test:${http}` } })).status).toBe(200);
    expect((await rawRequest(http, { path: '/v1/records', headers: { host: `other.test:${http}` } })).status).toBe(403);
  });

  it('marks every response nosniff, same-origin (CORP) and no-store, for a browser that sends neither Origin nor Sec-Fetch-Site', async () => {
    const { http } = await defaultServer();
    const probes = (await startServer({ zones, http: 'off', probes: '127.0.0.1:0' })).server.probesAddress!.port;
    const requests: Array<[number, Parameters<typeof rawRequest>[1]]> = [
      [http, { path: '/v1/records' }],
      [http, { path: '/v1/registrations' }],
      [http, { path: '/metrics' }],
      [http, { path: '/health' }],
      [http, { path: '/ready' }],
      [http, { path: '/ui' }],
      [http, { path: '/v1/nope' }],
      [http, { path: '/v1/records', headers: { host: 'attacker.example' } }],
      [probes, { path: '/health' }],
      [probes, { path: '/ready' }],
    ];
    for (const [port, request] of requests) {
      const reply = await rawRequest(port, request);
      expect({ path: request.path, nosniff: reply.headers['x-content-type-options'], corp: reply.headers['cross-origin-resource-policy'], store: reply.headers['cache-control'] }).toEqual({
        path: request.path,
        nosniff: 'nosniff',
        corp: 'same-origin',
        // The page's own files may be revalidated; nothing else is kept.
        store: request.path === '/ui' ? 'no-cache' : 'no-store',
      });
    }
  });

  it('says 404 with the nearest route for a mistyped path, and 405 with Allow for a wrong method', async () => {
    const { http } = await defaultServer();
    const missing = await rawRequest(http, { path: '/v1/registration' });
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as { error: string }).error).toBe('no route for GET /v1/registration (did you mean /v1/registrations?)');
    const wrong = await rawRequest(http, { method: 'POST', path: '/v1/records', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
  });
});

describe('HTTP off loopback', () => {
  const api = { apply: async () => [], replace: async () => [], remove: async () => [], list: () => [], records: () => [], explain: () => ({ error: 'unused' }) };
  async function offLoopback(token: string | undefined) {
    // Bound to loopback as every test server is, but configured as a pod's 0.0.0.0 listener would be.
    return startHttpServer({
      host: '127.0.0.1', port: 0, loopback: false, token, healthy: () => true, ready: () => true,
      metrics: createServerMetrics('dns://test', 'cluster.local', { processMetrics: false }), api,
    });
  }

  it('answers kubelet and Prometheus with the pod IP as Host, and keeps /metrics behind the token when one is set', async () => {
    const listener = await offLoopback('s3cret');
    try {
      const port = listener.address.port;
      const podHost = { host: `10.244.1.7:${port}` };
      expect((await rawRequest(port, { path: '/ready', headers: podHost })).status).toBe(200);
      expect((await rawRequest(port, { path: '/health', headers: podHost })).status).toBe(200);
      expect((await rawRequest(port, { path: '/metrics', headers: podHost })).status).toBe(401);
      expect((await rawRequest(port, { path: '/metrics', headers: { ...podHost, authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await rawRequest(port, { path: '/v1/registrations', headers: { ...podHost, authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await rawRequest(port, { path: '/v1/registrations', headers: { ...podHost, authorization: 'Bearer s3cret', origin: 'http://attacker.example' } })).status).toBe(403);
    } finally {
      await listener.close();
    }
  });

  it('leaves /metrics open for Prometheus without a token, with /v1 off', async () => {
    const listener = await offLoopback(undefined);
    try {
      const port = listener.address.port;
      expect((await rawRequest(port, { path: '/metrics', headers: { host: `10.244.1.7:${port}` } })).status).toBe(200);
      expect((await rawRequest(port, { path: '/v1/registrations', headers: { host: `10.244.1.7:${port}` } })).status).toBe(403);
    } finally {
      await listener.close();
    }
  });
});
