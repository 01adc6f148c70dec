/**
 * Replies the kernel will not take at once (sendmmsg/sendto → EAGAIN): the native engine keeps them
 * in its queue (QUEUE_CAP, native/udp-engine.c), sends them oldest first once the socket is writable
 * and counts what it had to drop; node:dgram (libuv) queues without a cap. Loopback never says
 * EAGAIN (the kernel orphans a looped-back packet at once), so the server listens on one end of a
 * veth pair whose egress a token-bucket qdisc (tc tbf) throttles to a trickle: the packets waiting in
 * the qdisc stay charged to the server's send buffer until it is full. Then the qdisc is opened up
 * and every reply must arrive, in the order the queries were sent, except those counted as dropped.
 * The client runs in a network namespace. Skips, saying why, without `ip netns` or `tc`.
 */
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsServer, type DnsServer } from '../../src/server.js';
import { buildQuery } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { nativeAvailable } from '../helpers/udp-engine.js';
import { createVethNamespace, type VethNamespace } from '../helpers/veth-namespace.js';

/** Enough replies to fill an 8 MiB send buffer (4 MiB asked, doubled by the kernel: about 10,000 small replies) and the 1,024-slot queue behind it. */
const QUERIES = 15_000;
const CLIENT = fileURLToPath(new URL('../helpers/udp-flood-client.mjs', import.meta.url));
let unavailable: string | undefined;
let testBed: VethNamespace | undefined;

/** While the server in this process answers, nothing here may block its event loop: tc runs async. */
const runAsync = async (cmd: string, args: string[]) => (await promisify(execFile)(cmd, args, { encoding: 'utf8' })).stdout;

/** Throttled: a trickle out of the host end, with room in the qdisc for every reply (nothing dropped there). */
const throttle = (verb: 'add' | 'change', rate: string) => runAsync('tc', ['qdisc', verb, 'dev', testBed!.hostEnd, 'root', 'tbf', 'rate', rate, 'burst', '16kb', 'limit', '64mb']);

/** Packets the qdisc dropped, and how many still wait in it. */
async function qdiscState(): Promise<{ dropped: number; backlog: number }> {
  const text = await runAsync('tc', ['-s', 'qdisc', 'show', 'dev', testBed!.hostEnd]);
  return { dropped: Number(/dropped (\d+)/.exec(text)?.[1] ?? NaN), backlog: Number(/backlog \S+ (\d+)p/.exec(text)?.[1] ?? NaN) };
}

