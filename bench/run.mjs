// npm run bench: cluster-dns on both UDP engines side by side with Knot DNS, a dns2 baseline and
// no-DNS ceilings (node:dgram and native echo), in one run, under dnsperf on loopback. Servers run pinned to core 0 and dnsperf to core 1 (taskset).
// Every server is measured BENCH_REPS times (default 3, interleaved) and the table shows medians.
// Installs nothing: knotd, dnsperf and taskset must be on PATH (.ci/run installs them for CI).
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { cpus, totalmem, tmpdir, loadavg } from 'node:os';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeBenchFiles } from './generate.mjs';

const WORK = new URL('./.work/', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SIZES_WANTED = (process.env.BENCH_SIZES ?? 'small,large').split(',');
const LATENCY_QPS = 2000;
const SAMPLE = 200;
const CLK_TCK = 100;

/** Issue 12's targets, and issue 22's for the native engine (0.75× Knot, p99 ≤ 0.5 ms), checked against this run (never in unit tests). */
const TARGETS = { ofKnot: 0.75, metricsCost: 0.05, p99Ms: 0.5, rssMiB: 150, jsonLoadSeconds: 1, yamlPeakMiB: 500 };
/** The node:dgram engine before issue 22, README Speed (quiet machine, medians of six): no slower than this. */
const DGRAM_BEFORE = { small: 0.39, large: 0.39 };

function requireTools() {
  const missing = ['knotd', 'dnsperf', 'taskset'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    console.error(`bench: missing ${missing.join(', ')} on PATH (Debian: apt-get install -y knot dnsperf util-linux); nothing was run`);
    process.exit(2);
  }
  try {
    readFileSync(new URL('../build/Release/udp_engine.node', import.meta.url));
  } catch {
    console.error('bench: the native UDP engine is not built (npm run build:native; it needs g++, make and python3); nothing was run');
    process.exit(2);
  }
}

/** A port free on 127.0.0.1 for both UDP and TCP right now. */
async function freePort() {
  for (;;) {
    const udp = createSocket('udp4');
    const port = await new Promise((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcpFree = await new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    await new Promise((resolve) => udp.close(resolve));
    if (tcpFree) return port;
  }
}

/** One UDP query; resolves with rcode and answer data strings (A, AAAA, PTR, SRV), or undefined on timeout. */
function ask(port, name, type, timeoutMs = 500) {
  const types = { A: 1, AAAA: 28, PTR: 12, SRV: 33 };
  const id = Math.floor(Math.random() * 65536);
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const q = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, types[type], 0, 1]);
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(decode(m));
    });
    s.send(q, port, '127.0.0.1');
  });
}
function readName(b, o) {
  const labels = [];
  for (let guard = 0; guard < 64; guard++) {
    const len = b[o];
    if (len === 0) return [labels.join('.') + '.', o + 1];
    if ((len & 0xc0) === 0xc0) return [labels.join('.') + (labels.length ? '.' : '') + readName(b, ((len & 0x3f) << 8) | b[o + 1])[0], o + 2];
    labels.push(b.toString('latin1', o + 1, o + 1 + len).toLowerCase());
    o += len + 1;
  }
  return ['?', o];
}
function decode(b) {
  const an = b.readUInt16BE(6);
  let o = readName(b, 12)[1] + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const [, n] = readName(b, o);
    const type = b.readUInt16BE(n);
    const rd = n + 10;
    const len = b.readUInt16BE(n + 8);
    if (type === 1) answers.push([...b.subarray(rd, rd + 4)].join('.'));
    else if (type === 12) answers.push(readName(b, rd)[0]);
    else if (type === 33) answers.push(`${b.readUInt16BE(rd)} ${b.readUInt16BE(rd + 2)} ${b.readUInt16BE(rd + 4)} ${readName(b, rd + 6)[0]}`);
    else answers.push(`type${type}`);
    o = rd + len;
  }
  return { rcode: b[3] & 15, answers: answers.sort().join(',') };
}

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}
/** CPU time (user + system, every thread) of a process, in clock ticks. */
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The servers of one run; `args(port, set)` is the command after `taskset -c 0`. */
const SERVERS = [
  { id: 'knot', label: 'Knot DNS', args: (port, set) => ['knotd', '-c', knotConfig(port, set)] },
  // CLI defaults: --udp-engine auto, which is the native engine here (requireTools checks it is built).
  { id: 'defaults', label: 'cluster-dns (CLI defaults: native engine, metrics on)', http: true, args: (port, set, httpPort) => [process.execPath, 'dist/main.js', '--zones', set.files.json, '--port', String(port), '--http', `127.0.0.1:${httpPort}`, '--upstream', 'none', '--log-level', 'silent', '--watch', 'false'] },
  { id: 'dgram', label: 'cluster-dns --udp-engine dgram (metrics on)', http: true, args: (port, set, httpPort) => [process.execPath, 'dist/main.js', '--zones', set.files.json, '--port', String(port), '--http', `127.0.0.1:${httpPort}`, '--upstream', 'none', '--log-level', 'silent', '--watch', 'false', '--udp-engine', 'dgram'] },
  { id: 'query-log-off', label: 'cluster-dns --query-log-size 0 (native engine, metrics on, no /ui query ring)', http: true, args: (port, set, httpPort) => [process.execPath, 'dist/main.js', '--zones', set.files.json, '--port', String(port), '--http', `127.0.0.1:${httpPort}`, '--query-log-size', '0', '--upstream', 'none', '--log-level', 'silent', '--watch', 'false'] },
  { id: 'http-off', label: 'cluster-dns --http off (native engine)', args: (port, set) => [process.execPath, 'dist/main.js', '--zones', set.files.json, '--port', String(port), '--http', 'off', '--upstream', 'none', '--log-level', 'silent', '--watch', 'false'] },
  { id: 'baseline', label: 'dns2 createServer + Map', args: (port, set) => [process.execPath, 'bench/baseline-server.mjs', set.files.json, String(port)] },
  { id: 'ceiling', label: 'ceiling (node:dgram echo, no DNS)', args: (port, set) => [process.execPath, 'bench/ceiling-server.mjs', set.files.json, String(port)] },
  { id: 'native-ceiling', label: 'ceiling (native engine echo, no DNS)', args: (port, set) => [process.execPath, 'bench/native-ceiling-server.mjs', set.files.json, String(port)] },
];
const isCeiling = (id) => id === 'ceiling' || id === 'native-ceiling';

