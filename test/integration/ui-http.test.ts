/** GET /ui and its data endpoints on a real server: the page's headers, recent queries (JSON and SSE), failed names, sources, explain as a pod. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryTcp, queryUdp } from '../helpers/dns-client.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startServer } from '../helpers/start-server.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempZones(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-ui-'));
  dirs.push(dir);
  const file = join(dir, 'shop.yaml');
  writeFileSync(file, text);
  return { dir, file };
}
const SHOP = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10 }\n';

async function serve(options: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer({ zones: ['zones'], http: '127.0.0.1:0', ...options });
  return { ...started, base: `http://127.0.0.1:${started.server.httpAddress!.port}` };
}

describe('GET /ui', () => {
  it('serves the page, its script and stylesheet with their content types and a strict CSP, no inline script', async () => {
    const { base } = await serve();
    const page = await fetch(`${base}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="module" src="/ui/app.js">']);
    expect(html).not.toMatch(/\s(style|on[a-z]+)="/);
    const script = await fetch(`${base}/ui/app.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await script.text()).toContain('/v1/ui/queries/stream');
    const css = await fetch(`${base}/ui/ui.css`);
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    expect((await fetch(`${base}/ui/nope.js`)).status).toBe(404);
  });

  it('goes through the HTTP guard: a foreign Host or a cross-site request gets 403 for the page, its data and its stream; same-origin passes', async () => {
    const { server } = await serve();
    const port = server.httpAddress!.port;
    for (const path of ['/ui', '/ui/app.js', '/v1/ui/queries', '/v1/ui/queries/stream', '/v1/ui/sources', '/v1/explain?name=web.shop']) {
      expect([path, (await rawRequest(port, { path, headers: { host: `rebind.attacker.example:${port}` } })).status]).toEqual([path, 403]);
      expect([path, (await rawRequest(port, { path, headers: { origin: 'http://attacker.example' } })).status]).toEqual([path, 403]);
      expect([path, (await rawRequest(port, { path, headers: { 'sec-fetch-site': 'cross-site' } })).status]).toEqual([path, 403]);
    }
    // What the page's own fetches carry.
    const own = await rawRequest(port, { path: '/v1/ui/sources', headers: { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } });
    expect(own.status).toBe(200);
  });

  it('with a token: the page is served without it, its data only with it (a bearer header, never a URL parameter)', async () => {
    const { base } = await serve({ httpToken: 's3cret' });
    expect((await fetch(`${base}/ui`)).status).toBe(200);
    expect((await fetch(`${base}/v1/ui/queries`)).status).toBe(401);
    expect((await fetch(`${base}/v1/ui/queries?token=s3cret`)).status).toBe(401);
    expect((await fetch(`${base}/v1/ui/queries`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await fetch(`${base}/v1/ui/queries/stream`)).status).toBe(401);
  });
});

describe('/v1/ui/ data', () => {
  it('lists recent queries newest first with client, transport, rcode, answer, latency and how answered; filters by rcode, client, name', async () => {
    const testStarted = Date.now();
    const { base, port } = await serve();
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    await queryTcp(port, 'nope.shop.svc.cluster.local', 'A');
    await queryUdp(port, 'web.shop.svc.cluster.local', 'AAAA');
    await queryUdp(port, 'example.org', 'A');
    const body = (await (await fetch(`${base}/v1/ui/queries`)).json()) as { size: number; queries: Record<string, unknown>[] };
    expect(body.size).toBe(1000);
    expect(body.queries.map((q) => `${q.name} ${q.type} ${q.rcode}${q.nodata ? ' (NODATA)' : ''} ${q.transport} ${q.answeredBy}`)).toEqual([
      'example.org. A REFUSED udp local',
      'web.shop.svc.cluster.local. AAAA NOERROR (NODATA) udp cluster',
      'nope.shop.svc.cluster.local. A NXDOMAIN tcp cluster',
      'web.shop.svc.cluster.local. A NOERROR udp cluster',
    ]);
    const hit = body.queries[3]!;
    expect(hit).toMatchObject({ answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'], client: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    // The first query after the page asked is timed (every query is, while someone watches).
    expect(typeof hit.latencyMs === 'number' || hit.latencyMs === null).toBe(true);
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    const timed = (await (await fetch(`${base}/v1/ui/queries?limit=1`)).json()) as { queries: { latencyMs: number | null; time: number }[] };
    expect(timed.queries[0]!.latencyMs).toEqual(expect.any(Number));
    // Wall-clock epoch ms, between the test's start and now (performance.timeOrigin may lag Date.now by a rounding).
    expect(timed.queries[0]!.time).toBeGreaterThanOrEqual(testStarted - 1);
    expect(timed.queries[0]!.time).toBeLessThanOrEqual(Date.now() + 1);

    const nx = (await (await fetch(`${base}/v1/ui/queries?rcode=NXDOMAIN`)).json()) as { queries: { name: string }[] };
    expect(nx.queries.map((q) => q.name)).toEqual(['nope.shop.svc.cluster.local.']);
    const byName = (await (await fetch(`${base}/v1/ui/queries?name=example`)).json()) as { queries: { name: string }[] };
    expect(byName.queries.map((q) => q.name)).toEqual(['example.org.']);
    const byClient = (await (await fetch(`${base}/v1/ui/queries?client=10.1.1.1`)).json()) as { queries: unknown[] };
    expect(byClient.queries).toEqual([]);
    const bad = await fetch(`${base}/v1/ui/queries?slower=fast`);
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'slower: "fast" is not a number of milliseconds' }]);
  });

  it('streams new queries as server-sent events, only those matching the filter', async () => {
    const { base, port } = await serve();
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/ui/queries/stream?rcode=NXDOMAIN`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    expect(text).toBe(': cluster-dns query stream\n\n');
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    await queryUdp(port, 'gone.shop.svc.cluster.local', 'A');
    const complete = () => text.includes('event: queries') && text.includes('\n\n', text.indexOf('event: queries'));
    while (!complete()) text += (await reader.read()).value ?? '';
    controller.abort();
    const event = text.slice(text.indexOf('event: queries'));
    const data = JSON.parse(event.split('\n')[1]!.slice('data: '.length)) as { name: string; rcode: string; answeredBy: string }[];
    expect(data.map((q) => [q.name, q.rcode, q.answeredBy])).toEqual([['gone.shop.svc.cluster.local.', 'NXDOMAIN', 'cluster']]);
  });

  it('groups failed names of the last minutes by name with counts', async () => {
    const { base, port } = await serve();
    for (let i = 0; i < 3; i++) await queryUdp(port, 'web.shopp.svc.cluster.local', 'A');
    await queryUdp(port, 'web.shop.svc.cluster.local', 'TXT');
    await queryUdp(port, 'web.shop.svc.cluster.local', 'A');
    const body = (await (await fetch(`${base}/v1/ui/failures?minutes=5`)).json()) as { minutes: number; failed: { name: string; type: string; rcode: string; count: number; last: number }[] };
    expect(body.failed.map(({ last: _last, ...f }) => f)).toEqual([
      { name: 'web.shopp.svc.cluster.local.', type: 'A', rcode: 'NXDOMAIN', count: 3 },
      { name: 'web.shop.svc.cluster.local.', type: 'TXT', rcode: 'NODATA', count: 1 },
    ]);
    expect((await fetch(`${base}/v1/ui/failures?minutes=0`)).status).toBe(400);
  });

  it('is off with --query-log-size 0, and /ui still serves', async () => {
    const { base } = await serve({ queryLogSize: 0 });
    const res = await fetch(`${base}/v1/ui/queries`);
    expect([res.status, await res.json()]).toEqual([404, { error: 'the query log is off (--query-log-size 0, or --workers: queries are answered in the workers)' }]);
    expect((await fetch(`${base}/ui`)).status).toBe(200);
  });

  it('shows each source: a broken zones file with file:line while the last good content keeps serving, registrations with leases', async () => {
    const { dir, file } = tempZones(SHOP);
    const { base, server, port } = await serve({ zones: [dir] });
    await server.apply('namespace: lab\nservices:\n  cache: { clusterIP: 10.96.5.5 }\n', { leaseSeconds: 600 });
    writeFileSync(file, 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.300 }\n');
    await server.reload();
    const sources = (await (await fetch(`${base}/v1/ui/sources`)).json()) as {
      ready: boolean;
      files: { paths: string[]; files: number; lastReloadAt: number; problems: { severity: string; text: string; file: string; line: number }[]; keptLastGood: string[] };
      registrations: { key: string; leaseSecondsLeft: number | null }[];
      upstreams: unknown[];
    };
    expect(sources.ready).toBe(true);
    expect(sources.files).toMatchObject({ paths: [dir], files: 1, keptLastGood: [file] });
    expect(sources.files.problems).toEqual([{ severity: 'error', file, line: 3, text: `${file}:3: services.web.clusterIP: "10.96.0.300" is not an IP address` }]);
    // One registration per object: the namespace and the service.
    expect(sources.registrations.map((r) => r.key)).toEqual(['namespace//lab', 'service/lab/cache']);
    expect(sources.registrations.every((r) => r.leaseSecondsLeft! > 500)).toBe(true);
    expect(sources.upstreams).toEqual([]);
    // The last good web keeps answering.
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
  });
});

describe('GET /v1/explain for the page', () => {
  it('as a pod in a namespace: every name tried with its rcode, the settled answer as dig prints it, each record with its source', async () => {
    const { base, server } = await serve();
    await server.apply('namespace: lab\nservices:\n  cache: { clusterIP: 10.96.5.5 }\n', { leaseSeconds: 300 });
    const trace = (await (await fetch(`${base}/v1/explain?name=web.shop&type=A&namespace=default`)).json()) as Record<string, unknown>;
    expect(trace.candidates).toEqual([
      expect.objectContaining({ name: 'web.shop.default.svc.cluster.local.', rcode: 'NXDOMAIN', rule: 'not-found' }),
      expect.objectContaining({ name: 'web.shop.svc.cluster.local.', rcode: 'NOERROR', rule: 'service' }),
      expect.objectContaining({ name: 'web.shop.cluster.local.', rcode: 'NXDOMAIN', rule: 'not-found' }),
      // The server answers the short form itself too, but the pod has settled on the second name already.
      expect.objectContaining({ name: 'web.shop.', rcode: 'NOERROR', rule: 'short-form' }),
    ]);
    expect(trace).toMatchObject({ settled: 1, status: 'NOERROR', search: { namespace: 'default', ndots: 5 }, answer: ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'] });
    expect(trace.dig).toBe(
      [
        ';; ->>HEADER<<- opcode: QUERY, status: NOERROR',
        ';; flags: qr rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0',
        '',
        ';; QUESTION SECTION:',
        ';web.shop.svc.cluster.local.\t\tIN\tA',
        '',
        ';; ANSWER SECTION:',
        'web.shop.svc.cluster.local.\t5\tIN\tA\t10.96.0.10',
        '',
      ].join('\n'),
    );
    expect(trace.records).toEqual([{ record: 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10', source: { kind: 'Service', namespace: 'shop', name: 'web', origin: 'zones/shop.yaml:5' } }]);

    const leased = (await (await fetch(`${base}/v1/explain?name=cache.lab.svc.cluster.local`)).json()) as { records: { source: { origin: string; leaseSecondsLeft: number } }[]; candidates: unknown[] };
    expect(leased.candidates).toHaveLength(1);
    expect(leased.records[0]!.source.origin).toMatch(/^registration /);
    expect(leased.records[0]!.source.leaseSecondsLeft).toBeGreaterThan(200);

    const miss = (await (await fetch(`${base}/v1/explain?name=web.shopp&namespace=default`)).json()) as { status: string; settled: number; candidates: { hints: { text: string }[] }[] };
    expect(miss.status).toBe('REFUSED');
    expect(miss.settled).toBe(3);
    expect(miss.candidates[1]!.hints.map((h) => h.text)).toContain('namespace "shop" exists: did you mean web.shop.svc.cluster.local.?');
    const badNs = await fetch(`${base}/v1/explain?name=web&namespace=Not_A_Namespace`);
    expect([badNs.status, await badNs.json()]).toEqual([400, { error: 'namespace: "Not_A_Namespace" is not a namespace name (RFC 1123 label)' }]);
  });
});
