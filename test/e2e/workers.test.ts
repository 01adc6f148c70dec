/**
 * `--workers 2`: the built CLI with two worker processes on one port (reusePort where Node has it,
 * node:cluster's shared handles on Node 20), driven by dig and Node's Resolver over UDP and TCP.
 * Which worker answered is read from cluster_dns_worker_requests_total, so "every worker" is a fact
 * the test checks, not a hope.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { dig, execFileAsync, hasDig, startCli, type RunningCli } from '../helpers/cli.js';
import { buildQuery, decodeReply, queryTcp, sendUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { questionOf, reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';

/** The HTTP port from the primary's "listening" line. */
function httpPort(cli: RunningCli): number {
  const line = cli.stderr().split('\n').find((l) => l.includes('"msg":"listening"'))!;
  return (JSON.parse(line) as { http: { port: number } }).http.port;
}

/** The pid of each worker slot, the latest "worker listening" line per slot. */
function workerPids(cli: RunningCli): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of cli.stderr().split('\n')) {
    if (!line.includes('"msg":"worker listening"')) continue;
    const entry = JSON.parse(line) as { worker: number; pid: number };
    pids.set(entry.worker, entry.pid);
  }
  return pids;
}

async function metricsText(http: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
}

/** Sum of the samples of one metric name (all label sets). */
function sum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

