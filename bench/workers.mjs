// `--workers` on this machine: what two workers cost against one process when both get ONE core
// (the scaling figure needs a machine with cores to spare), whether every answer stays right, and
// what publishing a large registry to the workers costs. Servers run pinned to core 0 (taskset;
// workers inherit it), dnsperf to core 1. QPS per server core = queries completed / CPU seconds of
// the whole process group (primary and workers). Needs dnsperf and taskset; `npm run build` first.
//   node bench/workers.mjs   (BENCH_SECONDS=8 BENCH_REPS=3 BENCH_MIX=realistic BENCH_PARTS=throughput,registration)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { cpus, loadavg } from 'node:os';
import { writeBenchFiles } from './generate.mjs';

const WORK = new URL('./.work/', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const MIX = process.env.BENCH_MIX ?? 'realistic';
const SAMPLE = 200;
const CLK_TCK = 100;

/** The process and every descendant (the workers), from /proc. */
function processTree(pid) {
  const out = [pid];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(...processTree(Number(child)));
  }
  return out;
}
const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const groupTicks = (pid) => processTree(pid).reduce((sum, p) => sum + cpuTicks(p), 0);
const groupRssMiB = (pid) => processTree(pid).reduce((sum, p) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]) / 1024, 0);

async function start(file, workers, logLevel = 'info') {
  // taskset on the primary: node:cluster's workers inherit the affinity, so all share core 0.
  const child = spawn('taskset', ['-c', '0', process.execPath, 'dist/main.js', '--zones', file, '--port', '0', '--http', '127.0.0.1:0', '--upstream', 'none', '--log-level', logLevel, '--log-format', 'json', '--watch', 'false', '--workers', String(workers)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  // "listening" comes once every worker listens and serves the registry: it names both ports.
  const listening = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
    child.stderr.on('data', () => {
      const line = log.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve(JSON.parse(line));
    });
  });
  return { child, pid: child.pid, port: listening.udp.port, http: listening.http.port, log: () => log };
}

async function stop(server) {
  server.child.kill('SIGINT');
  await new Promise((r) => server.child.once('exit', r));
}

function dnsperf(port, file, extra) {
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file, ...extra], { encoding: 'utf8' });
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  return { qps: num(/Queries per second:\s+([\d.]+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/) };
}

/** Asks the sample through c-ares, a fresh client port per query, and counts answers that differ. */
async function check(port, sample) {
  let wrong = 0;
  for (const e of sample) {
    const resolver = new Resolver({ timeout: 2000, tries: 3 });
    resolver.setServers([`127.0.0.1:${port}`]);
    let got;
    try {
      if (e.type === 'A') got = await resolver.resolve4(e.name);
      else if (e.type === 'AAAA') got = await resolver.resolve6(e.name);
      else if (e.type === 'SRV') got = (await resolver.resolveSrv(e.name)).map((s) => `${s.priority} ${s.weight} ${s.port} ${s.name}.`);
      else got = (await resolver.resolvePtr(e.name)).map((n) => `${n}.`);
    } catch (error) {
      got = error.code === 'ENOTFOUND' ? 'NXDOMAIN' : error.code === 'ENODATA' ? [] : error.code;
    }
    const expected = e.rcode === 3 ? 'NXDOMAIN' : e.answers;
    if (JSON.stringify(Array.isArray(got) ? [...got].sort() : got) !== JSON.stringify(Array.isArray(expected) ? [...expected].sort() : expected)) wrong++;
  }
  return wrong;
}

