/**
 * Talks to real upstream resolvers: UDP from a fresh random port with a fresh random id (RFC 5452),
 * TCP when the reply is truncated (RFC 7766), the next upstream on timeout or error, and a bound on
 * queries in flight. Replies whose id or question do not match are ignored, not accepted.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { ClusterDnsError } from '../errors.js';
import { inspectReply, questionsEqual } from '../wire/reply-inspector.js';
import { TcpFrameDecoder, frameMessage } from '../wire/tcp-framing.js';

export interface UpstreamServer {
  readonly address: string;
  readonly port: number;
}

export interface UpstreamClientOptions {
  readonly servers: readonly UpstreamServer[];
  /** Per-try timeout in ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Upstream exchanges in flight at once; more fail fast. Default 1000. */
  readonly maxInFlight?: number;
  /** Called after each try, for metrics: which upstream, outcome, duration. */
  readonly onTry?: (server: UpstreamServer, outcome: 'ok' | 'timeout' | 'error', seconds: number) => void;
}

export type UpstreamErrorCode = 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_BUSY';

export class UpstreamError extends ClusterDnsError {
  constructor(readonly upstreamCode: UpstreamErrorCode, message: string) {
    super('SERVER_STATE', message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamClient {
  /** Sends a query (any id) and resolves with the upstream's reply carrying the query's own id. */
  exchange(query: Uint8Array): Promise<Uint8Array>;
  /** True when `(id, question)` is one of our own queries in flight: it came back to us in a loop. */
  isOwnQuery(query: Uint8Array): boolean;
  inFlight(): number;
  close(): void;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const servers = options.servers;
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxInFlight = options.maxInFlight ?? 1000;
  const onTry = options.onTry ?? (() => {});
  let preferred = 0;
  let inFlight = 0;
  let closed = false;
  /** id → question bytes of our queries in flight, for loop detection. */
  const ours = new Map<number, Uint8Array[]>();
  const cancels = new Set<() => void>();

  function remember(id: number, packet: Uint8Array): () => void {
    let list = ours.get(id);
    if (!list) ours.set(id, (list = []));
    list.push(packet);
    return () => {
      const l = ours.get(id);
      if (!l) return;
      const i = l.indexOf(packet);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) ours.delete(id);
    };
  }

  function tryUdp(server: UpstreamServer, packet: Uint8Array): Promise<Uint8Array | 'timeout' | 'truncated'> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
      let done = false;
      const finish = (value: Uint8Array | 'timeout' | 'truncated' | Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancels.delete(cancel);
        socket.close();
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const cancel = () => finish('timeout');
      cancels.add(cancel);
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      socket.on('error', (error) => finish(error));
      socket.on('message', (reply, rinfo) => {
        // Only the server we asked, with our id and our question (RFC 5452 §9.1); anything else is noise.
        if (rinfo.port !== server.port) return;
        const info = inspectReply(reply);
        if (!info || info.id !== ((packet[0]! << 8) | packet[1]!) || !questionsEqual(reply, packet)) return;
        finish(info.truncated ? 'truncated' : reply);
      });
      socket.send(packet, server.port, server.address, (error) => {
        if (error) finish(error);
      });
    });
  }

  function tryTcp(server: UpstreamServer, packet: Uint8Array): Promise<Uint8Array | 'timeout'> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: server.address, port: server.port });
      const frames = new TcpFrameDecoder(70_000);
      let done = false;
      const finish = (value: Uint8Array | 'timeout' | Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancels.delete(cancel);
        socket.destroy();
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const cancel = () => finish('timeout');
      cancels.add(cancel);
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      socket.on('error', (error) => finish(error));
      socket.on('close', () => finish(new Error('connection closed')));
      socket.on('data', (chunk: Buffer) => {
        const messages = frames.push(chunk);
        if (messages === 'overflow') return finish(new Error('reply too large'));
        for (const reply of messages) {
          const info = inspectReply(reply);
          if (info && info.id === ((packet[0]! << 8) | packet[1]!) && questionsEqual(reply, packet)) return finish(Uint8Array.from(reply));
        }
      });
      socket.write(frameMessage(packet));
    });
  }

  return {
    async exchange(query) {
      if (closed) throw new UpstreamError('UPSTREAM_UNREACHABLE', 'client closed');
      if (inFlight >= maxInFlight) throw new UpstreamError('UPSTREAM_BUSY', `more than ${maxInFlight} upstream queries in flight`);
      inFlight++;
      const packet = Uint8Array.from(query);
      let lastProblem: UpstreamErrorCode = 'UPSTREAM_TIMEOUT';
      const reasons: string[] = [];
      try {
        for (let i = 0; i < servers.length; i++) {
          const index = (preferred + i) % servers.length;
          const server = servers[index]!;
          const id = randomInt(0x10000);
          packet[0] = id >> 8;
          packet[1] = id & 0xff;
          const forget = remember(id, packet);
          const started = performance.now();
          try {
            let reply: Uint8Array | 'timeout' | 'truncated' = await tryUdp(server, packet);
            if (reply === 'truncated') reply = await tryTcp(server, packet);
            const seconds = (performance.now() - started) / 1000;
            if (reply === 'timeout') {
              onTry(server, 'timeout', seconds);
              reasons.push(`${server.address}:${server.port} timed out`);
              continue;
            }
            onTry(server, 'ok', seconds);
            preferred = index;
            const out = Uint8Array.from(reply);
            out[0] = query[0]!;
            out[1] = query[1]!;
            return out;
          } catch (error) {
            onTry(server, 'error', (performance.now() - started) / 1000);
            lastProblem = 'UPSTREAM_UNREACHABLE';
            reasons.push(`${server.address}:${server.port} ${(error as Error).message}`);
          } finally {
            forget();
          }
        }
        throw new UpstreamError(reasons.every((r) => r.endsWith('timed out')) ? 'UPSTREAM_TIMEOUT' : lastProblem, `no upstream answered: ${reasons.join('; ')}`);
      } finally {
        inFlight--;
      }
    },
    isOwnQuery(query) {
      if (query.length < 12) return false;
      const list = ours.get((query[0]! << 8) | query[1]!);
      return list !== undefined && list.some((ourPacket) => questionsEqual(ourPacket, query));
    },
    inFlight: () => inFlight,
    close() {
      closed = true;
      for (const cancel of [...cancels]) cancel();
    },
  };
}
