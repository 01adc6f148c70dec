/**
 * Event storm: the built CLI mirrors a 10,000-service cluster served by the fake HTTPS API, then
 * 1,000 EndpointSlice updates arrive within one second; measures how long after the last update
 * its answer is served, checks a sample of the other updates, and counts the snapshot builds.
 * Run: npm run build && npx vite-node scripts/event-storm.ts   (STORM_SERVICES, STORM_UPDATES)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryUdp } from '../test/helpers/dns-client.js';
import { startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { endpointSlice, namespace, service } from '../test/helpers/kube-objects.js';

const SERVICES = Number(process.env.STORM_SERVICES ?? 10_000);
const UPDATES = Number(process.env.STORM_UPDATES ?? 1_000);
const TOKEN = 'storm-token';

const ipOf = (n: number, base: number) => `10.${base}.${(n >> 8) & 255}.${n & 255}`;
const name = (i: number) => `svc-${String(i).padStart(5, '0')}`;

const api = await startFakeKubeApi({ tokens: [TOKEN] });
api.put('namespaces', namespace('storm'));
for (let i = 0; i < SERVICES; i++) {
  // Headless services answer with their endpoints, so every slice update changes an answer.
  api.put('services', service('storm', name(i), 'None'));
  api.put('endpointslices', endpointSlice('storm', name(i), `${name(i)}-a`, [ipOf(i, 1)]));
}

const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-storm-'));
mkdirSync(join(dir, 'zones'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'fake',
    clusters: [{ name: 'fake', cluster: { server: api.url, 'certificate-authority-data': Buffer.from(api.caCert).toString('base64') } }],
    users: [{ name: 'u', user: { token: TOKEN } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
  }),
);

const started = performance.now();
const child = spawn(process.execPath, ['dist/main.js', '--kubeconfig', kubeconfig, '--zones', join(dir, 'zones'), '--upstream', 'none', '--port', '0', '--http', '127.0.0.1:0', '--shutdown-grace', '0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
const until = async <T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 120_000): Promise<T> => {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

try {
  const port = await until(() => (/"msg":"listening"/.test(stderr) ? Number(/"udp":\{[^}]*"port":(\d+)/.exec(stderr)![1]) : undefined), 'listening');
  const http = Number(/"http":\{[^}]*"port":(\d+)/.exec(stderr)![1]);
  let unanswered = 0;
  const answer = async (i: number) => {
    try {
      return (await queryUdp(port, `${name(i)}.storm.svc.cluster.local`, 'A')).answer.map((rr) => rr.split(/\s+/).at(-1)).join(',');
    } catch {
      unanswered++; // no reply within 2 s: counted, asked again
      return '';
    }
  };
  await until(async () => ((await fetch(`http://127.0.0.1:${http}/ready`)).status === 200 ? true : undefined), 'ready');
  await until(async () => ((await answer(SERVICES - 1)) === ipOf(SERVICES - 1, 1) ? true : undefined), 'the initial sync');
  const syncedMs = performance.now() - started;
  const builds = async () => {
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    return Number(/cluster_dns_registry_reloads_total\{result="success"\} (\d+)/.exec(text)?.[1] ?? NaN);
  };
  const buildsBefore = await builds();

  // UPDATES slice updates spread evenly over one second, in ten batches; the last one is the last service.
  const targets = Array.from({ length: UPDATES }, (_, k) => Math.floor((k * SERVICES) / UPDATES) + (SERVICES / UPDATES - 1));
  const stormStart = performance.now();
  for (let batch = 0; batch < 10; batch++) {
    const due = stormStart + batch * 100;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    for (const i of targets.slice((batch * UPDATES) / 10, ((batch + 1) * UPDATES) / 10)) api.put('endpointslices', endpointSlice('storm', name(i), `${name(i)}-a`, [ipOf(i, 2)]));
  }
  const lastSent = performance.now();
  const last = targets.at(-1)!;
  await until(async () => ((await answer(last)) === ipOf(last, 2) ? true : undefined), 'the last update', 60_000);
  const lastAnsweredMs = performance.now() - lastSent;
  const wrong: string[] = [];
  for (const i of targets.filter((_, k) => k % 50 === 0)) if ((await answer(i)) !== ipOf(i, 2)) wrong.push(name(i));
  const result = {
    services: SERVICES,
    updates: UPDATES,
    stormSeconds: Math.round(lastSent - stormStart) / 1000,
    initialSyncSeconds: Math.round(syncedMs) / 1000,
    lastUpdateAnsweredMs: Math.round(lastAnsweredMs),
    snapshotBuildsDuringStorm: (await builds()) - buildsBefore,
    sampledWrongAnswers: wrong,
    queriesUnansweredWithin2s: unanswered,
  };
  console.log(JSON.stringify(result, null, 2));
  if (wrong.length > 0) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await api.close();
}
