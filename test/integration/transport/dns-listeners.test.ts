import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsListeners, type DnsListeners, type LimitKind, type ListenerMeta, type ListenerOptions, type PacketHandler } from '../../../src/transport/dns-listeners.js';
import { sendUdp } from '../../helpers/dns-client.js';
import { loadNativeUdpAddon } from '../../../src/transport/native-addon.js';
import { UDP_ENGINE } from '../../helpers/udp-engine.js';

/** The UDP engine of this project (vitest.config.ts): the native one unless it is `dgram` or not built. */
const loaded = loadNativeUdpAddon();
const engine = UDP_ENGINE !== 'dgram' && 'addon' in loaded ? { nativeUdp: loaded.addon } : {};

/**
 * The test handler reads its orders from the packet: byte 0 is a delay in units of 10 ms (0: answer
 * synchronously), 0xff drops the packet, 0xfe throws, 0xfd rejects; byte 1 tags the query. The reply
 * is the packet with its first bit set, or `replyBytes` long when that option is given.
 */
function echoHandler(seen: { meta: ListenerMeta[]; inFlight: number; maxInFlight: number }, replyBytes?: number): PacketHandler {
  return (packet, meta) => {
    seen.meta.push(meta);
    const order = packet[0] ?? 0;
    const reply = () => {
      const out = Buffer.alloc(replyBytes ?? packet.length);
      packet.copy(out);
      out[0] = (out[0] ?? 0) | 0x80;
      return out;
    };
    if (order === 0xff) return undefined;
    if (order === 0xfe) throw new Error('handler failed');
    if (order === 0xfd) return Promise.reject(new Error('handler rejected'));
    if (order === 0) return reply();
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    return new Promise((resolve) => setTimeout(() => {
      seen.inFlight--;
      resolve(reply());
    }, order * 10));
  };
}

const open: DnsListeners[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((l) => l.close()));
});

interface Started {
  listeners: DnsListeners;
  port: number;
  seen: { meta: ListenerMeta[]; inFlight: number; maxInFlight: number };
  errors: unknown[];
  limits: LimitKind[];
}

async function start(options: Partial<ListenerOptions> & { replyBytes?: number } = {}): Promise<Started> {
  const seen = { meta: [] as ListenerMeta[], inFlight: 0, maxInFlight: 0 };
  const errors: unknown[] = [];
  const limits: LimitKind[] = [];
  const listeners = await createDnsListeners({
    ...engine,
    host: '127.0.0.1',
    port: 0,
    handler: echoHandler(seen, options.replyBytes),
    onError: (error) => errors.push(error),
    onLimit: (kind) => limits.push(kind),
    ...options,
  });
  open.push(listeners);
  return { listeners, port: listeners.addresses.tcp.port, seen, errors, limits };
}

const frame = (...bytes: number[]) => {
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  out.set(bytes, 2);
  return out;
};

