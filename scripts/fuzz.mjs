// Longer wire + registry fuzz against the built server (dist/): `npm run fuzz`, FUZZ_SECONDS (default 60),
// FUZZ_SEED. Prints messages tried, replies, crashes, wrong answers and the server's memory at start and end.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuiltServer } from './lib/built-server.mjs';

const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) >>> 0;
const startSeed = seed;
/** mulberry32: a small seeded generator, so a run can be replayed with FUZZ_SEED. */
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const bytes = (n) => Array.from({ length: n }, () => int(256));

const GOOD = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80] }\n';
const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-fuzz-'));
const zoneFile = join(dir, 'shop.yaml');
writeFileSync(zoneFile, GOOD);

const name = (n) => n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]).concat(0);
const u16 = (n) => [(n >> 8) & 0xff, n & 0xff];
function query(qname, qtype, id, edns) {
  const b = [...u16(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0, ...name(qname), ...u16(qtype), 0, 1];
  if (edns) b.push(0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0);
  return Buffer.from(b);
}
const KNOWN = [
  ['web.shop.svc.cluster.local', 1, 0, '0a60000a'],
  ['missing.shop.svc.cluster.local', 1, 3, undefined],
  ['example.org', 1, 5, undefined],
];

/** One hostile message: structured, mutated or random. */
function generate() {
  const r = rand();
  if (r < 0.2) return Buffer.from(bytes(int(r < 0.05 ? 12 : 200)));
  const [qn, qt] = pick(KNOWN);
  const b = [...query(qn, pick([qt, int(65536), 41, 252, 255]), int(65536), rand() < 0.5)];
  if (r < 0.6) {
    for (let i = 0, n = 1 + int(4); i < n; i++) {
      const op = int(4);
      if (op === 0) b[int(b.length)] ^= 1 << int(8);
      else if (op === 1) b[int(b.length)] = int(256);
      else if (op === 2) b.length = int(b.length);
      else b.push(...bytes(1 + int(30)));
    }
    return Buffer.from(b);
  }
  // Structured: opcodes, QR, counts, pointers, long labels, OPT storms, EDNS versions.
  const flags = (rand() < 0.1 ? 0x80 : 0) | (rand() < 0.2 ? int(16) << 3 : 0) | 1;
  const head = [...u16(int(65536)), flags, int(256) & 0x7f, ...u16(pick([1, 1, 1, 0, 2, int(65536)])), ...u16(pick([0, 0, 1, int(65536)])), 0, 0, ...u16(pick([0, 1, 2, 3]))];
  const qname = pick([name(qn), [64, ...bytes(64), 0], [0xc0, 0x0c], Array(5).fill([63, ...Array(63).fill(97)]).flat().concat(0)]);
  const tail = [];
  for (let i = 0, n = int(4); i < n; i++) {
    const owner = pick([[0], [0xc0, 0x0c], [0xc0, 12 + qname.length + 4 + tail.length], [0xc0, 0xff], [0xc0, 0x02]]);
    tail.push(...owner, 0, pick([41, 41, 1, int(65536)]), ...u16(int(65536)), 0, int(256), int(256), 0, 0, 0);
  }
  return Buffer.from([...head, ...qname, ...u16(qt), 0, pick([1, 1, 3, 255, int(256)]), ...tail, ...(rand() < 0.1 ? bytes(1 + int(20)) : [])]);
}

const server = await startBuiltServer(['--zones', dir, '--upstream', 'none', '--log-level', 'info'], 'fuzz');
const port = server.port;

const udp = createSocket('udp4');
await new Promise((r) => udp.bind(0, '127.0.0.1', r));
let waiter;
udp.on('message', (m) => waiter?.(m));
let tcp;
let tcpBuf = Buffer.alloc(0);
let tcpWaiter;
function openTcp() {
  return new Promise((resolve) => {
    tcp = connect({ port, host: '127.0.0.1' }, () => resolve());
    tcp.on('error', () => {});
    tcpBuf = Buffer.alloc(0);
    tcp.on('data', (c) => {
      tcpBuf = Buffer.concat([tcpBuf, c]);
      while (tcpBuf.length >= 2 && tcpBuf.length >= 2 + tcpBuf.readUInt16BE(0)) {
        const m = tcpBuf.subarray(2, 2 + tcpBuf.readUInt16BE(0));
        tcpBuf = tcpBuf.subarray(2 + m.length);
        tcpWaiter?.(Buffer.from(m));
      }
    });
  });
}
await openTcp();

const stats = { tried: 0, replies: 0, dropped: 0, wrong: 0, sentinelsChecked: 0, registryTexts: 0, crashes: 0 };
const frame = (m) => Buffer.concat([Buffer.from(u16(m.length)), m]);
/** Sends a message then a sentinel (web A); replies before the sentinel's belong to the message. */
async function exchange(transport, packet, serial) {
  const sentinel = query('web.shop.svc.cluster.local', 1, serial & 0xffff, false);
  const got = [];
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 3000);
    const on = (m) => {
      if (m.length === sentinel.length + 16 && m.readUInt16BE(0) === (serial & 0xffff) && m.subarray(12, sentinel.length).equals(sentinel.subarray(12))) {
        clearTimeout(timer);
        resolve(m);
      } else got.push(m);
    };
    if (transport === 'udp') {
      waiter = on;
      udp.send(packet, port, '127.0.0.1');
      udp.send(sentinel, port, '127.0.0.1');
    } else {
      tcpWaiter = on;
      if (tcp.destroyed) {
        resolve('reconnect');
        return;
      }
      tcp.write(Buffer.concat([frame(packet), frame(sentinel)]));
    }
  });
  return { result, got };
}