async function perWorker(http) {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  return [...text.matchAll(/^cluster_dns_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
}

async function measure(set, workers) {
  const server = await start(set.files.json, workers);
  try {
    const mix = set.mixes[MIX];
    dnsperf(server.port, mix.file, ['-l', '2', '-c', '8', '-q', '400']); // warm-up: JIT, load garbage
    const t0 = groupTicks(server.pid);
    const run = dnsperf(server.port, mix.file, ['-l', String(SECONDS), '-c', '8', '-q', '400']);
    const cpuSeconds = (groupTicks(server.pid) - t0) / CLK_TCK;
    const sample = mix.expect.filter((_, i) => i % Math.ceil(mix.expect.length / SAMPLE) === 0);
    const wrong = await check(server.port, sample);
    return { workers, qps: run.qps, perCore: run.completed / cpuSeconds, cpuSeconds, lost: run.lost, wrong, checked: sample.length, split: workers > 1 ? await perWorker(server.http) : [], rssMiB: groupRssMiB(server.pid) };
  } finally {
    await stop(server);
  }
}

/** A registration on a running server: the build, and with workers the snapshot to each and the acks. */
async function registrationMs(set, workers) {
  const server = await start(set.files.json, workers, 'debug');
  try {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${server.http}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: `namespace: bench\nservices:\n  s${i}: { clusterIP: 10.97.0.${i + 1} }\n` });
      if (res.status !== 200) throw new Error(`registration: ${res.status}`);
      times.push(performance.now() - t);
    }
    const field = (msg, key) => [...server.log().matchAll(new RegExp(`"${key}":([\\d.]+)[^\\n]*"msg":"${msg}"`, 'g'))].map((m) => Number(m[1]));
    const rss = processTree(server.pid).map((p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]) / 1024);
    return { rss, ms: median(times), builds: field('registry updated', 'durationMs'), bytes: field('registry encoded for the workers', 'bytes'), encodeMs: field('registry encoded for the workers', 'encodeMs'), sentBytes: field('registry snapshot sent', 'bytes'), readMs: field('registry received', 'readMs') };
  } finally {
    await stop(server);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(1));

async function main() {
  console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const sets = writeBenchFiles(WORK);
  const parts = (process.env.BENCH_PARTS ?? 'throughput,registration').split(',');
  if (parts.includes('throughput')) await throughput(sets);
  if (parts.includes('registration')) {
    const one = await registrationMs(sets.large, 1);
    const two = await registrationMs(sets.large, 2);
    console.log(`\nlarge registry, one registration (POST until every process serves it), median of 5: 1 process ${one.ms.toFixed(0)} ms (build ${median(one.builds).toFixed(0)} ms), --workers 2 ${two.ms.toFixed(0)} ms (build ${median(two.builds).toFixed(0)} ms; snapshot ${(median(two.bytes) / 1e6).toFixed(1)} MB encoded in ${median(two.encodeMs).toFixed(0)} ms; sent to a worker: ${(two.sentBytes[0] / 1e6).toFixed(1)} MB at start, then a median of ${(median(two.sentBytes.slice(2)) / 1e3).toFixed(0)} kB per change, read in ${median(two.readMs.slice(2)).toFixed(0)} ms; both workers on the one core); RSS MiB: 1 process ${one.rss.map((r) => r.toFixed(0)).join(' + ')}, --workers 2 ${two.rss.map((r) => r.toFixed(0)).join(' + ')} (primary + workers)`);
  }
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

async function throughput(sets) {
  const rows = { 1: [], 2: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const workers of rep % 2 ? [2, 1] : [1, 2]) {
      const r = await measure(sets.small, workers);
      rows[workers].push(r);
      console.log(`  rep ${rep + 1}, --workers ${workers}: ${fmt(r.perCore)} per core, ${fmt(r.qps)} QPS (load average ${loadavg()[0].toFixed(2)})`);
    }
  }
  console.log(`\nsmall registry, ${MIX} mix, ${SECONDS} s, medians of ${REPS} (range), every process on core 0, dnsperf on core 1:`);
  console.log('| processes on core 0 | QPS per server core | QPS | lost | wrong / checked | split over workers | RSS MiB (all) |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const workers of [1, 2]) {
    const r = rows[workers];
    const per = r.map((x) => x.perCore);
    console.log(`| ${workers === 1 ? '1 (--workers 1)' : 'primary + 2 workers (--workers 2)'} | ${fmt(median(per))} (${fmt(Math.min(...per))}–${fmt(Math.max(...per))}) | ${fmt(median(r.map((x) => x.qps)))} | ${r.reduce((s, x) => s + x.lost, 0)} | ${r.reduce((s, x) => s + x.wrong, 0)} / ${r.reduce((s, x) => s + x.checked, 0)} | ${workers > 1 ? r.map((x) => x.split.join('/')).join(', ') : '—'} | ${median(r.map((x) => x.rssMiB)).toFixed(0)} |`);
  }
  const overhead = 1 - median(rows[2].map((x) => x.perCore)) / median(rows[1].map((x) => x.perCore));
  // Runs of one repetition are back to back: their ratio is less exposed to a machine drifting.
  const paired = rows[2].map((x, i) => 1 - x.perCore / rows[1][i].perCore);
  console.log(`\ncost of two workers on one core: ${(overhead * 100).toFixed(1)} % of QPS per core (medians); per repetition ${paired.map((p) => `${(p * 100).toFixed(1)} %`).join(', ')}, median ${(median(paired) * 100).toFixed(1)} %`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
