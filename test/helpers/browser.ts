/**
 * A real browser for tests: Debian's chromium driven by playwright-core (never a downloaded build).
 * Skipped with a reason where chromium is absent; CI installs it (.ci/run), so there it runs.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CLUSTER_DNS_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CLUSTER_DNS_TEST_CHROMIUM)`;
}

/**
 * Launches headless chromium (playwright gives it a fresh temporary profile). `hostRules` maps names to addresses inside the
 * browser only (`MAP attacker.test 127.0.0.1`): a page on a foreign name, as DNS rebinding makes one.
 */
export async function launchBrowser(options: { hostRules?: string } = {}): Promise<{ browser: Browser; close: () => Promise<void> }> {
  // Without the background-networking flags chromium keeps dialling Google's hosts, which this
  // machine's closed network refuses.
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    ...(options.hostRules ? [`--host-resolver-rules=${options.hostRules}`] : []),
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  return { browser, close: () => browser.close() };
}
