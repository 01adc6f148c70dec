// A real browser on an attacker's page tries what issue 17 found possible: a no-cors POST of
// text/plain, a form post, a read through an <img>, and a request to the server under the
// attacker's own name (what DNS rebinding makes of 127.0.0.1). Every one reaches the server and
// is refused there (the refusal counter says so), and the cluster name keeps its address.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startServer } from '../helpers/start-server.js';

const missing = browserMissing();
const webAnswer = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];

function attackerPage(http: number): string {
  const hijack = JSON.stringify('namespace: shop\nservices:\n  web: { clusterIP: 6.6.6.6 }\n');
  return `<!doctype html><title>attacker</title>
<form id="f" method="POST" enctype="text/plain" action="http://127.0.0.1:${http}/v1/registrations" target="sink"><input name="namespace: shop\nservices:\n  web: { clusterIP: 6.6.6.6 }\n#" value=""></form>
<iframe name="sink"></iframe>
<script>
  window.attempts = (async () => {
    const out = {};
    const body = ${hijack};
    try { await fetch('http://127.0.0.1:${http}/v1/registrations', { method: 'POST', mode: 'no-cors', body }); out.csrf = 'sent'; } catch (e) { out.csrf = 'blocked'; }
    try { await fetch('http://attacker.test:${http}/v1/registrations', { method: 'POST', mode: 'no-cors', body }); out.rebind = 'sent'; } catch (e) { out.rebind = 'blocked'; }
    await new Promise((done) => { const img = new Image(); img.onload = img.onerror = done; img.src = 'http://127.0.0.1:${http}/v1/records'; });
    document.getElementById('f').submit();
    return out;
  })();
</script>`;
}

function refused(metrics: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const m = /^cluster_dns_http_refused_total\{reason="([a-z-]+)"\} (\d+)/.exec(line);
    if (m) counts[m[1]!] = Number(m[2]);
  }
  return counts;
}

describe.skipIf(missing !== undefined)(`a web page in a real browser${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let attacker: Server;
  let attackerPort = 0;
  beforeAll(async () => {
    attacker = createServer();
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => attacker.close(() => resolve()));
  });

  it('cannot register, read or rebind: each attempt reaches the server and is refused, and the name is unchanged', async () => {
    const { port, server } = await startServer({ zones: ['test/fixtures/equivalence/native.yaml'], http: '127.0.0.1:0' });
    const http = server.httpAddress!.port;
    attacker.removeAllListeners('request');
    attacker.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackerPage(http));
    });
    const { browser, close } = await launchBrowser({ hostRules: 'MAP attacker.test 127.0.0.1' });
    try {
      const page = await browser.newPage();
      await page.goto(`http://attacker.test:${attackerPort}/`);
      const outcome = await page.evaluate(() => (globalThis as unknown as { attempts: Promise<Record<string, string>> }).attempts);
      // The browser sent both (the counts below show they arrived) and then withheld the replies from
      // the page: Cross-Origin-Resource-Policy: same-origin turns a no-cors fetch into a network error.
      expect(outcome).toEqual({ csrf: 'blocked', rebind: 'blocked' });
      const counts = await pollUntil(async () => {
        const c = refused((await rawRequest(http, { path: '/metrics' })).body);
        return (c.origin ?? 0) >= 2 && (c.host ?? 0) >= 1 && (c['fetch-site'] ?? 0) >= 1 ? c : undefined;
      });
      expect(counts).toEqual({ origin: 2, host: 1, 'fetch-site': 1 });
    } finally {
      await close();
    }
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(webAnswer);
    expect(server.registrations()).toEqual([]);
  });
});
