/** Resource limits and upstream faults over real sockets: caps, timeouts, floods, broken upstreams. */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, queryTcp, queryUdp, sendUdp } from '../helpers/dns-client.js';
import { reply, rr, startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
const WEB = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];
const A = (ip: string) => ip.split('.').map(Number);
const answerA: Behaviour = (q) => reply(q, { answer: [rr('example.org', 1, 300, A('192.0.2.1'))] });

/** A logger whose JSON lines the test can read: limits are logged (rate-limited) when hit. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines, limits: () => lines.filter((l) => l.limit).map((l) => l.limit) };
}

interface Client {
  socket: Socket;
  replies: Buffer[];
  connected: Promise<void>;
  closed: Promise<{ afterMs: number }>;
  waitFor(n: number): Promise<Buffer[]>;
}

/** A raw TCP client that collects framed replies and reports when the server closes on it. */
function tcpClient(port: number): Client {
  const socket = connect({ port, host: '127.0.0.1' });
  const started = performance.now();
  const replies: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
    }
  });
  const closed = new Promise<{ afterMs: number }>((resolve) => socket.on('close', () => resolve({ afterMs: performance.now() - started })));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    socket,
    replies,
    connected,
    closed,
    waitFor: (n) => pollUntil(() => (replies.length >= n ? replies.slice() : undefined), undefined, 10),
  };
}

const frame = (message: Buffer): Buffer => Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]);

/** Answers queries only when released: a test can hold them in flight. */
function gatedUpstream() {
  const held: (() => void)[] = [];
  let open = false;
  const behaviour: Behaviour = (q) =>
    open ? answerA(q, 'udp') : new Promise((resolve) => held.push(() => resolve(answerA(q, 'udp') as Buffer)));
  return {
    behaviour,
    release() {
      open = true;
      for (const go of held.splice(0)) go();
    },
  };
}