/** A raw TCP client that collects framed replies. */
function tcpClient(port: number, host = '127.0.0.1', localAddress?: string) {
  const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
  sockets.push(socket);
  socket.on('error', () => {});
  const replies: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
    }
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<{ afterMs: number }>((resolve) => {
    const t0 = performance.now();
    socket.on('close', () => resolve({ afterMs: performance.now() - t0 }));
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    socket,
    replies,
    connected,
    closed,
    /** Resolves once `n` replies are in (the test's own timeout is the only bound). */
    async waitFor(n: number): Promise<Buffer[]> {
      while (replies.length < n) {
        if (socket.destroyed && replies.length < n) throw new Error(`${replies.length} of ${n} replies, then closed`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return replies;
    },
  };
}

const tags = (replies: Buffer[]) => replies.map((r) => r[1]);

describe('UDP', () => {
  it('binds UDP and TCP on one port and answers the sender', async () => {
    const { listeners, port, seen } = await start();
    expect(listeners.addresses.udp).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect(listeners.addresses.tcp).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    const reply = await sendUdp(port, Buffer.from([0, 42, 1, 2, 3]));
    expect(reply).toEqual(Buffer.from([0x80, 42, 1, 2, 3]));
    expect(seen.meta).toEqual([{ transport: 'udp', client: { address: '127.0.0.1', port: expect.any(Number) } }]);
  });

  it('replies to each client at its own address and port', async () => {
    const { port, seen } = await start();
    const replies = await Promise.all([1, 2, 3].map((tag) => sendUdp(port, Buffer.from([tag % 2, tag]))));
    expect(replies.map((r) => r?.[1])).toEqual([1, 2, 3]);
    expect(new Set(seen.meta.map((m) => m.client.port)).size).toBe(3);
  });

  it('survives a handler that throws or rejects, and sends nothing for a dropped packet', async () => {
    const { port, errors } = await start();
    expect(await sendUdp(port, Buffer.from([0xfe, 1]), '127.0.0.1', 300)).toBeUndefined();
    expect(await sendUdp(port, Buffer.from([0xfd, 2]), '127.0.0.1', 300)).toBeUndefined();
    expect(await sendUdp(port, Buffer.from([0xff, 3]), '127.0.0.1', 300)).toBeUndefined();
    expect(await sendUdp(port, Buffer.from([0, 4]))).toEqual(Buffer.from([0x80, 4]));
    expect(errors.map((e) => (e as Error).message)).toEqual(['handler failed', 'handler rejected']);
  });

  it('sends replies of every size a datagram holds, synchronous and late (the native engine sends those past its 4 KiB batch slot one by one)', async () => {
    for (const replyBytes of [4096, 4097, 9000, 65507]) {
      const { port } = await start({ replyBytes });
      for (const order of [0, 1]) {
        const reply = await sendUdp(port, Buffer.from([order, 9]));
        expect({ replyBytes, order, length: reply?.length, head: [...(reply ?? Buffer.alloc(0)).subarray(0, 2)] }).toEqual({ replyBytes, order, length: replyBytes, head: [0x80 | order, 9] });
      }
    }
  });
});

describe('TCP', () => {
  it('answers pipelined queries from one write as they complete, out of order', async () => {
    // Tags 1, 3 and 5 are answered when the test releases them, in the order 5, 3, 1.
    const held = new Map<number, () => void>();
    const { port } = await start({
      handler: (packet) => {
        const reply = Buffer.from([packet[0]! | 0x80, packet[1]!]);
        if (packet[0] === 0) return reply;
        return new Promise((resolve) => held.set(packet[1]!, () => resolve(reply)));
      },
    });
    const client = tcpClient(port);
    client.socket.write(Buffer.concat([frame(1, 1), frame(0, 2), frame(1, 3), frame(0, 4), frame(1, 5)]));
    expect(tags(await client.waitFor(2))).toEqual([2, 4]); // the synchronous answers, not behind 1 and 3
    await waitUntil(() => held.size === 3);
    for (const tag of [5, 3, 1]) {
      held.get(tag)!();
      await client.waitFor(client.replies.length + 1);
    }
    expect(tags(client.replies)).toEqual([2, 4, 5, 3, 1]);
  });

  it('reassembles frames split into single bytes', async () => {
    const { port } = await start();
    const client = tcpClient(port);
    await client.connected;
    client.socket.setNoDelay(true);
    for (const byte of Buffer.concat([frame(0, 1, 9, 9), frame(0, 2)])) {
      client.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(tags(await client.waitFor(2))).toEqual([1, 2]);
  });

  it('keeps at most maxTcpInFlight queries of one connection in the handler', async () => {
    const { port, seen, limits } = await start({ maxTcpInFlight: 2 });
    const client = tcpClient(port);
    client.socket.write(Buffer.concat([1, 2, 3, 4, 5, 6].map((tag) => frame(2, tag))));
    expect(tags(await client.waitFor(6)).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.maxInFlight).toBe(2);
    expect(limits).toContain('tcp-in-flight');
  });

  it('closes an idle connection, but not one waiting for a slow answer', async () => {
    const { port, limits } = await start({ tcpIdleTimeoutMs: 150 });
    const idle = tcpClient(port);
    const { afterMs } = await idle.closed;
    expect(afterMs).toBeGreaterThanOrEqual(100);
    expect(limits).toContain('tcp-idle');

    const slow = tcpClient(port);
    slow.socket.write(frame(40, 7)); // 400 ms, longer than the idle timeout
    expect(tags(await slow.waitFor(1))).toEqual([7]);
    expect(slow.socket.destroyed).toBe(false);
    await slow.closed; // and idle again afterwards
  });

  /** Opens connections one after another, each accepted by the listener before the next. */
  async function openInOrder(listeners: DnsListeners, port: number, n: number) {
    const clients: ReturnType<typeof tcpClient>[] = [];
    for (let i = 0; i < n; i++) {
      const client = tcpClient(port);
      await client.connected;
      await waitUntil(() => listeners.tcpConnections() === i + 1);
      clients.push(client);
    }
    return clients;
  }

  it('at the cap closes the connection idle longest for a newcomer, counts it, and keeps serving the rest', async () => {
    const { listeners, port, limits } = await start({ maxTcpConnections: 3 });
    const [a, b, c] = await openInOrder(listeners, port, 3);
    a!.socket.write(frame(0, 1));
    expect(tags(await a!.waitFor(1))).toEqual([1]); // a made progress: b is now idle longest
    const d = tcpClient(port);
    d.socket.write(frame(0, 4));
    expect(tags(await d.waitFor(1))).toEqual([4]);
    await b!.closed;
    expect(b!.replies).toEqual([]);
    expect(limits).toEqual(['tcp-evicted']);
    c!.socket.write(frame(0, 3));
    expect(tags(await c!.waitFor(1))).toEqual([3]);
    a!.socket.write(frame(0, 5));
    expect(tags(await a!.waitFor(2))).toEqual([1, 5]);
    expect(listeners.tcpConnections()).toBe(3);
  });

  it('at the cap takes the slot from the client holding the most connections, not from one that just connected', async () => {
    const { listeners, port, limits } = await start({ maxTcpConnections: 4 });
    const flood = await openInOrder(listeners, port, 3);
    // Another client (another loopback address) connects and has not sent its query yet.
    const other = tcpClient(port, '127.0.0.1', '127.0.0.2');
    await other.connected;
    await waitUntil(() => listeners.tcpConnections() === 4);
    // The flooder keeps reconnecting: by age alone the other client's slot would go on the fourth.
    for (let i = 0; i < 4; i++) {
      const again = tcpClient(port);
      await again.connected;
      await waitUntil(() => limits.length === i + 1);
      flood.push(again);
    }
    expect(limits).toEqual(['tcp-evicted', 'tcp-evicted', 'tcp-evicted', 'tcp-evicted']);
    other.socket.write(frame(0, 9));
    expect(tags(await other.waitFor(1))).toEqual([9]);
    expect(other.socket.destroyed).toBe(false);
    await Promise.all(flood.slice(0, 4).map((c) => c.closed)); // the flooder's four oldest went
    expect(listeners.tcpConnections()).toBe(4);
  });

  it('ranks a slowloris connection by its last complete message, not its last byte', async () => {
    const { listeners, port, limits } = await start({ maxTcpConnections: 2, tcpSlowTimeoutMs: 3_600_000 });
    const [slow, idle] = await openInOrder(listeners, port, 2);
    // The slow one keeps sending bytes of a message it never finishes, after the idle one came.
    slow!.socket.write(Buffer.from([0, 9, 0]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    slow!.socket.write(Buffer.from([1]));
    const newcomer = tcpClient(port);
    newcomer.socket.write(frame(0, 7));
    expect(tags(await newcomer.waitFor(1))).toEqual([7]);
    await slow!.closed;
    expect(limits).toEqual(['tcp-evicted']);
    idle!.socket.write(frame(0, 8));
    expect(tags(await idle!.waitFor(1))).toEqual([8]);
  });

  it('closes a newcomer on arrival only when every connection has a query in flight', async () => {
    const held: (() => void)[] = [];
    const { listeners, port, limits } = await start({
      maxTcpConnections: 2,
      handler: (packet) => new Promise((resolve) => held.push(() => resolve(Buffer.from([packet[0]! | 0x80, packet[1]!])))),
    });
    const [first, second] = await openInOrder(listeners, port, 2);
    first!.socket.write(frame(0, 1));
    second!.socket.write(frame(0, 2));
    await waitUntil(() => held.length === 2);
    const third = tcpClient(port);
    third.socket.write(frame(0, 3));
    await third.closed;
    expect(third.replies).toEqual([]);
    expect(limits).toEqual(['tcp-connections']);
    for (const go of held.splice(0)) go();
    expect(tags(await first!.waitFor(1))).toEqual([1]);
    expect(tags(await second!.waitFor(1))).toEqual([2]);
    // Idle now: the next newcomer evicts one instead of being refused.
    const fourth = tcpClient(port);
    fourth.socket.write(frame(0, 4));
    await waitUntil(() => held.length === 1);
    held.shift()!();
    expect(tags(await fourth.waitFor(1))).toEqual([4]);
    expect(limits).toEqual(['tcp-connections', 'tcp-evicted']);
  });

  it('uses the short idle timeout only while more than 3/4 of the cap is open', async () => {
    const { listeners, port, limits } = await start({ maxTcpConnections: 4, tcpIdleTimeoutMs: 3_600_000, tcpBusyIdleTimeoutMs: 50 });
    const three = await openInOrder(listeners, port, 3);
    // At 3 of 4 nothing is shortened: after several short timeouts' worth of waiting all are open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(three.map((c) => c.socket.destroyed)).toEqual([false, false, false]);
    expect(limits).toEqual([]);
    const fourth = tcpClient(port);
    await Promise.all([...three, fourth].map((c) => c.closed));
    expect(limits).toEqual(['tcp-idle', 'tcp-idle', 'tcp-idle', 'tcp-idle']);
  });

  it('closes a connection that holds more unanswered bytes than allowed', async () => {
    const { port, limits } = await start({ maxTcpInFlight: 1, maxTcpBufferedBytes: 1 });
    const client = tcpClient(port);
    // One slow query in flight; a whole 65535-octet query waiting; then more bytes.
    const big = Buffer.alloc(2 + 0xffff);
    big.writeUInt16BE(0xffff, 0);
    client.socket.write(Buffer.concat([frame(50, 1), big, frame(0, 3)]));
    await client.closed;
    expect(limits).toContain('tcp-buffer');
  });

  it('stops reading from a client that does not read its replies, and catches up when it does', async () => {
    const { port, limits } = await start({ replyBytes: 60_000 });
    const client = tcpClient(port);
    await client.connected;
    client.socket.pause();
    const n = 300; // 18 MB of replies: more than the socket buffers hold
    client.socket.write(Buffer.concat(Array.from({ length: n }, (_, i) => frame(0, i & 0xff))));
    await waitUntil(() => limits.includes('tcp-backpressure'));
    client.socket.resume();
    const replies = await client.waitFor(n);
    expect(replies.every((r) => r.length === 60_000)).toBe(true);
  });

  it('answers a client that shut its side after sending, then closes', async () => {
    const { port } = await start();
    const client = tcpClient(port);
    client.socket.end(Buffer.concat([frame(10, 1), frame(0, 2)]));
    await client.closed;
    expect(tags(client.replies).sort()).toEqual([1, 2]);
  });

  it('survives handler failures and garbage on a connection', async () => {
    const { port, errors } = await start();
    const client = tcpClient(port);
    client.socket.write(Buffer.concat([frame(0xfe, 1), frame(0xfd, 2), frame(0xff, 3), frame(), frame(0, 5)]));
    expect(tags(await client.waitFor(2))).toEqual([undefined, 5]); // the empty frame is echoed empty
    expect(errors).toHaveLength(2);
  });
});

describe('close', () => {
  it('releases both sockets: the same port binds again and no handles stay open', async () => {
    const before = await settledHandleCount();
    const { listeners, port } = await start();
    const client = tcpClient(port);
    client.socket.write(frame(0, 1));
    await client.waitFor(1);
    await listeners.close();
    open.splice(open.indexOf(listeners), 1);
    await client.closed;
    expect(await settledHandleCount()).toBe(before);
    const again = await createDnsListeners({ ...engine, host: '127.0.0.1', port, handler: () => undefined });
    expect(again.addresses.udp.port).toBe(port);
    expect(again.udpEngine).toBe('nativeUdp' in engine ? 'native' : 'dgram');
    await again.close();
  });

  it('waits up to graceMs for answers in flight, and no longer', async () => {
    const events: string[] = [];
    const held: (() => void)[] = [];
    const { listeners, port } = await start({
      // Tag 1 answers at once; tag 2 only when the test says so, which is after close() resolved.
      handler: (packet) => {
        const reply = Buffer.from([packet[0]! | 0x80, packet[1]!]);
        if (packet[1] === 1) return new Promise((resolve) => setTimeout(() => resolve(reply), 10));
        return new Promise((resolve) => held.push(() => {
          events.push('slow answer ready');
          resolve(reply);
        }));
      },
    });
    const client = tcpClient(port);
    client.socket.write(Buffer.concat([frame(0, 1), frame(0, 2)]));
    expect(tags(await client.waitFor(1))).toEqual([1]);
    await waitUntil(() => held.length === 1);
    await listeners.close(100);
    events.push('closed');
    await client.closed;
    held.shift()!();
    expect(events).toEqual(['closed', 'slow answer ready']);
    expect(tags(client.replies)).toEqual([1]);
  });

  it('reports a port in use instead of binding half', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const before = await settledHandleCount();
    await expect(createDnsListeners({ ...engine, host: '127.0.0.1', port, handler: () => undefined })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await settledHandleCount()).toBe(before);
    await new Promise((resolve) => blocker.close(resolve));
  });
});

describe('IPv6', async () => {
  const available = await new Promise<boolean>((resolve) => {
    const probe = createSocket('udp6');
    probe.once('error', () => resolve(false));
    probe.bind(0, '::1', () => probe.close(() => resolve(true)));
  });

  it.skipIf(!available)('serves UDP and TCP on ::1', async () => {
    const { listeners, port, seen } = await start({ host: '::1' });
    expect(listeners.addresses.udp).toEqual({ address: '::1', family: 'IPv6', port });
    expect(listeners.addresses.tcp).toEqual({ address: '::1', family: 'IPv6', port });
    expect(await sendUdp(port, Buffer.from([0, 6]), '::1')).toEqual(Buffer.from([0x80, 6]));
    const client = tcpClient(port, '::1');
    client.socket.write(frame(0, 7));
    expect(tags(await client.waitFor(1))).toEqual([7]);
    expect(seen.meta.map((m) => [m.transport, m.client.address])).toEqual([['udp', '::1'], ['tcp', '::1']]);
  });
});

/** Polls until the condition holds; the test's own timeout is the only bound. */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Sockets and servers that would keep the process alive, once earlier tests' sockets have finished closing. */
async function settledHandleCount(): Promise<number> {
  const count = () => process.getActiveResourcesInfo().filter((r) => /UDP|TCP/.test(r)).length;
  let last = -1;
  for (let i = 0; i < 50 && count() !== last; i++) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return count();
}
