// npm run bench: cluster-dns against a naive dns2 baseline, side by side, with dnsperf on loopback.
// The server runs pinned to core 0 and dnsperf to core 1 (taskset). Prints and saves a table.
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { writeBenchFiles } from './generate.mjs';

const WORK = new URL('./.work/', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const LATENCY_QPS = 2000;
const CLK_TCK = 100;

function ensureTools() {
  for (const [tool, pkg] of [['dnsperf', 'dnsperf'], ['taskset', 'util-linux']]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      console.log(`installing ${pkg} (apt-get)…`);
      execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], { stdio: 'inherit' });
    }
  }
}

let nextPort = 15500;

/** One UDP query; resolves with rcode and answer data strings (A, AAAA, PTR, SRV), or undefined on timeout. */
function ask(port, name, type, timeoutMs = 500) {
  const types = { A: 1, AAAA: 28, PTR: 12, SRV: 33 };
  const id = Math.floor(Math.random() * 65536);
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const q = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, types[type], 0, 1]);
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(decode(m)); });
    s.send(q, port, '127.0.0.1');
  });
}
function readName(b, o) {
  const labels = [];
  for (let guard = 0; guard < 64; guard++) {
    const len = b[o];
    if (len === 0) return [labels.join('.') + '.', o + 1];
    if ((len & 0xc0) === 0xc0) return [labels.join('.') + (labels.length ? '.' : '') + readName(b, ((len & 0x3f) << 8) | b[o + 1])[0], o + 2];
    labels.push(b.toString('latin1', o + 1, o + 1 + len));
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
  return { rcode: b[3] & 15, answers };
}

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function startServer(kind, zonesFile, probe) {
  const port = nextPort++;
  const args =
    kind === 'cluster-dns'
      ? ['-c', '0', process.execPath, 'dist/main.js', '--zones', zonesFile, '--port', String(port), '--http', 'off', '--upstream', 'none', '--log-level', 'silent', '--watch', 'false']
      : kind === 'ceiling'
        ? ['-c', '0', process.execPath, 'bench/ceiling-server.mjs', zonesFile, String(port)]
        : ['-c', '0', process.execPath, 'bench/baseline-server.mjs', zonesFile, String(port)];
  const started = performance.now();
  const child = spawn('taskset', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}`);
    const r = await ask(port, probe.name, 'A', 200);
    if (r && (kind === 'ceiling' || r.answers[0] === probe.ip)) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const loadSeconds = (performance.now() - started) / 1000;
  return { child, port, pid: child.pid, loadSeconds, memory: procStatus(child.pid) };
}

function dnsperf(port, file, extra) {
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file, ...extra], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    out,
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
  };
}

async function measure(server, mix, checkAnswers = true) {
  const ticks0 = cpuTicks(server.pid);
  const t0 = performance.now();
  const load = dnsperf(server.port, mix.file, ['-l', String(THROUGHPUT_SECONDS), '-c', '8', '-q', '400']);
  const wall = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuTicks(server.pid) - ticks0) / CLK_TCK;
  // dnsperf waits out its timeout for lost queries, so wall time overstates the run; answers per
  // CPU-second of the server is what one core delivers, whatever the client did.
  const cpuShare = cpuSeconds / wall;
  const lat = dnsperf(server.port, mix.file, ['-l', '4', '-Q', String(LATENCY_QPS), '-v']);
  const latencies = [...lat.out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  // A sample of answers checked against what the generated cluster must answer.
  let wrong = 0;
  const sample = checkAnswers ? mix.expect.filter((_, i) => i % Math.ceil(mix.expect.length / 200) === 0) : [];
  for (const e of sample) {
    const r = await ask(server.port, e.name, e.type);
    const got = r ? [...r.answers].sort().join(',') : 'timeout';
    if (!r || r.rcode !== e.rcode || got !== [...e.answers].sort().join(',')) wrong++;
  }
  return {
    qps: load.qps,
    cpuShare,
    qpsPerCore: load.completed / Math.max(cpuSeconds, 0.01),
    lost: load.lost + lat.lost,
    p50: pct(50),
    p99: pct(99),
    checked: sample.length,
    wrong,
    rssMiB: procStatus(server.pid).rssMiB,
  };
}

async function stop(server) {
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
}

async function main() {
  ensureTools();
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  console.log('generating registries…');
  const sets = writeBenchFiles(WORK);
  const rows = [];
  const loads = [];
  for (const [size, set] of Object.entries(sets)) {
    const probe = { name: set.lastName, ip: set.lastIp };
    // Load time and memory of each format (the last entry must answer correctly).
    for (const [format, file] of Object.entries(set.files)) {
      const s = await startServer('cluster-dns', file, probe);
      loads.push({ size, format, loadSeconds: s.loadSeconds, rssMiB: s.memory.rssMiB, peakMiB: s.memory.peakMiB });
      await stop(s);
    }
    for (const kind of ['cluster-dns', 'baseline (dns2 + Map)', 'ceiling (echo, no DNS)']) {
      const s = await startServer(kind.split(' ')[0], set.files.json, probe);
      for (const [mixName, mix] of Object.entries(set.mixes)) {
        console.log(`${size} ${mixName} ${kind}…`);
        rows.push({ size, mix: mixName, server: kind, loadSeconds: s.loadSeconds, ...(await measure(s, mix, !kind.startsWith('ceiling'))) });
      }
      await stop(s);
    }
  }
  for (const r of rows) {
    if (r.server !== 'cluster-dns') continue;
    const base = rows.find((b) => b.size === r.size && b.mix === r.mix && b.server.startsWith('baseline'));
    r.ratio = base ? r.qpsPerCore / base.qpsPerCore : NaN;
    const ceiling = rows.find((b) => b.size === r.size && b.mix === r.mix && b.server.startsWith('ceiling'));
    r.ofCeiling = ceiling ? r.qpsPerCore / ceiling.qpsPerCore : NaN;
  }
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const lines = [
    `Benchmark ${date} on ${machine}; server pinned to core 0, dnsperf on core 1; ${THROUGHPUT_SECONDS} s per throughput run, latency at ${LATENCY_QPS} QPS.`,
    '',
    '| size | mix | server | QPS | CPU share | answers per CPU-second | vs baseline | of ceiling | p50 ms | p99 ms | lost | wrong / checked | RSS MiB |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.size} | ${r.mix} | ${r.server} | ${f(r.qps)} | ${f(r.cpuShare, 2)} | ${f(r.qpsPerCore)} | ${r.ratio ? `${f(r.ratio, 2)}×` : ''} | ${r.ofCeiling ? `${f(r.ofCeiling * 100)} %` : ''} | ${f(r.p50, 3)} | ${f(r.p99, 3)} | ${r.lost} | ${r.wrong} / ${r.checked} | ${f(r.rssMiB)} |`),
    '',
    '| size | registry format | load s (start → last entry answered) | RSS after load MiB | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: |',
    ...loads.map((l) => `| ${l.size} | ${l.format} | ${f(l.loadSeconds, 2)} | ${f(l.rssMiB)} | ${f(l.peakMiB)} |`),
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.md`, `${text}\n`);
  writeFileSync(`${RESULTS}latest.json`, JSON.stringify({ date, machine, rows, loads }, null, 2));
  const bad = rows.filter((r) => r.server === 'cluster-dns' && (r.wrong > 0));
  if (bad.length) {
    console.error('wrong answers in a sample: see the table');
    process.exitCode = 1;
  }
}

await main();