describe('TCP limits', () => {
  it('at the connection cap closes the connection idle longest instead of the newcomer, and logs it', async () => {
    const log = captureLog();
    const { server, port } = await startServer({ zones, tcpMaxConnections: 3, logger: log.logger });
    const held: Client[] = [];
    for (let i = 0; i < 3; i++) {
      held.push(tcpClient(port));
      await held[i]!.connected;
    }
    const extra = tcpClient(port);
    extra.socket.write(frame(buildQuery('web.shop.svc.cluster.local', 'A', { id: 9 })));
    const [raw] = await extra.waitFor(1);
    expect(decodeReply(raw!)).toMatchObject({ id: 9, rcode: 'NOERROR', answer: WEB });
    await held[0]!.closed;
    for (const [i, client] of held.slice(1).entries()) {
      client.socket.write(frame(buildQuery('web.shop.svc.cluster.local', 'A', { id: i })));
      const [reply] = await client.waitFor(1);
      expect(decodeReply(reply!)).toMatchObject({ id: i, rcode: 'NOERROR', answer: WEB });
    }
    expect(log.limits()).toEqual(['tcp-evicted']);
    expect(server.ready()).toBe(true);
  });

  it('answers a legitimate TCP client while 1,000 idle and 300 slowloris connections are held against it', async () => {
    // Every connection here has two ends in this process; keep within the open-file limit.
    const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
    const scale = Math.min(1, (fdLimit - 300) / (2 * 1300));
    const [idleCount, slowCount] = [Math.floor(1000 * scale), Math.floor(300 * scale)];
    if (scale < 1) console.warn(`open-file limit ${fdLimit}: flood scaled to ${idleCount} idle + ${slowCount} slowloris`);
    // Only eviction may free a slot: every timeout is an hour.
    const hour = 3_600_000;
    const { server, port } = await startServer({ zones, http: '127.0.0.1:0', tcpIdleTimeoutMs: hour, tcpBusyIdleTimeoutMs: hour, tcpSlowTimeoutMs: hour });
    const attackers: Client[] = [];
    const slow: Client[] = [];
    let dribbled = 0;
    const dribble = setInterval(() => {
      // One more byte of a 40-byte message that never completes, on every slowloris connection.
      for (const c of slow) if (!c.socket.destroyed && dribbled < 30) c.socket.write(Buffer.from([1]));
      dribbled++;
    }, 200);
    const legit: (readonly [number, string, string[]])[] = [];
    try {
      for (let i = 0; i < idleCount + slowCount; i += 50) {
        const batch = Array.from({ length: Math.min(50, idleCount + slowCount - i) }, (_, j) => {
          const c = tcpClient(port);
          if (i + j >= idleCount) {
            c.socket.write(Buffer.from([0, 40, 0]));
            slow.push(c);
          }
          return c;
        });
        attackers.push(...batch);
        await Promise.all(batch.map((c) => Promise.race([c.connected, c.closed])));
        // A legitimate client asks over TCP between batches, each time on a new connection.
        const r = await queryTcp(port, 'web.shop.svc.cluster.local', 'A', { id: legit.length });
        legit.push([r.id, r.rcode, r.answer]);
      }
      expect(legit).toEqual(legit.map((_, i) => [i, 'NOERROR', WEB]));
      expect(legit.length).toBe(Math.ceil((idleCount + slowCount) / 50));
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/metrics`)).text();
      const evicted = Number(/cluster_dns_limits_hit_total\{kind="tcp-evicted"\} (\d+)/.exec(metrics)?.[1]);
      // Every arrival beyond the cap (256) evicted one; none was refused.
      expect(evicted).toBeGreaterThanOrEqual(idleCount + slowCount - 256);
      expect(metrics).not.toContain('kind="tcp-connections"');
      console.log(`TCP flood: ${idleCount} idle + ${slowCount} slowloris connections, ${legit.length}/${legit.length} legitimate TCP queries answered, ${evicted} evicted`);
    } finally {
      clearInterval(dribble);
      for (const c of attackers) c.socket.destroy();
    }
  }, 120_000); // a guard against a hang; nothing here bounds elapsed time

  it('keeps at most tcpMaxInFlight forwarded queries of one connection in flight, then answers them all', async () => {
    const gate = gatedUpstream();
    const upstream = await startFakeUpstream(gate.behaviour);
    const { port } = await startServer({ zones, upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 5000, tcpMaxInFlight: 2 });
    const client = tcpClient(port);
    const names = [1, 2, 3, 4, 5].map((n) => `n${n}.example.org`);
    client.socket.write(Buffer.concat(names.map((name, i) => frame(buildQuery(name, 'A', { id: 100 + i })))));
    await pollUntil(() => (upstream.queries.length === 2 ? true : undefined));
    // A cluster name over UDP meanwhile is answered at once.
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
    expect(upstream.queries).toHaveLength(2);
    gate.release();
    const replies = (await client.waitFor(5)).map(decodeReply);
    expect(replies.map((r) => [r.id, r.rcode, r.answer]).sort()).toEqual(
      names.map((_, i) => [100 + i, 'NOERROR', ['example.org. 300 IN A 192.0.2.1']]).sort(),
    );
    expect(upstream.queries.map((q) => q.name).sort()).toEqual(names);
  });

  it('closes a connection idle for tcpIdleTimeoutMs after answering it', async () => {
    const log = captureLog();
    const { port } = await startServer({ zones, tcpIdleTimeoutMs: 200, logger: log.logger });
    const client = tcpClient(port);
    client.socket.write(frame(buildQuery('web.shop.svc.cluster.local', 'A')));
    const [raw] = await client.waitFor(1);
    expect(decodeReply(raw!).answer).toEqual(WEB);
    const { afterMs } = await client.closed;
    expect(afterMs).toBeGreaterThanOrEqual(150);
    expect(log.limits()).toContain('tcp-idle');
  });

  // Found by this suite: every byte restarted the idle clock, so a client dribbling one byte per
  // 100 ms held its connection slot for ever. The slow-client timeout closes it.
  it('cuts off a slowloris client sending one byte per 100 ms, while a split but prompt client is answered', async () => {
    const log = captureLog();
    const { port } = await startServer({ zones, tcpIdleTimeoutMs: 10_000, tcpSlowTimeoutMs: 600, logger: log.logger });
    const bytes = frame(buildQuery('web.shop.svc.cluster.local', 'A', { id: 77 }));
    const slow = tcpClient(port);
    await slow.connected;
    let sent = 0;
    const dribble = setInterval(() => {
      if (sent < bytes.length && !slow.socket.destroyed) slow.socket.write(bytes.subarray(sent, ++sent));
    }, 100);
    try {
      const { afterMs } = await slow.closed;
      expect(afterMs).toBeGreaterThanOrEqual(500);
      expect(sent).toBeLessThan(bytes.length);
      expect(slow.replies).toEqual([]);
    } finally {
      clearInterval(dribble);
    }
    expect(log.limits()).toContain('tcp-slow');

    const prompt = tcpClient(port);
    prompt.socket.write(bytes.subarray(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    prompt.socket.write(bytes.subarray(5));
    const [raw] = await prompt.waitFor(1);
    expect(decodeReply(raw!)).toMatchObject({ id: 77, rcode: 'NOERROR', answer: WEB });
    prompt.socket.destroy();
  });

  it('stops reading a client that sends faster than it is answered, and closes one that overflows tcpMaxBufferedBytes', async () => {
    const log = captureLog();
    const upstream = await startFakeUpstream(() => 'drop');
    const { port } = await startServer({
      zones,
      upstream: [{ address: '127.0.0.1', port: upstream.port }],
      upstreamTimeoutMs: 5000,
      tcpMaxInFlight: 1,
      tcpMaxBufferedBytes: 65_537,
      logger: log.logger,
    });
    // 16 MiB of pipelined queries behind one stuck in the upstream: the server takes the first and
    // stops reading, so the rest stay in the client's socket (the kernel's buffers, then its own).
    const flood = tcpClient(port);
    const one = frame(buildQuery('stuck.example.org', 'A'));
    flood.socket.write(Buffer.concat(Array.from({ length: Math.ceil((16 << 20) / one.length) }, () => one)));
    await pollUntil(() => (upstream.queries.length === 1 ? true : undefined));
    await pollUntil(() => (flood.socket.writableLength > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(upstream.queries).toHaveLength(1);
    expect(flood.socket.destroyed).toBe(false);
    flood.socket.destroy();

    // A frame announced as 65535 octets, 65000 of them sent; then a burst: more than the cap at once.
    const greedy = tcpClient(port);
    await greedy.connected;
    greedy.socket.write(Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(65_000, 1)]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    greedy.socket.write(Buffer.alloc(70_000, 2));
    await greedy.closed;
    expect(greedy.replies).toEqual([]);
    expect(log.limits()).toContain('tcp-buffer');
    expect((await queryTcp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
  });

  it('keeps answering UDP correctly during a flood of TCP connections and slowloris clients', async () => {
    const { port } = await startServer({ zones, tcpMaxConnections: 20, tcpSlowTimeoutMs: 800, tcpIdleTimeoutMs: 1000 });
    const flood: Client[] = [];
    for (let i = 0; i < 300; i++) {
      const c = tcpClient(port);
      // Half dribble an unfinished frame, half just sit there.
      if (i % 2 === 0) c.socket.write(Buffer.from([0, 40, 0]));
      flood.push(c);
    }
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const raw = await sendUdp(port, buildQuery('web.shop.svc.cluster.local', 'A', { id: i }), '127.0.0.1', 3000);
          const r = decodeReply(raw!);
          return [r.id, r.rcode, r.answer];
        }),
      );
      expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => [i, 'NOERROR', WEB]));
      // The slow ones are cut off, so TCP serves again once they are gone.
      await pollUntil(async () => {
        const r = await queryTcp(port, 'web.shop.svc.cluster.local', 'A');
        return r.answer.length ? r : undefined;
      }, undefined, 100);
    } finally {
      for (const c of flood) c.socket.destroy();
    }
  });
});

describe('upstream faults', () => {
  const faults: Record<string, Behaviour> = {
    'never answers': () => 'drop',
    'answers with a wrong id': (q) => reply(q, { id: q.readUInt16BE(0) ^ 0x5555, answer: [rr('example.org', 1, 300, A('192.0.2.66'))] }),
    'answers garbage': () => Buffer.from('this is not a dns message at all, just bytes'),
    'answers a header only': (q) => q.subarray(0, 12),
    'answers too slowly': (q) => new Promise((resolve) => setTimeout(() => resolve(answerA(q, 'udp') as Buffer), 1500)),
    // TC on UDP, and the TCP connection closes without a reply, for ever.
    'truncates for ever': (q, transport) => (transport === 'udp' ? reply(q, { tc: true }) : 'drop'),
  };

  for (const [fault, behaviour] of Object.entries(faults)) {
    it(`answers SERVFAIL within the upstream timeout when the upstream ${fault}, and recovers when it does`, async () => {
      const upstream = await startFakeUpstream(behaviour);
      const { port } = await startServer({ zones, upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 300 });
      const [udp, tcp] = await Promise.all([
        queryUdp(port, 'example.org', 'A', { edns: {} }),
        queryTcp(port, 'example.org', 'A', { edns: {}, id: 0x4321 }),
      ]);
      for (const r of [udp, tcp]) {
        expect({ rcode: r.rcode, answer: r.answer, qr: r.bits.qr, question: r.question }).toEqual({
          rcode: 'SERVFAIL',
          answer: [],
          qr: true,
          question: ['example.org. IN A'],
        });
        expect(r.edns?.ede?.text).toMatch(/^no upstream answered/);
      }
      expect(tcp.id).toBe(0x4321);
      // Cluster names never depended on the upstream.
      expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);

      upstream.behaviour = answerA;
      const recovered = await pollUntil(async () => {
        const r = await queryUdp(port, 'example.org', 'A');
        return r.rcode === 'NOERROR' ? r : undefined;
      }, undefined, 100);
      expect(recovered.answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
    });
  }

  it('answers beyond upstreamMaxInFlight with SERVFAIL instead of queueing, counts it and logs it once', async () => {
    const gate = gatedUpstream();
    const upstream = await startFakeUpstream(gate.behaviour);
    const log = captureLog();
    const { server, port } = await startServer({
      zones,
      upstream: [{ address: '127.0.0.1', port: upstream.port }],
      upstreamTimeoutMs: 60_000,
      upstreamMaxInFlight: 2,
      http: '127.0.0.1:0',
      logger: log.logger,
    });
    const held = [queryUdp(port, 'a.example.org', 'A', { id: 1 }), queryUdp(port, 'b.example.org', 'A', { id: 2 })];
    await pollUntil(() => (upstream.queries.length === 2 ? true : undefined));
    // Answered while the two are still held in the upstream: it did not queue behind them.
    const busy = await queryUdp(port, 'c.example.org', 'A', { id: 3, edns: {} });
    const again = await queryUdp(port, 'd.example.org', 'A', { id: 4, edns: {} });
    expect(upstream.queries.map((q) => q.name)).toEqual(['a.example.org', 'b.example.org']);
    expect({ id: busy.id, rcode: busy.rcode, ede: busy.edns?.ede?.text }).toEqual({ id: 3, rcode: 'SERVFAIL', ede: 'more than 2 upstream queries in flight' });
    expect({ id: again.id, rcode: again.rcode }).toEqual({ id: 4, rcode: 'SERVFAIL' });
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/metrics`)).text();
    expect(metrics).toContain('cluster_dns_limits_hit_total{kind="upstream-in-flight"} 2');
    // Logged once: the second hit falls inside the 10 s rate-limit window.
    expect(log.lines.filter((l) => l.limit === 'upstream-in-flight').map((l) => [l.msg, l.inFlight])).toEqual([['limit reached: upstream-in-flight', 2]]);
    gate.release();
    expect((await Promise.all(held)).map((r) => [r.id, r.rcode, r.answer])).toEqual([
      [1, 'NOERROR', ['example.org. 300 IN A 192.0.2.1']],
      [2, 'NOERROR', ['example.org. 300 IN A 192.0.2.1']],
    ]);
  });
});

