/**
 * UDP and TCP listeners on one address and port. They move bytes between sockets and a handler and
 * know nothing of DNS beyond TCP framing. TCP follows RFC 7766: pipelined queries answered as they
 * complete, idle timeouts, and caps on connections, in-flight queries and buffered bytes; at the
 * connection cap the connection idle longest makes room for a newcomer (§6.2.3).
 */
import { createSocket, type Socket as UdpSocket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket } from 'node:net';
import { MAX_FRAME, TcpFrameDecoder, frameMessage } from '../wire/tcp-framing.js';
import type { NativeUdpAddon, NativeUdpStats, UdpEngine } from './native-addon.js';
import { bindNativeUdp, type NativeUdpSocket } from './native-udp.js';
import { callHandler, type BoundAddress, type ListenerMeta, type PacketHandler } from './packet-handler.js';

export type { BoundAddress, ListenerMeta, PacketHandler } from './packet-handler.js';

/**
 * A limit that was reached, for logs and metrics:
 * - `tcp-connections`: a connection beyond the cap was closed on arrival (every open one was busy);
 * - `tcp-evicted`: at the cap, the connection idle longest was closed to make room for a new one;
 * - `tcp-in-flight`: a connection reached its cap on queries in flight and stopped reading for a while;
 * - `tcp-buffer`: a connection held more unanswered bytes than allowed and was closed;
 * - `tcp-idle`: a connection with nothing in flight was idle too long and was closed;
 * - `tcp-slow`: a client took too long to finish a message it had started (slowloris) and was closed;
 * - `tcp-backpressure`: a client stopped reading its replies; we stopped reading its queries until it drains.
 */
export type LimitKind = 'tcp-connections' | 'tcp-evicted' | 'tcp-in-flight' | 'tcp-buffer' | 'tcp-idle' | 'tcp-slow' | 'tcp-backpressure';

export interface ListenerLimits {
  /**
   * Concurrent TCP connections. At the cap a newcomer takes the place of the connection that made
   * progress longest ago and has nothing in flight (idle or slowloris); when every connection is
   * busy answering, the newcomer is closed. Default 256.
   */
  readonly maxTcpConnections?: number;
  /** Queries in flight on one TCP connection; reading pauses at the cap. Default 32. */
  readonly maxTcpInFlight?: number;
  /** A TCP connection with no query in flight closes after this many ms (RFC 7766 §6.2.3). Default 10000. */
  readonly tcpIdleTimeoutMs?: number;
  /**
   * The idle timeout while more than 3/4 of `maxTcpConnections` are open: RFC 7766 §6.2.3 lets a
   * server under pressure close idle connections sooner. Default 1000 (never above tcpIdleTimeoutMs).
   */
  readonly tcpBusyIdleTimeoutMs?: number;
  /** Bytes held for one connection: unfinished frames and queries waiting for a slot. Default 262144. */
  readonly maxTcpBufferedBytes?: number;
  /**
   * A message whose first bytes have arrived must be complete within this many ms, or the connection
   * closes. Every byte resets the idle clock, so without this a client dribbling one byte at a time
   * (slowloris) would hold a connection slot for ever. Default 5000.
   */
  readonly tcpSlowTimeoutMs?: number;
}

export interface ListenerOptions extends ListenerLimits {
  /** An IPv4 or IPv6 address; `0.0.0.0` or `::` for every interface. */
  readonly host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  readonly port: number;
  readonly handler: PacketHandler;
  /** Called when a handler throws or rejects, or a socket fails; the listener keeps going. */
  readonly onError?: (error: unknown, meta: { transport: 'udp' | 'tcp' }) => void;
  /** Called when a limit is hit, for logs and metrics. */
  readonly onLimit?: (kind: LimitKind) => void;
  /** How the port is shared with other processes serving it (`--workers`); default: not shared. */
  readonly sharing?: SocketSharing;
  /**
   * The native engine's addon (native-addon.ts): UDP is read and answered in batches through it
   * (recvmmsg/sendmmsg) instead of node:dgram. Default: node:dgram. TCP is node:net either way.
   */
  readonly nativeUdp?: NativeUdpAddon;
  /**
   * Sees each UDP reply before it is sent: returns the bytes to send instead, or undefined to send
   * nothing (response rate limiting). Default: every reply is sent as the handler made it.
   */
  readonly filterUdpReply?: (reply: Uint8Array, client: string) => Uint8Array | undefined;
}

