// TCP flood: the built server with its default limits, 1,000 idle and 300 slowloris TCP connections
// opened against it, while a legitimate client asks over TCP (a new connection per query) and UDP.
// `npm run flood`; FLOOD_SECONDS (default 30), FLOOD_IDLE (1000), FLOOD_SLOW (300), FLOOD_RECONNECT
// (ms; default off: an attacker connection closed by the server stays closed; set it to make every
// attacker reconnect that long after being closed). Fails when a legitimate query goes unanswered.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { startBuiltServer } from './lib/built-server.mjs';

const seconds = Number(process.env.FLOOD_SECONDS ?? 30);
const idleCount = Number(process.env.FLOOD_IDLE ?? 1000);
const slowCount = Number(process.env.FLOOD_SLOW ?? 300);
const reconnectMs = process.env.FLOOD_RECONNECT ? Number(process.env.FLOOD_RECONNECT) : undefined;
const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
if (idleCount + slowCount + 200 > fdLimit) {
  console.error(`open-file limit ${fdLimit} is below ${idleCount + slowCount + 200}: raise it (ulimit -n) or lower FLOOD_IDLE/FLOOD_SLOW`);
  process.exit(2);
}

const server = await startBuiltServer(['--zones', 'zones'], 'TCP flood');
const port = server.port;
const QUERY_NAME = 'web.shop.svc.cluster.local';
const EXPECTED = [10, 96, 0, 10];

function query(id) {
  const labels = QUERY_NAME.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}
const correct = (reply, id) => reply.length >= 16 && reply.readUInt16BE(0) === id && (reply[3] & 0x0f) === 0 && reply.subarray(-4).equals(Buffer.from(EXPECTED));

let running = true;
const stats = { attackerConnects: 0, closedByServer: 0, tcpSent: 0, tcpAnswered: 0, tcpWrong: 0, tcpClosed: 0, tcpTimedOut: 0, udpSent: 0, udpAnswered: 0, udpWrong: 0 };

/** One attacker slot: connects, holds (idle or dribbling an unfinished message), reconnects when closed. */
function attacker(slow) {
  if (!running) return;
  const socket = connect({ port, host: '127.0.0.1' });
  stats.attackerConnects++;
  let dribble;
  socket.on('error', () => {});
  socket.on('connect', () => {
    if (!slow) return;
    socket.write(Buffer.from([0, 200, 0])); // 200 octets announced, never all sent
    dribble = setInterval(() => socket.write(Buffer.from([1])), 1000);
  });
  socket.on('close', () => {
    clearInterval(dribble);
    if (!running) return;
    stats.closedByServer++;
    if (reconnectMs !== undefined) setTimeout(() => attacker(slow), reconnectMs);
  });
  attackers.add(socket);
  socket.on('close', () => attackers.delete(socket));
}
const attackers = new Set();
for (let i = 0; i < idleCount + slowCount; i++) {
  attacker(i >= idleCount);
  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
}

function askTcp(id) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let buffered = Buffer.alloc(0);
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      stats.tcpTimedOut++;
      done(undefined);
    }, 5000);
    socket.on('error', () => done(undefined));
    socket.on('close', () => {
      if (timer._destroyed) return;
      stats.tcpClosed++;
      done(undefined);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(correct(buffered.subarray(2, 2 + buffered.readUInt16BE(0)), id));
    });
    const q = query(id);
    socket.write(Buffer.concat([Buffer.from([0, q.length]), q]));
  });
}

function askUdp(id) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, 5000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(correct(msg, id));
    });
    socket.send(query(id), port, '127.0.0.1');
  });
}

const rssStart = server.rssMiB();
const until = Date.now() + seconds * 1000;
let id = 0;
while (Date.now() < until && !server.crashed) {
  id = (id + 1) & 0xffff;
  stats.tcpSent++;
  stats.udpSent++;
  const [tcp, udp] = await Promise.all([askTcp(id), askUdp(id)]);
  if (tcp !== undefined) (tcp ? stats.tcpAnswered++ : stats.tcpWrong++);
  if (udp !== undefined) (udp ? stats.udpAnswered++ : stats.udpWrong++);
  await new Promise((r) => setTimeout(r, 100));
}
running = false;
const held = attackers.size;
for (const socket of attackers) socket.destroy();
const rssEnd = server.rssMiB();
await server.stop();

console.log('| attacker slots (idle + slowloris) | attacker connections made | closed by the server | legitimate TCP answered / sent | UDP answered / sent | wrong | crashes | server RSS |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| ${idleCount} + ${slowCount} | ${stats.attackerConnects.toLocaleString('en')} | ${stats.closedByServer.toLocaleString('en')} | ${stats.tcpAnswered} / ${stats.tcpSent} | ${stats.udpAnswered} / ${stats.udpSent} | ${stats.tcpWrong + stats.udpWrong} | ${server.crashed ? 1 : 0} | ${rssStart} → ${rssEnd} MiB |`,
);
console.log(`(attackers ${reconnectMs === undefined ? 'not reconnecting' : `reconnecting after ${reconnectMs} ms`}; attacker sockets still open at the end: ${held}; legitimate TCP queries closed unanswered: ${stats.tcpClosed}, timed out: ${stats.tcpTimedOut})`);
const failed = server.crashed || stats.tcpAnswered !== stats.tcpSent || stats.udpAnswered !== stats.udpSent || stats.tcpWrong + stats.udpWrong > 0;
process.exit(failed ? 1 : 0);
