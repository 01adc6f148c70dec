// Measures loading the large generated registry through the built CLI: the CPU time (and elapsed
// time) from process start to the last name answered over real DNS, the resident memory after the
// load and its peak, with the server pinned to one core. Usage: npm run build && node scripts/load-figures.mjs
//   LOAD_FORMATS=yaml,json,native  LOAD_CORE=1  LOAD_REPEAT=3  LOAD_DIR=bench/.work/load
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { generateCluster, toManifests, toNative, toYaml, withKubectlDetail } from '../bench/generate.mjs';

const formats = (process.env.LOAD_FORMATS ?? 'json,yaml,native').split(',');
const core = process.env.LOAD_CORE ?? '1';
const repeat = Number(process.env.LOAD_REPEAT ?? 3);
const dir = process.env.LOAD_DIR ?? 'bench/.work/load';

/** The large registry as kubectl prints it (YAML and JSON), and in the native format. */
function writeFiles() {
  mkdirSync(dir, { recursive: true });
  const files = { yaml: `${dir}/large-kubectl.yaml`, json: `${dir}/large-kubectl.json`, native: `${dir}/large-native.yaml` };
  const cluster = generateCluster('large');
  if (!formats.every((f) => existsSync(files[f]))) {
    const list = withKubectlDetail(toManifests(cluster));
    writeFileSync(files.yaml, `apiVersion: v1\nitems:${toYaml(list.items)}kind: List\nmetadata:\n  resourceVersion: ""\n`);
    writeFileSync(files.json, JSON.stringify(list, null, 4));
    writeFileSync(files.native, toNative(cluster));
  }
  const last = cluster.services.filter((s) => s.kind === 'ClusterIP').at(-1);
  return { files, lastName: `${last.name}.${last.namespace}.svc.cluster.local`, lastIp: last.ip };
}

function query(name) {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** The A address in a reply with one answer, or undefined (SERVFAIL while loading, no reply). */
function answeredAddress(reply) {
  if (reply.length < 16 || (reply[3] & 0x0f) !== 0 || reply.readUInt16BE(6) === 0) return undefined;
  return [...reply.subarray(reply.length - 4)].join('.');
}

/** CPU seconds the process (all its threads) has used: on a shared machine this, not elapsed time, is "on one core". */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

async function measure(file, lastName, lastIp) {
  const started = performance.now();
  const child = spawn('taskset', ['-c', core, process.execPath, 'dist/main.js', '--zones', file, '--port', '0', '--http', 'off', '--upstream', 'none', '--watch', 'false', '--log-level', 'warn', '--shutdown-grace', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // The port is not logged at warn level; the server binds before loading, so find it in /proc.
  let port;
  for (let i = 0; i < 500 && !port; i++) {
    await new Promise((r) => setTimeout(r, 10));
    port = udpPortOf(child.pid);
  }
  if (!port) throw new Error(`no UDP port found: ${stderr}`);
  let answeredAt;
  socket.on('message', (reply) => {
    if (answeredAt === undefined && answeredAddress(reply) === lastIp) answeredAt = performance.now();
  });
  while (answeredAt === undefined) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    socket.send(query(lastName), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpuAtAnswer = cpuSeconds(child.pid);
  const peakAtAnswer = memory(child.pid).peakMiB;
  // Let the load's garbage be collected (idle GC) before reading the resident set.
  await new Promise((r) => setTimeout(r, 3000));
  const after = memory(child.pid);
  socket.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { seconds: (answeredAt - started) / 1000, cpu: cpuAtAnswer, rssMiB: after.rssMiB, peakMiB: Math.max(peakAtAnswer, after.peakMiB) };
}

/** The UDP port a process (or its child: taskset execs, so it is the same pid) has bound. */
function udpPortOf(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return undefined;
  }
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length > 9 && inodes.has(cols[9])) return parseInt(cols[1].split(':')[1], 16);
  }
  return undefined;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const { files, lastName, lastIp } = writeFiles();
console.log(`# Large registry load, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}, server pinned to core ${core}`);
console.log(`# load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| format | file | CPU s to last name answered | elapsed s | RSS after load | peak RSS | MB per CPU s |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const format of formats) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(await measure(files[format], lastName, lastIp));
  const mb = statSync(files[format]).size / 1e6;
  const cpu = median(runs.map((r) => r.cpu));
  console.log(
    `| ${format} | ${mb.toFixed(1)} MB | ${cpu.toFixed(2)} (runs: ${runs.map((r) => r.cpu.toFixed(2)).join(', ')}) | ${median(runs.map((r) => r.seconds)).toFixed(1)} | ${median(runs.map((r) => r.rssMiB)).toFixed(0)} MiB | ${median(runs.map((r) => r.peakMiB)).toFixed(0)} MiB | ${(mb / cpu).toFixed(1)} |`,
  );
}