/**
 * `reuse-port`: each process binds its own UDP socket and TCP listener with SO_REUSEPORT and the
 * kernel spreads datagrams and connections over them by a hash of the 4-tuple (Node 22.12+).
 * `cluster`: a node:cluster worker's binds go through the primary (shared handles): every worker
 * reads one UDP socket, and the primary accepts TCP connections and hands them out round-robin.
 */
export type SocketSharing = 'reuse-port' | 'cluster';

export interface DnsListeners {
  readonly addresses: { readonly udp: BoundAddress; readonly tcp: BoundAddress };
  /**
   * Stops accepting and reading; waits up to `graceMs` (default 0) for queries in flight on TCP, then
   * closes every socket. Nothing of the listeners keeps the process alive afterwards.
   */
  close(graceMs?: number): Promise<void>;
  /** Open TCP connections right now. */
  tcpConnections(): number;
  /** Which engine reads UDP. */
  readonly udpEngine: UdpEngine;
  /** The native engine's counters (undefined on node:dgram). */
  udpStats(): NativeUdpStats | undefined;
}

/** With port 0, UDP picks a port and TCP must get the same one; another process may hold it on TCP. */
const BIND_ATTEMPTS = 10;

/** Binds UDP and TCP on the same port (port 0: UDP picks, TCP follows; retried if TCP is taken). */
export async function createDnsListeners(options: ListenerOptions): Promise<DnsListeners> {
  const attempts = options.port === 0 ? BIND_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const udp = options.nativeUdp ? bindNative(options.nativeUdp, options.host, options.port, options.sharing) : await bindUdp(options.host, options.port, options.sharing);
    const port = udp.address().port;
    try {
      const tcp = await bindTcp(options.host, port, options.sharing);
      return serve(udp, tcp, options);
    } catch (error) {
      if ('serve' in udp) await udp.close();
      else await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt >= attempts || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The native engine's socket, with the same buffer sizes. Under --workers it always sets
 * SO_REUSEPORT, so each worker has its own socket on Node 20 too, where node:cluster would
 * otherwise share one handle (the kernel spreads datagrams by a hash of the 4-tuple).
 */
function bindNative(addon: NativeUdpAddon, host: string, port: number, sharing: SocketSharing | undefined): NativeUdpSocket {
  return bindNativeUdp(addon, host, port, sharing !== undefined, UDP_BUFFER_BYTES);
}

function bindUdp(host: string, port: number, sharing: SocketSharing | undefined): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    // A burst of queries must not overflow the kernel's default receive buffer (~200 KB, a few
    // hundred datagrams); ask for 4 MiB, which Linux caps at net.core.rmem_max.
    const socket = createSocket({
      type: isIPv6(host) ? 'udp6' : 'udp4',
      recvBufferSize: UDP_BUFFER_BYTES,
      sendBufferSize: UDP_BUFFER_BYTES,
      lookup: literalAddressLookup as SocketOptions['lookup'],
      // Typed from Node 22.12 on; older Node ignores it (the cluster path is used there).
      ...(sharing === 'reuse-port' ? { reusePort: true } : {}),
    } as SocketOptions);
    const onError = (error: Error) => {
      try {
        socket.close();
      } catch {
        // never bound: nothing to release
      }
      reject(error);
    };
    socket.once('error', onError);
    // Outside node:cluster `exclusive` changes nothing; in a worker, false asks for the shared handle.
    socket.bind({ port, address: host, exclusive: sharing !== 'cluster' }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Every reply goes to the address its query came from, a literal IP. dgram's default lookup sends
 * even a literal through dns.lookup and a nextTick per datagram (5–10 % of a reply's CPU in our
 * bench); a literal is answered synchronously here, and only a name goes to dns.lookup.
 */
function literalAddressLookup(address: string, family: number, callback: (error: Error | null, address: string, family: number) => void): void {
  if (isIP(address) !== 0) callback(null, address, family);
  else dnsLookup(address, { family }, callback);
}

function bindTcp(host: string, port: number, sharing: SocketSharing | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client may send its queries and shut its side; it still gets the answers.
    const server = createServer({ noDelay: true, allowHalfOpen: true });
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: sharing !== 'cluster', ...(sharing === 'reuse-port' ? { reusePort: true } : {}) }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

interface TcpContext {
  readonly handler: PacketHandler;
  readonly maxInFlight: number;
  /** The idle timeout now: shorter while the listener is near its connection cap. */
  idleMs(): number;
  /** The connection completed a message or went idle: it moves to the back of the eviction order. */
  progress(socket: Socket): void;
  readonly slowMs: number;
  readonly maxBuffered: number;
  readonly onError: (error: unknown, meta: { transport: 'udp' | 'tcp' }) => void;
  readonly onLimit: (kind: LimitKind) => void;
  /** Replies still being computed, for a graceful close. */
  readonly pending: Set<Promise<unknown>>;
}

/** Handle of one TCP connection: stop reading (graceful close), ask whether it is doing work. */
interface TcpConnection {
  readonly socket: Socket;
  stopReading(): void;
  /** Queries in flight or waiting for a slot: the client is being served, so never evicted. */
  busy(): boolean;
  /** Restarts the idle clock with the current idle timeout, when nothing is in flight. */
  rearmIdle(): void;
}

/**
 * Serves one TCP connection (RFC 7766 §6.2): queries are handed to the handler as they arrive, up to
 * `maxInFlight` at once, and each reply is written when it is ready, so replies may come out of order
 * (§7). Reading pauses while the cap is reached, while the client is not reading its replies, or while
 * queries wait for a slot; the bytes held meanwhile are capped.
 */
function serveTcp(socket: Socket, ctx: TcpContext): TcpConnection {
  const meta: ListenerMeta = { transport: 'tcp', client: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 } };
  const frames = new TcpFrameDecoder(ctx.maxBuffered);
  let inFlight = 0;
  let writeBlocked = false; // the client is not reading its replies
  let clientDone = false; // the client shut its side: answer what it sent, then shut ours
  let stopped = false; // the listeners are closing: take no more queries
  let atCap = false;
  let pumping = false;
  let slowTimer: NodeJS.Timeout | undefined;

  /**
   * Runs the slow-client clock while the head of the buffer is an unfinished frame: from the moment
   * it starts (or the previous frame completed) the client has `slowMs` to send the rest. The clock
   * stops while we are not reading: then the delay is ours, not the client's.
   */
  const watchUnfinishedFrame = (reading: boolean, frameCompleted: boolean): void => {
    const unfinished = reading && frames.pendingBytes > 0 && !frames.hasMessage();
    if (!unfinished) {
      clearTimeout(slowTimer);
      slowTimer = undefined;
      return;
    }
    if (slowTimer && !frameCompleted) return;
    clearTimeout(slowTimer);
    slowTimer = setTimeout(() => {
      ctx.onLimit('tcp-slow');
      socket.destroy();
    }, ctx.slowMs);
  };

  const send = (bytes: Uint8Array | undefined): void => {
    if (!bytes || socket.destroyed || !socket.writable) return;
    let framed: Buffer;
    try {
      framed = frameMessage(bytes);
    } catch (error) {
      ctx.onError(error, meta); // a reply too large to frame: that query goes unanswered
      return;
    }
    if (!socket.write(framed) && !writeBlocked) {
      writeBlocked = true;
      ctx.onLimit('tcp-backpressure');
    }
  };

  const finish = (): void => {
    inFlight--;
    // RFC 7766 §6.2.3: the idle clock runs only while nothing is in flight; restart it now.
    if (inFlight === 0 && !socket.destroyed) {
      ctx.progress(socket);
      socket.setTimeout(ctx.idleMs());
    }
    pump();
  };

  const dispatch = (message: Buffer): void => {
    inFlight++;
    ctx.progress(socket);
    const reply = callHandler(ctx.handler, message, meta, ctx.onError);
    if (reply === undefined || reply instanceof Uint8Array) {
      send(reply);
      finish();
      return;
    }
    const pending: Promise<void> = reply
      .then(send, (error: unknown) => ctx.onError(error, meta))
      .finally(() => {
        ctx.pending.delete(pending);
        finish();
      });
    ctx.pending.add(pending);
  };

  /** Hands waiting queries to the handler while there is room, then decides whether to read on. */
  const pump = (): void => {
    // A synchronous handler calls back into pump() through finish(); the loop below already sees the
    // freed slot, and returning here keeps the stack flat however many queries one chunk held.
    if (pumping || socket.destroyed) return;
    pumping = true;
    let dispatched = 0;
    try {
      while (!stopped && !writeBlocked && inFlight < ctx.maxInFlight && !socket.destroyed) {
        const message = frames.shift();
        if (!message) break;
        dispatched++;
        dispatch(message);
      }
    } finally {
      pumping = false;
    }
    if (socket.destroyed) return;
    const full = inFlight >= ctx.maxInFlight;
    if (full && !atCap) ctx.onLimit('tcp-in-flight');
    atCap = full;
    const reading = !(stopped || clientDone || writeBlocked || full || frames.hasMessage());
    if (reading) socket.resume();
    else socket.pause();
    watchUnfinishedFrame(reading, dispatched > 0);
    if (clientDone && !stopped && inFlight === 0 && !frames.hasMessage() && !socket.writableEnded) socket.end();
  };

  socket.setTimeout(ctx.idleMs());
  socket.on('timeout', () => {
    if (inFlight > 0) return; // a slow answer is not an idle client; finish() restarts the clock
    ctx.onLimit('tcp-idle');
    socket.destroy();
  });
  socket.on('error', (error) => {
    // Resets from clients are routine; only report what is not.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') ctx.onError(error, meta);
    socket.destroy();
  });
  socket.on('close', () => clearTimeout(slowTimer));
  socket.on('drain', () => {
    writeBlocked = false;
    pump();
  });
  socket.on('end', () => {
    clientDone = true;
    pump();
  });
  socket.on('data', (chunk: Buffer) => {
    if (!frames.append(chunk)) {
      ctx.onLimit('tcp-buffer');
      socket.destroy();
      return;
    }
    pump();
  });

  return {
    socket,
    stopReading() {
      stopped = true;
      socket.pause();
    },
    busy: () => inFlight > 0 || frames.hasMessage(),
    rearmIdle() {
      if (inFlight === 0 && !socket.destroyed) socket.setTimeout(ctx.idleMs());
    },
  };
}

/** node:dgram: one 'message' callback per datagram, one send per reply. */
function serveDgram(udp: UdpSocket, handler: PacketHandler, onError: (error: unknown, meta: { transport: 'udp' | 'tcp' }) => void, open: () => boolean): void {
  const udpMetaBase = { transport: 'udp' } as const;
  udp.on('message', (packet, rinfo) => {
    const meta: ListenerMeta = { transport: 'udp', client: { address: rinfo.address, port: rinfo.port } };
    const reply = callHandler(handler, packet, meta, onError);
    if (reply === undefined) return;
    if (reply instanceof Uint8Array) {
      if (open()) udp.send(reply, rinfo.port, rinfo.address);
      return;
    }
    reply.then(
      (bytes) => {
        if (bytes && open()) udp.send(bytes, rinfo.port, rinfo.address);
      },
      (error: unknown) => onError(error, meta),
    );
  });
  // Send failures (no callback given) and ICMP errors arrive here; the socket stays usable.
  udp.on('error', (error) => onError(error, udpMetaBase));
}

function serve(udp: UdpSocket | NativeUdpSocket, tcp: Server, options: ListenerOptions): DnsListeners {
  const onError = options.onError ?? (() => {});
  const onLimit = options.onLimit ?? (() => {});
  const handler = options.handler;
  const maxConnections = options.maxTcpConnections ?? 256;
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const busyIdleMs = Math.min(idleMs, options.tcpBusyIdleTimeoutMs ?? 1000);
  // Above this many open connections the idle timeout is the short one.
  const pressureAbove = Math.floor((maxConnections * 3) / 4);
  // Open connections in eviction order: the first made progress (connected, completed a message,
  // went idle) longest ago. A slowloris client dribbling bytes makes no progress, so it ages like an
  // idle one and is evicted before any connection that completed a message since it began.
  const connections = new Map<Socket, TcpConnection>();
  let underPressure = false;
  const ctx: TcpContext = {
    handler,
    maxInFlight: Math.max(1, options.maxTcpInFlight ?? 32),
    idleMs: () => (underPressure ? busyIdleMs : idleMs),
    progress(socket) {
      const connection = connections.get(socket);
      if (!connection) return;
      connections.delete(socket);
      connections.set(socket, connection);
    },
    slowMs: options.tcpSlowTimeoutMs ?? 5_000,
    // Never below one whole message: a cap smaller than that would refuse legal queries.
    maxBuffered: Math.max(MAX_FRAME, options.maxTcpBufferedBytes ?? 4 * MAX_FRAME),
    onError,
    onLimit,
    pending: new Set(),
  };
  let open = true;

  /** Open connections per client address: at the cap, the client holding the most gives one up. */
  const perClient = new Map<string, number>();
  const clientOf = (socket: Socket): string => socket.remoteAddress ?? '';

  /**
   * The connection to close for a newcomer: one of the client holding the most connections, the one
   * of those that made progress longest ago and is not busy. A client that opens connection after
   * connection (idle, slowloris or reconnecting) thus evicts its own, never another client's that
   * has just connected and not yet sent its query; among equals, the oldest progress goes first.
   */
  const evictable = (newcomer: string): TcpConnection | undefined => {
    let top = 0;
    for (const count of perClient.values()) if (count > top) top = count;
    // The newcomer counts too: a client at the top that opens one more takes its own oldest.
    const newcomerCount = (perClient.get(newcomer) ?? 0) + 1;
    if (newcomerCount > top) top = newcomerCount;
    for (const connection of connections.values()) {
      const client = clientOf(connection.socket);
      const count = (perClient.get(client) ?? 0) + (client === newcomer ? 1 : 0);
      if (count === top && !connection.busy()) return connection;
    }
    for (const connection of connections.values()) if (!connection.busy()) return connection;
    return undefined;
  };
  const forget = (socket: Socket): void => {
    const client = clientOf(socket);
    const count = (perClient.get(client) ?? 1) - 1;
    if (count > 0) perClient.set(client, count);
    else perClient.delete(client);
  };

  const updatePressure = (): void => {
    const now = connections.size > pressureAbove;
    if (now === underPressure) return;
    underPressure = now;
    // Entering pressure: idle connections get the short timeout from now on. Leaving it: the
    // normal one comes back at each connection's next activity.
    if (underPressure) for (const connection of connections.values()) connection.rearmIdle();
  };

  // UDP, the hot path: one datagram, one reply to the sender. A failing handler loses that query only.
  // The reply filter wraps the handler, so both engines send what it returns (rate limiting).
  const filter = options.filterUdpReply;
  const udpHandler: PacketHandler =
    filter === undefined
      ? handler
      : (packet, meta) => {
          const reply = handler(packet, meta);
          if (reply === undefined) return undefined;
          const client = meta.client.address;
          if (reply instanceof Uint8Array) return filter(reply, client);
          return reply.then((bytes) => (bytes ? filter(bytes, client) : undefined));
        };
  if ('serve' in udp) udp.serve(udpHandler, onError);
  else serveDgram(udp, udpHandler, onError, () => open);

  tcp.on('connection', (socket) => {
    if (open && connections.size >= maxConnections) {
      // RFC 7766 §6.2.3: under pressure a server may close idle connections; doing so here, rather
      // than resetting the newcomer, keeps one client holding every slot from locking out the rest.
      const victim = evictable(clientOf(socket));
      if (victim) {
        connections.delete(victim.socket);
        forget(victim.socket);
        victim.socket.destroy();
        onLimit('tcp-evicted');
      }
    }
    if (!open || connections.size >= maxConnections) {
      if (open) onLimit('tcp-connections');
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    connections.set(socket, serveTcp(socket, ctx));
    perClient.set(clientOf(socket), (perClient.get(clientOf(socket)) ?? 0) + 1);
    updatePressure();
    socket.on('close', () => {
      // An evicted connection was forgotten when it was chosen; its close event comes later.
      if (connections.delete(socket)) forget(socket);
      updatePressure();
    });
  });
  // Accept failures (EMFILE and the like) are reported; the server keeps listening.
  tcp.on('error', (error) => onError(error, { transport: 'tcp' }));

  const udpAddress = udp.address();
  const native = 'serve' in udp ? udp : undefined;
  const tcpAddress = tcp.address() as { address: string; family: string; port: number };
  const bound = (a: { address: string; family: string; port: number }): BoundAddress => ({
    address: a.address,
    family: a.family === 'IPv6' ? 'IPv6' : 'IPv4',
    port: a.port,
  });
  let closing: Promise<void> | undefined;
  return {
    addresses: { udp: bound(udpAddress), tcp: bound(tcpAddress) },
    tcpConnections: () => connections.size,
    udpEngine: native ? 'native' : 'dgram',
    udpStats: () => native?.stats(),
    close(graceMs = 0) {
      closing ??= (async () => {
        open = false;
        const tcpClosed = new Promise<void>((resolve) => tcp.close(() => resolve()));
        const udpClosed = native ? native.close() : new Promise<void>((resolve) => (udp as UdpSocket).close(() => resolve()));
        for (const connection of connections.values()) connection.stopReading();
        if (graceMs > 0 && ctx.pending.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            Promise.allSettled([...ctx.pending]),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]);
          clearTimeout(timer);
        }
        for (const socket of connections.keys()) socket.destroy();
        await Promise.all([tcpClosed, udpClosed]);
      })();
      return closing;
    },
  };
}