describe('limit options', () => {
  it('rejects limits out of range, naming the option', async () => {
    const { createDnsServer } = await import('../../src/server.js');
    expect(() => createDnsServer({ tcpMaxConnections: 0 })).toThrow(/^tcpMaxConnections: expected a whole number from 1 to 1000000, got 0$/);
    expect(() => createDnsServer({ tcpMaxBufferedBytes: 1000 })).toThrow(/^tcpMaxBufferedBytes: expected a whole number from 65537 to 1073741824, got 1000$/);
    expect(() => createDnsServer({ tcpSlowTimeoutMs: 1.5 })).toThrow(/^tcpSlowTimeoutMs: expected/);
    expect(() => createDnsServer({ upstreamMaxInFlight: -1 })).toThrow(/^upstreamMaxInFlight: expected/);
  });

  it('takes every limit from the command line and the environment', async () => {
    const { parseCommandLine } = await import('../../src/cli-args.js');
    const { options } = parseCommandLine(
      ['--tcp-max-connections', '10', '--tcp-max-in-flight', '4', '--tcp-idle-timeout', '3000', '--tcp-busy-idle-timeout', '300', '--tcp-slow-timeout', '700', '--upstream-max-in-flight', '50'],
      { CLUSTER_DNS_TCP_MAX_BUFFERED: '131074' },
    );
    expect(options).toMatchObject({ tcpMaxConnections: 10, tcpMaxInFlight: 4, tcpIdleTimeoutMs: 3000, tcpBusyIdleTimeoutMs: 300, tcpSlowTimeoutMs: 700, upstreamMaxInFlight: 50, tcpMaxBufferedBytes: 131_074 });
  });
});