function perWorker(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cluster_dns_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

const ready = async (http: number) => (await fetch(`http://127.0.0.1:${http}/ready`)).status;

/** One query over UDP from a fresh socket (a fresh source port): the A answers, or undefined when none came. */
async function askUdp(port: number, name: string, timeoutMs = 10_000): Promise<string | undefined> {
  const reply = await sendUdp(port, buildQuery(name, 'A', { id: Math.floor(Math.random() * 65536) }), '127.0.0.1', timeoutMs);
  if (!reply) return undefined;
  const decoded = decodeReply(reply);
  return `${decoded.rcode} ${decoded.answer.join(', ')}`;
}

async function askTcp(port: number, name: string): Promise<string> {
  const decoded = await queryTcp(port, name, 'A');
  return `${decoded.rcode} ${decoded.answer.join(', ')}`;
}

/**
 * Asks `name` in bursts over UDP (a fresh source port each) and TCP (a fresh connection each) until
 * each of the workers has answered at least `each` more queries than before; returns every
 * distinct answer seen (which must then be one).
 */
async function askEveryWorker(cli: RunningCli, name: string, workers = 2, each = 3): Promise<Set<string>> {
  const http = httpPort(cli);
  const before = perWorker(await metricsText(http));
  const answers = new Set<string>();
  await pollUntil(async () => {
    const burst = await Promise.all([...Array.from({ length: 8 }, () => askUdp(cli.port, name)), ...Array.from({ length: 4 }, () => askTcp(cli.port, name))]);
    for (const a of burst) answers.add(a ?? 'no answer');
    const now = perWorker(await metricsText(http));
    const hit = Array.from({ length: workers }, (_, i) => String(i + 1)).every((w) => (now.get(w) ?? 0) - (before.get(w) ?? 0) >= each);
    return hit ? true : undefined;
  }, 50_000, 0);
  return answers;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function zonesDir(ip: string): { dir: string; write: (ip: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-workers-'));
  const write = (address: string) => writeFileSync(join(dir, 'shop.yaml'), `namespace: shop\nservices:\n  web: { clusterIP: ${address}, ports: [http:80] }\n`);
  write(ip);
  return { dir, write };
}

describe.skipIf(!hasDig && !process.env.CI)('--workers 2: one port, two processes, one registry build', () => {
  it('answers over UDP and TCP from both workers (dig and Node’s Resolver), and /metrics adds up both workers’ counts', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', 'none']);
    const http = httpPort(cli);
    expect(workerPids(cli).size).toBe(2);
    expect(await ready(http)).toBe(200);
    // Both socket paths run in CI: reusePort on the current LTS, the cluster's shared handles on Node 20.
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 23) expect(cli.stderr()).toMatch(/"sharing":"reuse-port"[^\n]*"msg":"workers listening"/);
    if (major <= 20) expect(cli.stderr()).toMatch(/"sharing":"cluster"[^\n]*"msg":"workers listening"/);
    expect(cli.stderr().match(/"msg":"registry loaded"/g)).toHaveLength(1); // one build, not one per worker

    expect(await askEveryWorker(cli, 'web.shop.svc.cluster.local')).toEqual(new Set(['NOERROR web.shop.svc.cluster.local. 5 IN A 10.96.0.10']));

    // K queries in, K counted: the primary asks every worker for its cells at scrape time.
    const before = sum(await metricsText(http), 'coredns_dns_requests_total');
    const resolver = new Resolver({ timeout: 10_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${cli.port}`]);
    for (let i = 0; i < 5; i++) {
      expect(await dig(cli.port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
      expect(await dig(cli.port, '+short', '+tcp', '_http._tcp.web.shop.svc.cluster.local', 'SRV')).toBe('0 100 80 web.shop.svc.cluster.local.\n');
      expect(await resolver.resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.10']);
      await expect(resolver.resolve4('nope.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    }
    const text = await metricsText(http);
    expect(sum(text, 'coredns_dns_requests_total') - before).toBe(20);
    expect(sum(text, 'coredns_dns_responses_total')).toBe(sum(text, 'coredns_dns_requests_total'));
    expect(sum(text, 'cluster_dns_worker_requests_total')).toBe(sum(text, 'coredns_dns_requests_total'));
    expect(text).toMatch(/^cluster_dns_worker_restarts_total 0$/m);
    expect(text).toMatch(/^cluster_dns_registry_reloads_total\{result="success"\} 1$/m);
  });

  it('a changed file and a registration reach every worker, and /ready waits for all of them', async () => {
    const zones = zonesDir('10.96.0.10');
    const cli = await startCli(['--workers', '2', '--upstream', 'none', '--zones', zones.dir]);
    const http = httpPort(cli);
    const [, second] = [...workerPids(cli).entries()].sort(([a], [b]) => a - b).map(([, pid]) => pid);

    // Worker 2 is stopped: it cannot take the next snapshot, so the group is not ready until it does.
    process.kill(second!, 'SIGSTOP');
    let lost = 0;
    try {
      zones.write('10.96.0.11');
      await pollUntil(async () => {
        const answer = await askUdp(cli.port, 'web.shop.svc.cluster.local', 300);
        if (answer === undefined) lost++;
        return answer?.includes('10.96.0.11') ? true : undefined;
      });
      expect(await ready(http)).toBe(503);
    } finally {
      process.kill(second!, 'SIGCONT');
    }
    await pollUntil(async () => ((await ready(http)) === 200 ? true : undefined));
    // Queries worker 2 received while stopped are answered late into closed sockets: ask beyond them.
    expect(await askEveryWorker(cli, 'web.shop.svc.cluster.local', 2, 3 + lost)).toEqual(new Set(['NOERROR web.shop.svc.cluster.local. 5 IN A 10.96.0.11']));

    // A registration resolves once every worker serves it: no polling needed after the POST.
    const posted = await fetch(`http://127.0.0.1:${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n' });
    expect(posted.status).toBe(200);
    expect(await ready(http)).toBe(200);
    expect(await askEveryWorker(cli, 'api.dev.svc.cluster.local')).toEqual(new Set(['NOERROR api.dev.svc.cluster.local. 5 IN A 10.96.9.9']));

    // A burst of registrations: builds coalesce, workers skip outdated snapshots, and each POST
    // still returns only once every worker serves it.
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fetch(`http://127.0.0.1:${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: `namespace: burst-${i}\nservices:\n  s: { clusterIP: 10.96.10.${i + 1} }\n` })),
    );
    expect(burst.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(await askEveryWorker(cli, 's.burst-11.svc.cluster.local')).toEqual(new Set(['NOERROR s.burst-11.svc.cluster.local. 5 IN A 10.96.10.12']));
    expect(await askEveryWorker(cli, 's.burst-0.svc.cluster.local')).toEqual(new Set(['NOERROR s.burst-0.svc.cluster.local. 5 IN A 10.96.10.1']));
  });

  it('a change reaches the workers as a delta (the changed names), not a re-encoded snapshot', async () => {
    const zones = zonesDir('10.96.0.10');
    const cli = await startCli(['--workers', '2', '--upstream', 'none', '--zones', zones.dir, '--log-level', 'debug']);
    const http = httpPort(cli);
    const posted = await fetch(`http://127.0.0.1:${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n' });
    expect(posted.status).toBe(200);
    expect(await askEveryWorker(cli, 'api.dev.svc.cluster.local')).toEqual(new Set(['NOERROR api.dev.svc.cluster.local. 5 IN A 10.96.9.9']));
    expect(await askEveryWorker(cli, 'web.shop.svc.cluster.local')).toEqual(new Set(['NOERROR web.shop.svc.cluster.local. 5 IN A 10.96.0.10']));
    const applied = cli.stderr().split('\n').filter((l) => l.includes('"msg":"registry delta applied"')).map((l) => (JSON.parse(l) as { worker: number }).worker);
    expect(new Set(applied)).toEqual(new Set([1, 2]));
    // The registry was encoded once, for the workers' first snapshot, not again for the change.
    expect(cli.stderr().match(/"msg":"registry encoded for the workers"/g)).toHaveLength(1);
  });

  it('forwards from each worker with its own upstream client and reply cache; the primary adds up their forward and cache series', async () => {
    const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr(questionOf(q).name, 1, 300, [192, 0, 2, 10])] }));
    const cli = await startCli(['--workers', '2', '--upstream', `127.0.0.1:${upstream.port}`, '--upstream-timeout', '20000']); // no retry on a loaded machine
    // Twice round both workers: the first round may be all one shared query in flight per worker,
    // the second is answered from their caches (TTLs counting down from 300).
    const withoutTtl = (answers: Set<string>) => new Set([...answers].map((a) => a.replace(/ \d+ IN /, ' TTL IN ')));
    expect(withoutTtl(await askEveryWorker(cli, 'www.example.org'))).toEqual(new Set(['NOERROR www.example.org. TTL IN A 192.0.2.10']));
    expect(withoutTtl(await askEveryWorker(cli, 'www.example.org'))).toEqual(new Set(['NOERROR www.example.org. TTL IN A 192.0.2.10']));
    // One upstream query per worker: each has its own cache (and shares queries in flight).
    expect(upstream.queries.filter((q) => q.name === 'www.example.org')).toHaveLength(2);
    const text = await metricsText(httpPort(cli));
    expect(text).toMatch(new RegExp(`^coredns_forward_requests_total\\{to="127\\.0\\.0\\.1:${upstream.port}"\\} 2$`, 'm'));
    expect(sum(text, 'coredns_cache_entries')).toBe(2);
    expect(sum(text, 'coredns_cache_hits_total')).toBeGreaterThan(0);
    expect(text.match(/^# TYPE coredns_forward_requests_total counter$/gm)).toHaveLength(1);
  });

  it('replaces a worker killed with SIGKILL; it gets the current registry and answers; counters do not go backwards', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', 'none']);
    const http = httpPort(cli);
    await askEveryWorker(cli, 'web.shop.svc.cluster.local');
    const posted = await fetch(`http://127.0.0.1:${http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'namespace: dev\nservices:\n  api: { clusterIP: 10.96.9.9 }\n' });
    expect(posted.status).toBe(200);
    const counted = sum(await metricsText(http), 'coredns_dns_requests_total');
    const victim = workerPids(cli).get(1)!;

    process.kill(victim, 'SIGKILL');
    const replacement = await pollUntil(() => {
      const pid = workerPids(cli).get(1);
      return pid !== undefined && pid !== victim ? pid : undefined;
    });
    expect(alive(replacement)).toBe(true);
    expect(cli.stderr()).toMatch(/"worker":1,[^\n]*"signal":"SIGKILL"[^\n]*"msg":"worker exited; starting a replacement"/);
    await pollUntil(async () => ((await ready(http)) === 200 ? true : undefined));
    expect(await askEveryWorker(cli, 'api.dev.svc.cluster.local')).toEqual(new Set(['NOERROR api.dev.svc.cluster.local. 5 IN A 10.96.9.9']));
    const text = await metricsText(http);
    expect(sum(text, 'coredns_dns_requests_total')).toBeGreaterThan(counted);
    expect(text).toMatch(/^cluster_dns_worker_restarts_total 1$/m);
  });

  it('SIGTERM: the lame duck is not ready while the workers keep answering; a second signal exits at once, workers with it', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', 'none', '--shutdown-grace', '600000']);
    const http = httpPort(cli);
    const pids = [...workerPids(cli).values()];
    const exited = once(cli.child, 'exit');
    cli.child.kill('SIGTERM');
    await pollUntil(async () => ((await ready(http)) === 503 ? true : undefined));
    expect(await askEveryWorker(cli, 'web.shop.svc.cluster.local')).toEqual(new Set(['NOERROR web.shop.svc.cluster.local. 5 IN A 10.96.0.10']));
    expect(await dig(cli.port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    cli.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(143);
    await pollUntil(() => (pids.filter(alive).length === 0 ? true : undefined));
  });

  it('SIGTERM after the grace: the workers close, the primary exits 0, and no worker is left', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', 'none']); // --shutdown-grace 0
    const pids = [...workerPids(cli).values()];
    expect(pids).toHaveLength(2);
    const exited = once(cli.child, 'exit');
    // 'close' comes once every writer of the stderr pipe is gone: the primary and the workers.
    const closed = once(cli.child, 'close');
    cli.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    await closed;
    expect(cli.stderr().match(/"msg":"stopped"/g)).toHaveLength(3); // two workers, then the primary
  });

  it('a primary killed with SIGKILL leaves no orphan: the workers exit when its IPC channel closes', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', 'none']);
    const pids = [...workerPids(cli).values()];
    expect(pids.filter(alive)).toHaveLength(2);
    cli.child.kill('SIGKILL');
    await once(cli.child, 'exit');
    await pollUntil(() => (pids.filter(alive).length === 0 ? true : undefined));
  });

  it('a port another server holds is "address already in use", exit 1, with reusePort too (no silent sharing with a stranger)', async () => {
    const first = await startCli(['--workers', '2', '--upstream', 'none']);
    const second = execFileAsync(process.execPath, ['dist/main.js', '--workers', '2', '--port', String(first.port), '--http', 'off', '--upstream', 'none', '--log-level', 'silent']);
    await expect(second).rejects.toMatchObject({ code: 1, stderr: `cluster-dns: cannot listen on 127.0.0.1:${first.port}: address already in use\n` });
    expect(await dig(first.port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
  });

  it('a bad --workers is one line naming it, exit 2', async () => {
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--workers', '0'])).rejects.toMatchObject({
      code: 2,
      stderr: 'cluster-dns: --workers: expected a number of processes (1-1024) or auto, got "0"\n',
    });
    await expect(execFileAsync(process.execPath, ['dist/main.js'], { env: { ...process.env, CLUSTER_DNS_WORKERS: 'many' } })).rejects.toMatchObject({
      code: 2,
      stderr: 'cluster-dns: CLUSTER_DNS_WORKERS: expected a number of processes (1-1024) or auto, got "many"\n',
    });
  });
});
