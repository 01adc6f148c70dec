/**
 * GET /ui in a real browser: Debian's chromium driven by playwright-core against a real server on
 * port 0. Explains a name that resolves and one that does not, sees dig's queries arrive live (and
 * held while paused), keeps filters in the URL, opens a failed name's explanation, sees a broken
 * zones file turn its source red with file:line, and asks for the token once when one is set.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { startServer } from '../helpers/start-server.js';

const run = promisify(execFile);
const missing = browserMissing();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openBrowser(): Promise<BrowserContext> {
  const { browser, close } = await launchBrowser();
  cleanups.push(close);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  // Waits are for events, not bounds on speed: long enough for a machine with every core busy.
  context.setDefaultTimeout(50_000);
  return context;
}

/** Every console error and page error (a CSP violation is one), to assert there were none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function dig(port: number, name: string, type = 'A'): Promise<string> {
  const { stdout } = await run('dig', [`@127.0.0.1`, '-p', String(port), name, type, '+tries=1', '+time=10', '+short']);
  return stdout;
}

function tempZones(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-ui-browser-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'shop.yaml');
  copyFileSync('zones/shop.yaml', file);
  return { dir, file };
}

describe.skipIf(missing !== undefined)(`/ui in headless chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('explains a hit and a miss, shows dig queries live (pausable, filtered in the URL), opens a failed name, and turns a broken file red with file:line', { timeout: 240_000 }, async () => {
    const { dir, file } = tempZones();
    const { server, port } = await startServer({ zones: [dir], http: '127.0.0.1:0' });
    const base = `http://127.0.0.1:${server.httpAddress!.port}`;
    const page = await (await openBrowser()).newPage();
    const errors = watchErrors(page);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${base}/ui`);
    await page.locator('#ready').filter({ hasText: 'ready' }).waitFor();

    // A name that resolves, as a pod in "default" resolves it: the search path, dig's answer, the source line.
    await page.fill('#explain-name', 'web.shop');
    await page.check('#as-pod');
    await page.fill('#pod-namespace', 'default');
    await page.click('#explain-form button[type=submit]');
    await page.locator('#explain-result .verdict').filter({ hasText: 'NOERROR' }).waitFor();
    expect(await page.locator('#explain-result .candidates tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^1\tweb\.shop\.default\.svc\.cluster\.local\.\tNXDOMAIN\tnot-found\t/),
      expect.stringMatching(/^2 ←\tweb\.shop\.svc\.cluster\.local\.\tNOERROR\tservice\t/),
      expect.stringMatching(/^3\tweb\.shop\.cluster\.local\.\tNXDOMAIN\tnot-found\t/),
      expect.stringMatching(/^4\tweb\.shop\.\tNOERROR\tshort-form\t/),
    ]);
    expect(await page.locator('#explain-result pre.dig').innerText()).toContain(';; ANSWER SECTION:\nweb.shop.svc.cluster.local.\t5\tIN\tA\t10.96.0.10');
    expect(await page.locator('#explain-result .record-sources tbody tr').allInnerTexts()).toEqual([`web.shop.svc.cluster.local. 5 IN A 10.96.0.10\tService shop/web at ${file}:5`]);

    // A name that does not: NXDOMAIN with explain's reasons and near names; the near name is one click away.
    await page.uncheck('#as-pod');
    await page.fill('#explain-name', 'web.shopp.svc.cluster.local');
    await page.click('#explain-form button[type=submit]');
    await page.locator('#explain-result .verdict').filter({ hasText: 'NXDOMAIN' }).waitFor();
    expect(await page.locator('#explain-result .hint').allInnerTexts()).toEqual([
      '→ namespace "shopp" does not exist',
      '→ namespace "shop" exists: did you mean web.shop.svc.cluster.local.? explain web.shop.svc.cluster.local.',
    ]);
    await page.click('#explain-result .hint button');
    await page.locator('#explain-result .verdict').filter({ hasText: 'NOERROR' }).waitFor();

    // Live queries: dig's query arrives over the stream, with rcode, answer and how it was answered.
    await page.locator('#stream-state').filter({ hasText: 'live' }).waitFor();
    expect(await dig(port, 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    const webRow = page.locator('#queries tbody tr[data-name="web.shop.svc.cluster.local."]').first();
    await webRow.waitFor();
    expect((await webRow.innerText()).split('\t').slice(1)).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/), 'udp', 'web.shop.svc.cluster.local.', 'A', 'NOERROR', 'A 10.96.0.10', expect.stringMatching(/^\d+\.\d\d$/), 'cluster']);
    await dig(port, 'gone.shop.svc.cluster.local');
    await page.locator('#queries tbody tr[data-name="gone.shop.svc.cluster.local."]').first().waitFor();

    // Paused: new queries are held and counted, shown on resume.
    await page.click('#pause');
    await dig(port, 'db.shop.svc.cluster.local');
    await page.locator('#stream-state').filter({ hasText: 'paused: 1 new' }).waitFor();
    expect(await page.locator('#queries tbody tr[data-name="db.shop.svc.cluster.local."]').count()).toBe(0);
    await page.click('#pause');
    await page.locator('#queries tbody tr[data-name="db.shop.svc.cluster.local."]').first().waitFor();

    // Filters and the name explained live in the URL, so a link (or a reload) reproduces the view.
    await page.selectOption('#f-rcode', 'NXDOMAIN');
    await page.waitForURL(/\/ui\?rcode=NXDOMAIN&explain=web\.shop\.svc\.cluster\.local\.&type=A$/);
    await page.locator('#queries tbody tr[data-name="web.shop.svc.cluster.local."]').first().waitFor({ state: 'detached' });
    await page.reload();
    expect(await page.inputValue('#f-rcode')).toBe('NXDOMAIN');
    await page.locator('#explain-result .verdict').filter({ hasText: 'web.shop.svc.cluster.local.' }).waitFor();
    await page.locator('#queries tbody tr[data-name="gone.shop.svc.cluster.local."]').first().waitFor();
    expect(await page.locator('#queries tbody tr').evaluateAll((rows) => rows.map((r) => r.children[5]!.textContent))).toEqual(['NXDOMAIN']);

    // Failed names: grouped with a count; one click opens the explanation.
    await dig(port, 'gone.shop.svc.cluster.local');
    const failed = page.locator('#failed tbody tr[data-name="gone.shop.svc.cluster.local."]');
    await failed.locator('td:nth-child(4)').filter({ hasText: /^2$/ }).waitFor();
    await failed.click();
    await page.locator('#explain-result .verdict').filter({ hasText: 'gone.shop.svc.cluster.local.' }).waitFor();
    expect(await page.locator('#explain-result .verdict .badge').innerText()).toBe('NXDOMAIN');
    expect(await page.locator('#explain-result .hint').allInnerTexts()).toContain('→ namespace "shop" has no service "gone"');

    // A broken file: its source card turns red with file:line; the last good content keeps serving.
    writeFileSync(file, readFileSync(file, 'utf8').replace('clusterIP: 10.96.0.10', 'clusterIP: 10.96.0.300'));
    await server.reload();
    const filesCard = page.locator('#sources .card.bad').filter({ hasText: 'files:' });
    await filesCard.filter({ hasText: `${file}:5:` }).waitFor();
    expect(await filesCard.locator('.problem').allInnerTexts()).toEqual([`${file}:5: services.web.clusterIP: "10.96.0.300" is not an IP address`]);
    expect(await filesCard.innerText()).toContain(`last good content keeps serving: ${file}`);
    expect(await dig(port, 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');

    // The registry: namespaces → services → records.
    await page.locator('#registry details[data-key="shop"] > summary').click();
    await page.locator('#registry details[data-key="shop/web"] > summary').click();
    expect(await page.locator('#registry details[data-key="shop/web"]').innerText()).toContain('web.shop.svc.cluster.local. 5 IN A 10.96.0.10');

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/ui.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(requested.every((u) => u.startsWith(`${base}/`))).toBe(true);
  });

  it('with a token: asks for it once, keeps it in memory only, and never puts it in a URL', { timeout: 120_000 }, async () => {
    const { server, port } = await startServer({ zones: ['zones'], http: '127.0.0.1:0', httpToken: 'ui-s3cret' });
    const base = `http://127.0.0.1:${server.httpAddress!.port}`;
    const context = await openBrowser();
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${base}/ui`);
    await page.locator('#token-form').waitFor();
    expect(await page.locator('#ready').innerText()).toBe('…');
    await page.fill('#token', 'ui-s3cret');
    await page.click('#token-form button');
    await page.locator('#ready').filter({ hasText: 'ready' }).waitFor();
    await page.locator('#stream-state').filter({ hasText: 'live' }).waitFor();
    await dig(port, 'web.shop.svc.cluster.local');
    await page.locator('#queries tbody tr[data-name="web.shop.svc.cluster.local."]').first().waitFor();
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    expect(requested.filter((u) => u.includes('s3cret'))).toEqual([]);
    // A string runs in the page (the test's own types have no DOM).
    const stored = await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })');
    expect(stored).toBe('{"local":{},"session":{},"cookie":""}');
  });
});