const memStart = server.rssMiB();
const deadline = Date.now() + seconds * 1000;
let serial = 0;
let lastRegistry = Date.now();
while (Date.now() < deadline && !server.crashed) {
  const packet = generate();
  const transport = rand() < 0.5 ? 'udp' : 'tcp';
  if (transport === 'tcp' && packet.length > 0xffff) continue;
  stats.tried++;
  const { result, got } = await exchange(transport, packet, ++serial);
  if (result === 'reconnect') {
    await openTcp();
    continue;
  }
  if (!result) {
    server.markCrashed();
    console.error(`no sentinel reply over ${transport} after ${packet.toString('hex')}`);
    break;
  }
  stats.sentinelsChecked++;
  // The sentinel's answer must be exactly web A 10.96.0.10.
  if (!result.subarray(result.length - 4).equals(Buffer.from([10, 96, 0, 10])) || (result[3] & 0x0f) !== 0) stats.wrong++;
  const mustDrop = packet.length < 12 || (packet[2] & 0x80) !== 0;
  if (mustDrop) {
    if (got.length) stats.wrong++;
    else stats.dropped++;
    continue;
  }
  if (got.length !== 1) {
    stats.wrong++;
    continue;
  }
  stats.replies++;
  const reply = got[0];
  const rcode = reply[3] & 0x0f;
  const opcode = (packet[2] >> 3) & 0x0f;
  const ok =
    reply.length >= 12 &&
    reply.readUInt16BE(0) === packet.readUInt16BE(0) &&
    (reply[2] & 0x80) !== 0 &&
    ((reply[2] >> 3) & 0x0f) === opcode &&
    (opcode === 0 || rcode === 4) &&
    // NOERROR (BADVERS is NOERROR plus the OPT's extended bits), FORMERR, NXDOMAIN, NOTIMP, REFUSED.
    [0, 1, 3, 4, 5].includes(rcode);
  if (!ok) {
    stats.wrong++;
    console.error(`wrong reply over ${transport}: query ${packet.toString('hex')} reply ${reply.toString('hex')}`);
  }
  // A known query unmutated must get its exact answer.
  for (const [qn, qt, expRcode, data] of KNOWN) {
    const q = query(qn, qt, packet.readUInt16BE(0), false);
    if (packet.equals(q) && (rcode !== expRcode || (data && !reply.subarray(reply.length - 4).equals(Buffer.from(data, 'hex'))))) stats.wrong++;
  }
  // Every second: a random or mutated registry text, then the good one back.
  if (Date.now() - lastRegistry > 1000) {
    lastRegistry = Date.now();
    const pieces = ['kind: Service\nmetadata: { name: x }\nspec: { clusterIP: 10.96.0.300 }\n', 'a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n', '['.repeat(5000)];
    let text = pick(pieces);
    for (let i = 0; i < 3; i++) {
      const at = int(text.length + 1);
      text = text.slice(0, at) + pick([':', '- ', '{', '"', '\n', '&a ', '*a', String.fromCharCode(int(128))]) + text.slice(at + int(3));
    }
    // Always broken at the end, so the file's last good content must keep serving the sentinel.
    writeFileSync(zoneFile, `${text}\nbroken: [unterminated\n`);
    stats.registryTexts++;
    await new Promise((r) => setTimeout(r, 250));
    writeFileSync(zoneFile, GOOD);
  }
}
const memEnd = server.rssMiB();
udp.close();
tcp?.destroy();
await server.stop();
rmSync(dir, { recursive: true, force: true });
stats.crashes = server.crashed ? 1 : 0;
console.log(JSON.stringify({ date: new Date().toISOString(), seconds, seed: startSeed, ...stats, rssMiBStart: memStart, rssMiBEnd: memEnd }));
console.log(`messages tried: ${stats.tried}, replies: ${stats.replies}, dropped as required: ${stats.dropped}, crashes: ${stats.crashes}, wrong answers: ${stats.wrong}, registry texts: ${stats.registryTexts}, server RSS: ${memStart} MiB -> ${memEnd} MiB (seed ${startSeed})`);
process.exit(stats.crashes || stats.wrong ? 1 : 0);
