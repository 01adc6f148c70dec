/**
 * Event storm and sustained churn: the built CLI (pinned to one core) mirrors a large cluster served
 * by the in-process fake HTTPS API (10,000 ClusterIP services and 1,000 headless services × 20
 * endpoints in 400 namespaces), then
 * 1. a burst: 1,000 EndpointSlice updates within one second; how long after the last one its answer is served;
 * 2. churn: 100 EndpointSlice changes per second (one endpoint's address each) for 60 s, while a
 *    sampler asks an unrelated, unchanged ClusterIP name every 10 ms and a checker polls each changed
 *    endpoint name until the new address appears;
 * and prints server CPU, change served p50/p99, unrelated-name p50/p99/max, unanswered queries and
 * RSS, each against the targets of issue 18 as met / not met.
 * Run: npm run storm   (STORM_SERVICES, STORM_HEADLESS, STORM_ENDPOINTS, STORM_NAMESPACES, STORM_RATE,
 * STORM_SECONDS, STORM_WORKERS, STORM_CORE: the core to pin the server to, "none" not to pin)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryUdp } from '../test/helpers/dns-client.js';
import { startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { pollUntil, writeFakeKubeconfig } from './lib/fake-api-cli.js';
import { endpointSlice, namespace, service } from '../test/helpers/kube-objects.js';

const SERVICES = Number(process.env.STORM_SERVICES ?? 10_000);
const HEADLESS = Number(process.env.STORM_HEADLESS ?? 1_000);
const ENDPOINTS = Number(process.env.STORM_ENDPOINTS ?? 20);
const NAMESPACES = Number(process.env.STORM_NAMESPACES ?? 400);
const RATE = Number(process.env.STORM_RATE ?? 100);
const SECONDS = Number(process.env.STORM_SECONDS ?? 60);
const BURST = Math.min(1_000, HEADLESS);
const WORKERS = Number(process.env.STORM_WORKERS ?? 0);
const CORE = process.env.STORM_CORE ?? String(Math.max(0, cpus().length - 1));
const TOKEN = 'storm-token';
const ZONE = 'cluster.local';

/** Issue 18's targets. */
const TARGETS = { cpuPercent: 15, changeP99Ms: 50, unrelatedP99Ms: 2, unanswered: 0, rssMiB: 150, burstMs: 200, firstSyncS: 3 };

const nsOf = (i: number) => `ns-${i % NAMESPACES}`;
const svcName = (i: number) => `svc-${i}`;
const hlName = (h: number) => `hl-${h}`;
const clusterIp = (i: number) => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
/** Endpoint e (< 64) of headless service h (< 1024), in its v-th version: distinct for every (h, e). */
const endpointIp = (h: number, e: number, v: number) => `10.${128 + (v % 64)}.${(h >> 2) & 255}.${((h & 3) << 6) | e}`;
const versions = new Map<number, number[]>(); // h → the version of each endpoint

function slice(h: number): Record<string, unknown> {
  const v = versions.get(h) ?? new Array<number>(ENDPOINTS).fill(0);
  return endpointSlice(nsOf(h), hlName(h), `${hlName(h)}-a`, v.map((version, e) => endpointIp(h, e, version)));
}

const api = await startFakeKubeApi({ tokens: [TOKEN] });
for (let n = 0; n < NAMESPACES; n++) api.put('namespaces', namespace(`ns-${n}`));
for (let i = 0; i < SERVICES; i++) api.put('services', service(nsOf(i), svcName(i), clusterIp(i)));
for (let h = 0; h < HEADLESS; h++) {
  api.put('services', service(nsOf(h), hlName(h), 'None'));
  api.put('endpointslices', slice(h));
}

const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-storm-'));
mkdirSync(join(dir, 'zones'));
const kubeconfig = join(dir, 'kubeconfig');
writeFakeKubeconfig(kubeconfig, api, TOKEN);

const serverArgs = ['dist/main.js', '--kubeconfig', kubeconfig, '--zones', join(dir, 'zones'), '--upstream', 'none', '--port', '0', '--http', '127.0.0.1:0', '--shutdown-grace', '0', ...(WORKERS > 0 ? ['--workers', String(WORKERS)] : [])];
const [command, args] = CORE === 'none' ? [process.execPath, serverArgs] : ['taskset', ['-c', CORE, process.execPath, ...serverArgs]];
const started = performance.now();
const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-200_000)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = <T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 300_000) => pollUntil(check, what, () => stderr, ms);

/** The server and its worker processes (taskset execs node in place, so child.pid is the server). */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}
/** CPU seconds (user + system) of the server's process tree. */
function cpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}
function rssMiB(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return Math.round(kb / 1024);
}
const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const verdict = (value: number, target: number) => ({ value, target, met: value <= target });

