// Soak: dnsperf at a fixed high rate against the built server while the registry is rewritten every
// second and the upstream flaps. `npm run soak`; SOAK_SECONDS (default 60), SOAK_QPS (default 5000),
// SOAK_RSS_GROWTH_MIB (default 50: fail if RSS grew more than this after warm-up).
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuiltServer } from './lib/built-server.mjs';

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const qps = Number(process.env.SOAK_QPS ?? 5000);
const growthBound = Number(process.env.SOAK_RSS_GROWTH_MIB ?? 50);

try {
  execFileSync('dnsperf', ['-h'], { stdio: 'ignore' });
} catch (error) {
  if (error.code === 'ENOENT') {
    console.log('installing dnsperf with apt-get');
    execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq dnsperf'], { stdio: 'inherit' });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-soak-'));
const zoneFile = join(dir, 'shop.yaml');
const registry = (alt) => `namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80] }\n  alt: { clusterIP: 10.96.0.${alt} }\n`;
writeFileSync(zoneFile, registry(20));

// A flapping upstream: answers A 192.0.2.1 (TTL 1) for 4 s, then is silent for 3 s.
const upstream = createSocket('udp4');
await new Promise((r) => upstream.bind(0, '127.0.0.1', r));
let upstreamUp = true;
const flap = setInterval(() => (upstreamUp = !upstreamUp), 3500);
upstream.on('message', (q, rinfo) => {
  if (!upstreamUp || q.length < 12) return;
  let pos = 12;
  while (pos < q.length && q[pos] !== 0) pos += q[pos] + 1;
  const question = q.subarray(12, pos + 5);
  const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  upstream.send(Buffer.concat([head, question, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 1])]), rinfo.port, rinfo.address);
});

const server = await startBuiltServer(['--zones', dir, '--upstream', `127.0.0.1:${upstream.address().port}`, '--upstream-timeout', '500'], 'soak');
const port = server.port;

// The dnsperf mix: cluster names (A, SRV, NXDOMAIN) and upstream names.
const mix = ['web.shop.svc.cluster.local A', 'alt.shop.svc.cluster.local A', '_http._tcp.web.shop.svc.cluster.local SRV', 'nope.shop.svc.cluster.local A', 'web.shop A'];
for (let i = 0; i < 20; i++) mix.push(`u${i}.example.org A`);
writeFileSync(join(dir, 'queries.txt'), `${mix.join('\n')}\n`);

// Registry rewritten every second, alternating content.
let alt = 20;
const rewrite = setInterval(() => {
  alt = alt === 20 ? 21 : 20;
  writeFileSync(zoneFile, registry(alt));
}, 1000);

// Our own client checks a sample of answers during the run.
const checker = createSocket('udp4');
await new Promise((r) => checker.bind(0, '127.0.0.1', r));
const checks = { sent: 0, answered: 0, wrong: 0 };
const pending = new Map();
let nextId = 1;
checker.on('message', (m) => {
  const expect = pending.get(m.readUInt16BE(0));
  if (!expect) return;
  pending.delete(m.readUInt16BE(0));
  checks.answered++;
  const rcode = m[3] & 0x0f;
  const last = m.length >= 4 ? [...m.subarray(m.length - 4)].join('.') : '';
  if (!expect(rcode, last, m)) {
    checks.wrong++;
    console.error(`wrong answer: rcode ${rcode} last ${last} ${m.toString('hex')}`);
  }
});
const probe = (name, check) => {
  const id = nextId++ & 0xffff || 1;
  const q = Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0, 0, 1, 0, 1]);
  pending.set(id, check);
  checks.sent++;
  checker.send(q, port, '127.0.0.1');
};
const sampler = setInterval(() => {
  probe('web.shop.svc.cluster.local', (rcode, last) => rcode === 0 && last === '10.96.0.10');
  probe('alt.shop.svc.cluster.local', (rcode, last) => rcode === 0 && (last === '10.96.0.20' || last === '10.96.0.21'));
  // Forwarded: the answer, or SERVFAIL while the upstream is silent.
  probe(`u${nextId % 20}.example.org`, (rcode, last) => (rcode === 0 && last === '192.0.2.1') || rcode === 2);
}, 50);

await new Promise((r) => setTimeout(r, 3000)); // warm-up
const rssStart = server.rssMiB();
const perf = await new Promise((resolve) => {
  const p = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', join(dir, 'queries.txt'), '-Q', String(qps), '-l', String(seconds), '-t', '2', '-c', '4', '-q', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  p.stderr.on('data', (c) => (out += c));
  p.on('exit', () => resolve(out));
});
const rssEnd = server.rssMiB();
clearInterval(sampler);
clearInterval(rewrite);
clearInterval(flap);
await new Promise((r) => setTimeout(r, 1500));
await server.stop();
checker.close();
upstream.close();
rmSync(dir, { recursive: true, force: true });

const num = (re) => Number(re.exec(perf)?.[1] ?? NaN);
const sent = num(/Queries sent:\s+(\d+)/);
const completed = num(/Queries completed:\s+(\d+)/);
const lost = num(/Queries lost:\s+(\d+)/);
const rate = num(/Queries per second:\s+([\d.]+)/);
const rcodes = /Response codes:\s+(.*)/.exec(perf)?.[1] ?? '';
const growth = rssEnd - rssStart;
const result = {
  date: new Date().toISOString(),
  seconds,
  targetQps: qps,
  sent,
  answered: completed,
  lost,
  qps: rate,
  rcodes,
  sampledChecks: checks.sent,
  sampledAnswered: checks.answered,
  wrong: checks.wrong,
  crashes: server.crashed ? 1 : 0,
  rssMiBAfterWarmup: rssStart,
  rssMiBEnd: rssEnd,
  rssGrowthBoundMiB: growthBound,
};
console.log(JSON.stringify(result));
console.log(`sent ${sent}, answered ${completed}, lost ${lost} (${rate} QPS; ${rcodes}); sampled ${checks.answered}/${checks.sent} checked, wrong answers: ${checks.wrong}; crashes: ${result.crashes}; RSS ${rssStart} -> ${rssEnd} MiB (bound +${growthBound} MiB)`);
if (!Number.isFinite(sent)) console.error(perf);
process.exit(server.crashed || checks.wrong > 0 || growth > growthBound || !Number.isFinite(sent) ? 1 : 0);
