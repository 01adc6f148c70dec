/**
 * UDP and TCP listeners on one address and port. They move bytes between sockets and a handler and
 * know nothing of DNS beyond TCP framing. TCP follows RFC 7766: pipelined queries answered as they
 * complete, idle timeouts, and caps on connections, in-flight queries and buffered bytes.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { TcpFrameDecoder, frameMessage } from '../wire/tcp-framing.js';

export interface ListenerMeta {
  readonly transport: 'udp' | 'tcp';
  readonly client: { readonly address: string; readonly port: number };
}

export type PacketHandler = (packet: Buffer, meta: ListenerMeta) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export type LimitKind = 'tcp-connections' | 'tcp-in-flight' | 'tcp-buffer' | 'tcp-idle';

export interface ListenerLimits {
  /** Concurrent TCP connections; more are closed at once. Default 256. */
  readonly maxTcpConnections?: number;
  /** Queries in flight on one TCP connection; reading pauses at the cap. Default 32. */
  readonly maxTcpInFlight?: number;
  /** Idle TCP connections close after this many ms (RFC 7766 §6.2.3). Default 10000. */
  readonly tcpIdleTimeoutMs?: number;
  /** Bytes buffered for one incomplete TCP message stream. Default 131072. */
  readonly maxTcpBufferedBytes?: number;
}

export interface ListenerOptions extends ListenerLimits {
  readonly host: string;
  readonly port: number;
  readonly handler: PacketHandler;
  /** Called when a handler throws or a socket fails; the listener keeps going. */
  readonly onError?: (error: unknown, meta: { transport: 'udp' | 'tcp' }) => void;
  /** Called when a limit is hit, for logs and metrics. */
  readonly onLimit?: (kind: LimitKind) => void;
}

export interface BoundAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

export interface DnsListeners {
  readonly addresses: { readonly udp: BoundAddress; readonly tcp: BoundAddress };
  /** Stops accepting; waits for in-flight TCP queries up to `graceMs`, then closes everything. */
  close(graceMs?: number): Promise<void>;
  /** Open TCP connections right now. */
  tcpConnections(): number;
}

const BIND_ATTEMPTS = 10;

/** Binds UDP and TCP on the same port (port 0: UDP picks, TCP follows; retried if TCP is taken). */
export async function createDnsListeners(options: ListenerOptions): Promise<DnsListeners> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === 0 ? BIND_ATTEMPTS : 1); attempt++) {
    const udp = await bindUdp(options);
    const port = (udp.address() as { port: number }).port;
    try {
      const tcp = await bindTcp(options, port);
      return assemble(udp, tcp, options);
    } catch (error) {
      lastError = error;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw lastError;
}

function bindUdp(options: ListenerOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.bind(options.port, options.host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function bindTcp(options: ListenerOptions, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true });
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host: options.host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function assemble(udp: UdpSocket, tcp: Server, options: ListenerOptions): DnsListeners {
  const maxConnections = options.maxTcpConnections ?? 256;
  const maxInFlight = options.maxTcpInFlight ?? 32;
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const maxBuffered = options.maxTcpBufferedBytes ?? 131_072;
  const onError = options.onError ?? (() => {});
  const onLimit = options.onLimit ?? (() => {});
  const handler = options.handler;
  const connections = new Set<Socket>();
  const pendingTcp = new Set<Promise<unknown>>();
  let udpOpen = true;
  const sendUdp = (bytes: Uint8Array, port: number, address: string) => {
    if (udpOpen) udp.send(bytes, port, address);
  };

  // UDP: one datagram, one reply to the sender. A failing handler loses that one query only.
  udp.on('message', (packet, rinfo) => {
    const meta: ListenerMeta = { transport: 'udp', client: { address: rinfo.address, port: rinfo.port } };
    let reply: ReturnType<PacketHandler>;
    try {
      reply = handler(packet, meta);
    } catch (error) {
      onError(error, meta);
      return;
    }
    if (reply === undefined) return;
    if (reply instanceof Uint8Array) {
      sendUdp(reply, rinfo.port, rinfo.address);
      return;
    }
    reply.then(
      (bytes) => {
        if (bytes) sendUdp(bytes, rinfo.port, rinfo.address);
      },
      (error: unknown) => onError(error, meta),
    );
  });
  udp.on('error', (error) => onError(error, { transport: 'udp' }));

  tcp.on('connection', (socket) => {
    if (connections.size >= maxConnections) {
      onLimit('tcp-connections');
      socket.destroy();
      return;
    }
    connections.add(socket);
    const meta: ListenerMeta = { transport: 'tcp', client: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 } };
    const frames = new TcpFrameDecoder(maxBuffered);
    let inFlight = 0;
    socket.setTimeout(idleMs);
    socket.on('timeout', () => {
      onLimit('tcp-idle');
      socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.delete(socket));

    const send = (bytes: Uint8Array | undefined) => {
      if (bytes && !socket.destroyed) socket.write(frameMessage(bytes));
    };
    const finished = () => {
      inFlight--;
      if (socket.isPaused() && inFlight < maxInFlight) socket.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      const messages = frames.push(chunk);
      if (messages === 'overflow') {
        onLimit('tcp-buffer');
        socket.destroy();
        return;
      }
      for (const message of messages) {
        inFlight++;
        let reply: ReturnType<PacketHandler>;
        try {
          reply = handler(message, meta);
        } catch (error) {
          onError(error, meta);
          finished();
          continue;
        }
        if (reply === undefined || reply instanceof Uint8Array) {
          send(reply);
          finished();
          continue;
        }
        const pending = reply.then(send, (error: unknown) => onError(error, meta)).finally(() => {
          pendingTcp.delete(pending);
          finished();
        });
        pendingTcp.add(pending);
      }
      if (inFlight >= maxInFlight && !socket.isPaused()) {
        onLimit('tcp-in-flight');
        socket.pause();
      }
    });
  });
  tcp.on('error', (error) => onError(error, { transport: 'tcp' }));

  const udpAddress = udp.address();
  const tcpAddress = tcp.address() as { address: string; family: string; port: number };
  return {
    addresses: {
      udp: { address: udpAddress.address, family: udpAddress.family === 'IPv6' ? 'IPv6' : 'IPv4', port: udpAddress.port },
      tcp: { address: tcpAddress.address, family: tcpAddress.family === 'IPv6' ? 'IPv6' : 'IPv4', port: tcpAddress.port },
    },
    tcpConnections: () => connections.size,
    async close(graceMs = 0) {
      const tcpClosed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      udpOpen = false;
      const udpClosed = new Promise<void>((resolve) => udp.close(() => resolve()));
      if (graceMs > 0 && pendingTcp.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...pendingTcp]),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const socket of connections) socket.destroy();
      await Promise.all([tcpClosed, udpClosed]);
    },
  };
}