try {
  const port = await until(() => (/"msg":"listening"/.test(stderr) ? Number(/"udp":\{[^}]*"port":(\d+)/.exec(stderr)![1]) : undefined), 'listening');
  const http = Number(/"http":\{[^}]*"port":(\d+)/.exec(stderr)![1]);
  let unanswered = 0;
  /** The A answer as comma-joined addresses; '' when no reply came within 2 s (counted). */
  const answer = async (name: string) => {
    try {
      return (await queryUdp(port, name, 'A')).answer.map((rr) => rr.split(/\s+/).at(-1)).join(',');
    } catch {
      unanswered++;
      return '';
    }
  };
  const endpointName = (h: number, e: number) => `${hlName(h)}-${e}.${hlName(h)}.${nsOf(h)}.svc.${ZONE}`;
  const lastName = `${hlName(HEADLESS - 1)}.${nsOf(HEADLESS - 1)}.svc.${ZONE}`;
  await until(async () => ((await answer(lastName)).split(',').length === ENDPOINTS ? true : undefined), 'the initial sync');
  const firstSyncS = (performance.now() - started) / 1000;
  const rssAfterSync = rssMiB(child.pid!);

  // 1. Burst: BURST updates spread over one second in ten batches; the last one is the last service's.
  const burstTargets = Array.from({ length: BURST }, (_, k) => HEADLESS - BURST + k);
  const change = (h: number, e: number) => {
    const v = versions.get(h) ?? new Array<number>(ENDPOINTS).fill(0);
    v[e] = v[e]! + 1;
    versions.set(h, v);
    api.put('endpointslices', slice(h));
    return endpointIp(h, e, v[e]!);
  };
  const burstStart = performance.now();
  let lastExpected = '';
  for (let batch = 0; batch < 10; batch++) {
    await sleep(Math.max(0, burstStart + batch * 100 - performance.now()));
    for (const h of burstTargets.slice((batch * BURST) / 10, ((batch + 1) * BURST) / 10)) lastExpected = change(h, 0);
  }
  const burstSent = performance.now();
  const lastH = burstTargets.at(-1)!;
  await until(async () => ((await answer(endpointName(lastH, 0))) === lastExpected ? true : undefined), 'the last burst update', 60_000);
  const burstServedMs = performance.now() - burstSent;
  await sleep(1000);

  // 2. Churn: RATE changes per second for SECONDS, a sampler and a checker per change.
  const unrelated = `${svcName(1)}.${nsOf(1)}.svc.${ZONE}`;
  const unrelatedIp = clusterIp(1);
  const unrelatedMs: number[] = [];
  const servedMs: number[] = [];
  let wrongUnrelated = 0;
  let notServed = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = performance.now();
      const got = await answer(unrelated);
      if (got === unrelatedIp) unrelatedMs.push(performance.now() - t);
      else if (got !== '') wrongUnrelated++;
      await sleep(Math.max(0, 10 - (performance.now() - t)));
    }
  })();
  const checks: Promise<void>[] = [];
  const check = async (name: string, expected: string, sentAt: number) => {
    const deadline = sentAt + 10_000;
    while (performance.now() < deadline) {
      if ((await answer(name)) === expected) {
        servedMs.push(performance.now() - sentAt);
        return;
      }
      await sleep(2);
    }
    notServed++;
  };
  const cpuBefore = cpuSeconds(child.pid!);
  const churnStart = performance.now();
  const total = RATE * SECONDS;
  for (let k = 0; k < total; k++) {
    await sleep(Math.max(0, churnStart + (k * 1000) / RATE - performance.now()));
    const h = (k * 7919) % HEADLESS; // spread over every headless service
    const e = k % ENDPOINTS;
    const expected = change(h, e);
    checks.push(check(endpointName(h, e), expected, performance.now()));
  }
  const churnSeconds = (performance.now() - churnStart) / 1000;
  const cpuPercent = ((cpuSeconds(child.pid!) - cpuBefore) / churnSeconds) * 100;
  await Promise.all(checks);
  sampling = false;
  await sampler;
  const rssAfterChurn = rssMiB(child.pid!);

  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), shared; server pinned to core ${CORE}${WORKERS ? `, --workers ${WORKERS}` : ''}`,
    cluster: { services: SERVICES, headless: HEADLESS, endpointsEach: ENDPOINTS, namespaces: NAMESPACES },
    firstSyncSeconds: verdict(round(firstSyncS, 2), TARGETS.firstSyncS),
    rssAfterSyncMiB: verdict(rssAfterSync, TARGETS.rssMiB),
    burst: { updates: BURST, lastServedAfterMs: verdict(Math.round(burstServedMs), TARGETS.burstMs) },
    churn: {
      changesPerSecond: RATE,
      seconds: round(churnSeconds),
      serverCpuPercent: verdict(round(cpuPercent), TARGETS.cpuPercent),
      changeServedP50Ms: round(percentile(servedMs, 50)),
      changeServedP99Ms: verdict(round(percentile(servedMs, 99)), TARGETS.changeP99Ms),
      changesNotServedWithin10s: notServed,
      unrelatedP50Ms: round(percentile(unrelatedMs, 50), 2),
      unrelatedP99Ms: verdict(round(percentile(unrelatedMs, 99), 2), TARGETS.unrelatedP99Ms),
      unrelatedMaxMs: round(Math.max(...unrelatedMs), 1),
      unrelatedSamples: unrelatedMs.length,
      unrelatedWrong: wrongUnrelated,
      queriesUnansweredWithin2s: verdict(unanswered, TARGETS.unanswered),
      rssAfterMiB: verdict(rssAfterChurn, TARGETS.rssMiB),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  if (notServed > 0 || wrongUnrelated > 0) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await api.close();
}