/** Replies the client's socket had no room for (its namespace's own UDP counters). */
async function clientReceiveBufferErrors(): Promise<number> {
  const snmp = await runAsync('ip', ['netns', 'exec', testBed!.name, 'cat', '/proc/net/snmp']);
  const [header, values] = snmp.split('\n').filter((line) => line.startsWith('Udp:'));
  const names = header!.split(/\s+/);
  return Number(values!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
}

beforeAll(() => {
  const created = createVethNamespace('sq');
  if ('unavailable' in created) {
    unavailable = created.unavailable;
    return;
  }
  testBed = created;
  try {
    execFileSync('tc', ['qdisc', 'add', 'dev', created.hostEnd, 'root', 'tbf', 'rate', '8kbit', 'burst', '16kb', 'limit', '64mb'], { stdio: 'pipe' });
    execFileSync('tc', ['qdisc', 'del', 'dev', created.hostEnd, 'root'], { stdio: 'pipe' });
  } catch (error) {
    unavailable = `tc tbf is not available here (${String((error as { stderr?: string }).stderr ?? error).trim()})`;
  }
});

afterAll(() => testBed?.remove());

/** The client in the namespace, and a way to ask it one line at a time. */
function startClient(port: number): { ask(line: string): Promise<string>; sent: Promise<void>; child: ChildProcessWithoutNullStreams } {
  const question = buildQuery('web.shop.svc.cluster.local', 'A').toString('hex');
  const child = spawn('ip', ['netns', 'exec', testBed!.name, process.execPath, CLIENT, testBed!.hostAddress, String(port), String(QUERIES), question]);
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  let onSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => (onSent = resolve));
  lines.on('line', (line) => (line === 'sent' ? onSent() : waiting.shift()?.(line)));
  return {
    child,
    sent,
    ask: (line) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${line}\n`);
      }),
  };
}

/** Responses the server has written (sent, queued or dropped after), from its own /metrics. */
async function responsesWritten(server: DnsServer): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(/^coredns_dns_responses_total\{[^}]*\} (\d+)$/gm)) sum += Number(match[1]);
  return sum;
}

async function floodThroughThrottle(udpEngine: 'native' | 'dgram') {
  const server: DnsServer = createDnsServer({
    zones: ['test/fixtures/equivalence/native.yaml'],
    host: testBed!.hostAddress,
    port: 0,
    upstream: 'none',
    http: '127.0.0.1:0',
    udpEngine,
    rrlRate: 0,
  });
  await server.start();
  await throttle('add', '8kbit');
  const client = startClient(server.addresses!.udp.port);
  let allSent = false;
  void client.sent.then(() => (allSent = true));
  try {
    let mostQueued = 0;
    // Until every query is out and the server has answered all it received (the count stops moving).
    let last = -1;
    const answered = await pollUntil(async () => {
      mostQueued = Math.max(mostQueued, server.udpStats()?.queued ?? 0);
      const now = await responsesWritten(server);
      const settled = allSent && now === last;
      last = now;
      return settled ? now : undefined;
    }, 55_000, 100);
    await throttle('change', '5mbit');
    await pollUntil(async () => ((server.udpStats()?.queued ?? 0) === 0 && (await qdiscState()).backlog === 0 ? true : undefined), 55_000, 50);
    const stats = server.udpStats();
    const overflow = stats?.overflow ?? 0;
    const sendErrors = stats?.sendErrors ?? 0;
    const qdiscDropped = (await qdiscState()).dropped;
    const expected = answered - overflow - sendErrors - qdiscDropped;
    await pollUntil(async () => (Number(await client.ask('count')) + (await clientReceiveBufferErrors()) >= expected ? true : undefined));
    const ids = JSON.parse(await client.ask('ids')) as number[];
    return { ids, answered, expected, mostQueued, overflow, sendErrors, qdiscDropped, clientDropped: await clientReceiveBufferErrors() };
  } finally {
    client.child.kill();
    await runAsync('tc', ['qdisc', 'del', 'dev', testBed!.hostEnd, 'root']).catch(() => {});
    await server.stop();
  }
}

/** Reply IDs in arrival order are the query IDs in sending order, with gaps only where something was dropped. */
function inSendingOrder(ids: readonly number[]): boolean {
  return ids.every((value, i) => i === 0 || value > ids[i - 1]!);
}

describe('replies the kernel will not take at once (EAGAIN)', () => {
  it('native engine: queued, then sent oldest first; beyond its queue, dropped and counted', async (context) => {
    if (unavailable) return context.skip(unavailable);
    if (!nativeAvailable) return context.skip('the native UDP engine was not built here');
    const run = await floodThroughThrottle('native');
    expect(run.mostQueued).toBeGreaterThan(0);
    // The queue is capped, and the send buffer held fewer replies than were answered: some were dropped.
    expect(run.mostQueued).toBeLessThanOrEqual(1024);
    expect(run.overflow).toBeGreaterThan(0);
    expect(run.sendErrors).toBe(0);
    expect(run.qdiscDropped).toBe(0);
    expect(run.ids.length + run.clientDropped).toBe(run.expected);
    expect(inSendingOrder(run.ids)).toBe(true);
  });

  it('node:dgram: libuv queues every reply, so all arrive, in order', async (context) => {
    if (unavailable) return context.skip(unavailable);
    // node:dgram has no engine counters (udpStats() is undefined): every answered query must arrive.
    const run = await floodThroughThrottle('dgram');
    expect(run.qdiscDropped).toBe(0);
    expect(run.ids.length + run.clientDropped).toBe(run.answered);
    expect(inSendingOrder(run.ids)).toBe(true);
  });
});