let knotDir;
function knotConfig(port, set) {
  const dir = mkdtempSync(join(knotDir, 'run-'));
  const conf = join(dir, 'knot.conf');
  writeFileSync(
    conf,
    [
      'server:',
      `    rundir: "${dir}"`,
      `    listen: 127.0.0.1@${port}`,
      // One UDP worker, like one Node process: QPS per core compares like with like.
      '    udp-workers: 1',
      '    tcp-workers: 1',
      '    background-workers: 1',
      'database:',
      `    storage: "${dir}"`,
      'log:',
      '  - target: stderr',
      '    any: error',
      'template:',
      '  - id: default',
      `    storage: "${set.knot.dir}"`,
      '    journal-content: none',
      '    zonefile-sync: -1',
      'zone:',
      ...set.knot.zones.flatMap((z) => [`  - domain: ${z.domain}`, `    file: "${z.file}"`]),
      '',
    ].join('\n'),
  );
  return conf;
}

async function startServer(server, set, probe) {
  const port = await freePort();
  const httpPort = server.http ? await freePort() : 0;
  const started = performance.now();
  const child = spawn('taskset', ['-c', '0', ...server.args(port, set, httpPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${server.label} exited with ${child.exitCode}`);
    const r = await ask(port, probe.name, 'A', 200);
    if (r && (isCeiling(server.id) || r.answers === probe.ip)) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  return { child, port, pid: child.pid, loadSeconds: (performance.now() - started) / 1000 };
}

async function stop(server) {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
}

function dnsperf(port, file, extra) {
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file, ...extra], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  return { out, qps: num(/Queries per second:\s+([\d.]+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/) };
}

/** Throughput (dnsperf as fast as it goes), latency at a fixed rate, and a sample of answers. */
async function measure(server, mix, reference) {
  const ticks0 = cpuTicks(server.pid);
  const t0 = performance.now();
  const load = dnsperf(server.port, mix.file, ['-l', String(THROUGHPUT_SECONDS), '-c', '8', '-q', '400']);
  const wall = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuTicks(server.pid) - ticks0) / CLK_TCK;
  const lat = dnsperf(server.port, mix.file, ['-l', '4', '-Q', String(LATENCY_QPS), '-v']);
  const latencies = [...lat.out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  let wrong = 0;
  let checked = 0;
  const answers = [];
  if (reference !== null) {
    for (const [i, e] of mix.sample.entries()) {
      // A reply that never came is counted as lost, not as a wrong answer: ask up to three times.
      let r;
      for (let attempt = 0; attempt < 3 && r === undefined; attempt++) r = await ask(server.port, e.name, e.type, 1000);
      answers.push(r);
      checked++;
      // Right means: what the generated cluster must answer, and (for the others) what Knot answered.
      const expected = { rcode: e.rcode, answers: [...e.answers].sort().join(',') };
      const same = (a, b) => a !== undefined && b !== undefined && a.rcode === b.rcode && a.answers === b.answers;
      if (!same(r, expected) || (reference && !same(r, reference[i]))) wrong++;
    }
  }
  return {
    qps: load.qps,
    cpuShare: cpuSeconds / wall,
    qpsPerCore: load.completed / Math.max(cpuSeconds, 0.01),
    lost: load.lost + lat.lost,
    p50: pct(50),
    p99: pct(99),
    checked,
    wrong,
    answers,
    rssMiB: procStatus(server.pid).rssMiB,
  };
}

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

async function main() {
  requireTools();
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  // Imported after the build: it lists the registry with the built code.
  const { writeKnotFiles } = await import('./knot-zone.mjs');
  console.log('generating registries, zone files and query mixes…');
  const sets = writeBenchFiles(WORK);
  knotDir = mkdtempSync(join(tmpdir(), 'cluster-dns-bench-knot-'));
  const runs = [];
  const loads = [];
  try {
    for (const [size, set] of Object.entries(sets)) {
      if (!SIZES_WANTED.includes(size)) continue;
      set.knot = await writeKnotFiles(set.files.json, join(knotDir, size));
      const probe = { name: set.lastName, ip: set.lastIp };
      for (const mix of Object.values(set.mixes)) mix.sample = mix.expect.filter((_, i) => i % Math.ceil(mix.expect.length / SAMPLE) === 0);
      // Load time and memory of each format (start → the last entry answers correctly).
      for (const [format, file] of Object.entries(set.files)) {
        const s = await startServer(SERVERS[2], { ...set, files: { ...set.files, json: file } }, probe);
        const memory = procStatus(s.pid);
        loads.push({ size, format, loadSeconds: s.loadSeconds, rssMiB: memory.rssMiB, peakMiB: memory.peakMiB });
        await stop(s);
      }
      for (let rep = 1; rep <= REPS; rep++) {
        const knotAnswers = {};
        for (const server of SERVERS) {
          const s = await startServer(server, set, probe);
          try {
            // Warm up before measuring: JIT compilation and the garbage of loading run on background
            // threads, and their CPU time would otherwise be charged to the first measured mix.
            dnsperf(s.port, set.mixes.realistic.file, ['-l', '2', '-c', '8', '-q', '400']);
            // Alternate which mix goes first, so neither always follows the start.
            const mixes = Object.entries(set.mixes);
            if (rep % 2 === 0) mixes.reverse();
            for (const [mixName, mix] of mixes) {
              console.log(`${size} ${mixName} rep ${rep}/${REPS}: ${server.label}…`);
              const reference = isCeiling(server.id) ? null : server.id === 'knot' ? undefined : knotAnswers[mixName];
              const m = await measure(s, mix, reference);
              if (server.id === 'knot') knotAnswers[mixName] = m.answers;
              delete m.answers;
              runs.push({ size, mix: mixName, server: server.id, rep, ...m });
            }
          } finally {
            await stop(s);
          }
        }
      }
    }
  } finally {
    rmSync(knotDir, { recursive: true, force: true });
  }

  // Medians of the repetitions, per size, mix and server.
  const rows = [];
  for (const size of [...new Set(runs.map((r) => r.size))]) {
    for (const mix of [...new Set(runs.map((r) => r.mix))]) {
      for (const server of SERVERS) {
        const reps = runs.filter((r) => r.size === size && r.mix === mix && r.server === server.id);
        if (reps.length === 0) continue;
        rows.push({
          size,
          mix,
          server: server.id,
          label: server.label,
          reps: reps.length,
          qpsPerCore: median(reps.map((r) => r.qpsPerCore)),
          qpsPerCoreRange: [Math.min(...reps.map((r) => r.qpsPerCore)), Math.max(...reps.map((r) => r.qpsPerCore))],
          cpuShare: median(reps.map((r) => r.cpuShare)),
          p50: median(reps.map((r) => r.p50)),
          p99: median(reps.map((r) => r.p99)),
          lost: reps.reduce((a, r) => a + r.lost, 0),
          wrong: reps.reduce((a, r) => a + r.wrong, 0),
          checked: reps.reduce((a, r) => a + r.checked, 0),
          rssMiB: median(reps.map((r) => r.rssMiB)),
        });
      }
    }
  }
  for (const r of rows) {
    const knot = rows.find((k) => k.size === r.size && k.mix === r.mix && k.server === 'knot');
    r.ofKnot = knot ? r.qpsPerCore / knot.qpsPerCore : NaN;
    if (r.server === 'defaults') {
      const off = rows.find((k) => k.size === r.size && k.mix === r.mix && k.server === 'http-off');
      r.metricsCost = off ? 1 - r.qpsPerCore / off.qpsPerCore : NaN;
    }
  }

  const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const k = (n) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : 'n/a');
  const targets = [];
  const target = (what, met, detail) => targets.push({ what, met, detail });
  const defaults = rows.filter((r) => r.server === 'defaults');
  for (const r of defaults) target(`QPS per core ≥ ${TARGETS.ofKnot}× Knot (${r.size}, ${r.mix})`, r.ofKnot >= TARGETS.ofKnot, `${f(r.ofKnot, 2)}×`);
  for (const r of defaults) target(`metrics cost ≤ ${TARGETS.metricsCost * 100} % vs --http off (${r.size}, ${r.mix})`, r.metricsCost <= TARGETS.metricsCost, `${f(r.metricsCost * 100, 1)} %`);
  for (const r of defaults) target(`p99 at ${LATENCY_QPS} QPS ≤ ${TARGETS.p99Ms} ms (${r.size}, ${r.mix})`, r.p99 <= TARGETS.p99Ms, `${f(r.p99, 3)} ms`);
  for (const r of rows.filter((x) => x.server === 'dgram')) {
    target(`node:dgram engine no slower than before (≥ ${DGRAM_BEFORE[r.size]}× Knot, ${r.size}, ${r.mix})`, r.ofKnot >= DGRAM_BEFORE[r.size], `${f(r.ofKnot, 2)}×`);
  }
  const ours = rows.filter((r) => r.server === 'defaults' || r.server === 'http-off' || r.server === 'dgram');
  target('0 lost (cluster-dns, every run)', ours.every((r) => r.lost === 0), `${ours.reduce((a, r) => a + r.lost, 0)} lost`);
  target('all sampled answers correct and equal to Knot\'s', ours.every((r) => r.wrong === 0), `${ours.reduce((a, r) => a + r.wrong, 0)} wrong of ${ours.reduce((a, r) => a + r.checked, 0)}`);
  for (const l of loads.filter((l) => l.size === 'large' && (l.format === 'json' || l.format === 'yaml'))) {
    target(`large registry (${l.format}): RSS after load ≤ ${TARGETS.rssMiB} MiB`, l.rssMiB <= TARGETS.rssMiB, `${f(l.rssMiB)} MiB`);
  }
  const largeJson = loads.find((l) => l.size === 'large' && l.format === 'json');
  if (largeJson) target(`large registry (json): load ≤ ${TARGETS.jsonLoadSeconds} s to the last entry answered`, largeJson.loadSeconds <= TARGETS.jsonLoadSeconds, `${f(largeJson.loadSeconds, 2)} s`);
  const largeYaml = loads.find((l) => l.size === 'large' && l.format === 'yaml');
  if (largeYaml) target(`large registry (yaml): peak RSS ≤ ${TARGETS.yamlPeakMiB} MiB`, largeYaml.peakMiB <= TARGETS.yamlPeakMiB, `${f(largeYaml.peakMiB)} MiB`);

  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${knotVersion()}`;
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const load = loadavg().map((n) => n.toFixed(1)).join(' ');
  const header = `\`npm run bench\`, ${date} UTC, ${machine}; servers pinned to core 0, dnsperf to core 1; ${THROUGHPUT_SECONDS} s per throughput run, p99 at ${LATENCY_QPS} QPS; medians of ${REPS} repetitions; load average at the end ${load}${Number(loadavg()[0]) > 1.5 ? ' (a busy machine: other work shared these cores, so treat the figures as rough)' : ''}.`;
  const table = [
    '| size | mix | server | QPS per server core | × Knot | metrics cost | p99 ms @ 2k QPS | lost | wrong / checked | RSS MiB |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.size} | ${r.mix} | ${r.label} | ${k(r.qpsPerCore)} (${k(r.qpsPerCoreRange[0])}–${k(r.qpsPerCoreRange[1])}) | ${r.server === 'knot' ? '1' : `${f(r.ofKnot, 2)}×`} | ${r.metricsCost !== undefined ? `${f(r.metricsCost * 100, 1)} %` : ''} | ${f(r.p99, 3)} | ${r.lost} | ${isCeiling(r.server) ? '' : `${r.wrong} / ${r.checked}`} | ${f(r.rssMiB)} |`,
    ),
  ];
  const loadTable = [
    '| size | registry format | load s (start → last entry answered) | RSS after load MiB | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: |',
    ...loads.map((l) => `| ${l.size} | ${l.format} | ${f(l.loadSeconds, 2)} | ${f(l.rssMiB)} | ${f(l.peakMiB)} |`),
  ];
  const targetLines = ['Targets (issues 12 and 22):', '', ...targets.map((t) => `- ${t.met ? 'met' : '**not met**'}: ${t.what} — ${t.detail}`)];
  const readme = [header, '', ...table, '', ...loadTable, '', ...targetLines].join('\n');
  console.log(`\n${readme}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.md`, `${readme}\n`);
  writeFileSync(`${RESULTS}latest.json`, JSON.stringify({ date, machine, loadAverage: loadavg(), seconds: THROUGHPUT_SECONDS, reps: REPS, rows, runs, loads, targets }, null, 2));
  if (ours.some((r) => r.wrong > 0)) {
    console.error('bench: wrong answers in a sample (see the table)');
    process.exitCode = 1;
  }
}

function knotVersion() {
  try {
    return execFileSync('knotd', ['--version'], { encoding: 'utf8' }).trim().replace(/^knotd \(Knot DNS\), version /, 'Knot DNS ');
  } catch {
    return 'Knot DNS';
  }
}

await main();
