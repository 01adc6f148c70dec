/**
 * Talks to real upstream resolvers. Each try uses a fresh UDP socket (a random source port chosen by
 * the OS) and a fresh random id (RFC 5452 §9.2); a reply counts only when it comes from the server
 * asked, is well formed, and carries our id and our question (RFC 5452 §9.1) — anything else is
 * ignored and the try keeps waiting. A truncated reply is fetched again over TCP from the same server
 * (RFC 7766 §5). A timeout or error moves on to the next server, starting next time with the last one
 * that answered. Every try, UDP and TCP together, has one deadline, so a query costs at most
 * `timeoutMs × servers`. The reply is returned byte for byte, only the caller's id restored.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, isIPv6, type Socket as TcpSocket } from 'node:net';
import { ConfigError } from '../errors.js';
import { inspectReply, questionsEqual } from '../wire/reply-inspector.js';
import { TcpFrameDecoder, frameMessage } from '../wire/tcp-framing.js';
import { carriesToken, createLoopToken, markQuery } from './loop-token.js';
import { rejectSelfUpstream, type SocketAddressLike } from './self-address.js';

export interface UpstreamServer {
  readonly address: string;
  readonly port: number;
}

export interface UpstreamClientOptions {
  /** Upstream resolvers, tried in order after the last one that answered. At least one. */
  readonly servers: readonly UpstreamServer[];
  /** Per-try timeout in ms, UDP and a TCP retry together. Default 2000. */
  readonly timeoutMs?: number;
  /** Upstream exchanges in flight at once; more fail at once with UPSTREAM_BUSY. Default 1000. */
  readonly maxInFlight?: number;
  /** The server's own listening addresses: an upstream among them is refused (a loop). Default none. */
  readonly selfAddresses?: readonly SocketAddressLike[];
  /** The EDNS loop marker added to forwarded queries (see loop-token.ts). Default: 8 random bytes. */
  readonly loopToken?: Uint8Array;
  /** Called after each try, for metrics: which upstream, outcome, duration. */
  readonly onTry?: (server: UpstreamServer, outcome: 'ok' | 'timeout' | 'error', seconds: number) => void;
  /** Called each time an exchange is refused because `maxInFlight` exchanges are already running. */
  readonly onBusy?: (inFlight: number) => void;
}

/**
 * Why an exchange failed. TIMEOUT: every server was silent; UNREACHABLE: at least one refused or
 * errored and none answered; BUSY: too many exchanges in flight; CLOSED: the client was closed.
 */
export type UpstreamErrorCode = 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_BUSY' | 'UPSTREAM_CLOSED';

/** An exchange that got no usable reply from any upstream. Branch on `code`. */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  constructor(code: UpstreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = code;
  }
  /** @deprecated the same as `code`; kept for existing callers. */
  get upstreamCode(): UpstreamErrorCode {
    return this.code;
  }
}

export interface UpstreamClient {
  /** Sends a query (any id) and resolves with the upstream's reply carrying the query's own id. */
  exchange(query: Uint8Array): Promise<Uint8Array>;
  /**
   * True when an incoming query is one of ours come back around: it carries our EDNS loop marker, or
   * (for a query without EDNS, relayed by a forwarder that keeps ids) it has the id and question of
   * a query we have in flight.
   */
  isOwnQuery(query: Uint8Array): boolean;
  /** Which server sent a reply exchange() resolved with (`10.0.0.2:53`), for the query log. */
  answeredBy(reply: Uint8Array): string | undefined;
  /** Exchanges in flight now. */
  inFlight(): number;
  /** Ends every try at once (their exchanges reject with UPSTREAM_CLOSED) and refuses new ones. */
  close(): void;
}

type TryResult = { readonly kind: 'reply'; readonly bytes: Uint8Array } | { readonly kind: 'truncated' } | { readonly kind: 'timeout' } | { readonly kind: 'closed' };

/** Creates a client; throws ConfigError for an empty list, a bad address, or an upstream that is us. */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const servers = options.servers;
  // Reply → the server that sent it; weak, so a reply nobody holds is forgotten with it.
  const answeredBy = new WeakMap<Uint8Array, string>();
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxInFlight = options.maxInFlight ?? 1000;
  const token = options.loopToken ?? createLoopToken();
  const onTry = options.onTry ?? (() => {});
  const onBusy = options.onBusy ?? (() => {});
  validate(options, timeoutMs, maxInFlight);

  let preferred = 0;
  let inFlight = 0;
  let closed = false;
  /** Unmarked queries in flight by id, for loop detection of queries without EDNS. */
  const unmarked = new Map<number, Uint8Array[]>();
  const cancels = new Set<() => void>();

  function remember(id: number, packet: Uint8Array): () => void {
    let list = unmarked.get(id);
    if (!list) unmarked.set(id, (list = []));
    list.push(packet);
    return () => {
      const current = unmarked.get(id);
      if (!current) return;
      const i = current.indexOf(packet);
      if (i >= 0) current.splice(i, 1);
      if (current.length === 0) unmarked.delete(id);
    };
  }

  /** Runs one try with a deadline; `start` wires the socket and calls `settle` with the outcome. */
  function attempt(deadline: number, start: (settle: (result: TryResult | Error) => void) => () => void): Promise<TryResult> {
    return new Promise((resolve, reject) => {
      let release: () => void = () => {};
      let settled = false;
      const settle = (result: TryResult | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cancels.delete(cancel);
        release();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const cancel = (): void => settle({ kind: 'closed' });
      const timer = setTimeout(() => settle({ kind: 'timeout' }), Math.max(0, deadline - performance.now()));
      cancels.add(cancel);
      release = start(settle);
      if (settled) release();
    });
  }

  /** The reply if `reply` answers `packet` (our id, our question, well formed); otherwise undefined. */
  function acceptable(reply: Uint8Array, packet: Uint8Array): ReturnType<typeof inspectReply> {
    const info = inspectReply(reply);
    if (!info || info.id !== ((packet[0]! << 8) | packet[1]!) || !questionsEqual(reply, packet)) return undefined;
    return info;
  }

  function tryUdp(server: UpstreamServer, packet: Uint8Array, deadline: number): Promise<TryResult> {
    return attempt(deadline, (settle) => {
      const socket: UdpSocket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
      socket.on('error', (error) => settle(error));
      socket.on('message', (reply) => {
        // The socket is connected, so the kernel already dropped datagrams from anyone else.
        const info = acceptable(reply, packet);
        if (info) settle(info.truncated ? { kind: 'truncated' } : { kind: 'reply', bytes: reply });
      });
      // Connecting makes an ICMP port-unreachable surface as ECONNREFUSED: a closed port fails fast.
      socket.connect(server.port, server.address, () => {
        try {
          socket.send(packet, (error) => error && settle(error));
        } catch (error) {
          settle(error as Error); // closed meanwhile
        }
      });
      return () => socket.close();
    });
  }

  function tryTcp(server: UpstreamServer, packet: Uint8Array, deadline: number): Promise<TryResult> {
    return attempt(deadline, (settle) => {
      const socket: TcpSocket = connect({ host: server.address, port: server.port });
      // Two-byte length framing (RFC 1035 §4.2.2); a reply is at most 65535 bytes.
      const frames = new TcpFrameDecoder(65_537);
      socket.on('error', (error) => settle(error));
      socket.on('close', () => settle(new Error('connection closed before a reply')));
      socket.on('data', (chunk: Buffer) => {
        const messages = frames.push(chunk);
        if (messages === 'overflow') return settle(new Error('reply larger than a DNS message'));
        for (const reply of messages) {
          if (acceptable(reply, packet)) return settle({ kind: 'reply', bytes: Uint8Array.from(reply) });
        }
      });
      // No half-close after the query: a server that does not allow half-open sockets would close too.
      socket.on('connect', () => socket.write(frameMessage(packet)));
      return () => socket.destroy();
    });
  }

  async function exchange(query: Uint8Array): Promise<Uint8Array> {
    if (closed) throw new UpstreamError('UPSTREAM_CLOSED', 'the upstream client is closed');
    if (inFlight >= maxInFlight) {
      onBusy(inFlight);
      throw new UpstreamError('UPSTREAM_BUSY', `more than ${maxInFlight} upstream queries in flight`);
    }
    inFlight++;
    const packet = markQuery(query, token);
    const marked = packet.length !== query.length;
    const problems: string[] = [];
    let refused = false;
    try {
      for (let i = 0; i < servers.length; i++) {
        const index = (preferred + i) % servers.length;
        const server = servers[index]!;
        const id = randomInt(0x10000);
        packet[0] = id >> 8;
        packet[1] = id & 0xff;
        const forget = marked ? () => {} : remember(id, packet);
        const started = performance.now();
        const deadline = started + timeoutMs;
        const seconds = (): number => (performance.now() - started) / 1000;
        try {
          let result = await tryUdp(server, packet, deadline);
          if (result.kind === 'truncated') result = await tryTcp(server, packet, deadline);
          if (result.kind === 'closed') throw new UpstreamError('UPSTREAM_CLOSED', 'the upstream client was closed during the exchange');
          if (result.kind !== 'reply') {
            onTry(server, 'timeout', seconds());
            problems.push(`${describe(server)} timed out`);
            continue;
          }
          onTry(server, 'ok', seconds());
          preferred = index;
          const reply = Uint8Array.from(result.bytes);
          reply[0] = query[0]!;
          reply[1] = query[1]!;
          answeredBy.set(reply, describe(server));
          return reply;
        } catch (error) {
          if (error instanceof UpstreamError) throw error;
          onTry(server, 'error', seconds());
          refused = true;
          problems.push(`${describe(server)} ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        } finally {
          forget();
        }
      }
      throw new UpstreamError(refused ? 'UPSTREAM_UNREACHABLE' : 'UPSTREAM_TIMEOUT', `no upstream answered: ${problems.join('; ')}`);
    } finally {
      inFlight--;
    }
  }

  return {
    exchange,
    isOwnQuery(query) {
      if (carriesToken(query, token)) return true;
      if (query.length < 12) return false;
      const ours = unmarked.get((query[0]! << 8) | query[1]!);
      return ours !== undefined && ours.some((packet) => questionsEqual(packet, query));
    },
    answeredBy: (reply) => answeredBy.get(reply),
    inFlight: () => inFlight,
    close() {
      closed = true;
      for (const cancel of [...cancels]) cancel();
    },
  };
}

function describe(server: UpstreamServer): string {
  return isIPv6(server.address) ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}

function validate(options: UpstreamClientOptions, timeoutMs: number, maxInFlight: number): void {
  if (options.servers.length === 0) throw new ConfigError('upstream: no servers given (use "none" to turn forwarding off)');
  for (const server of options.servers) {
    if (isIP(server.address) === 0) throw new ConfigError(`upstream: "${server.address}" is not an IP address`);
    if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) throw new ConfigError(`upstream: ${describe(server)} has a bad port`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError(`upstream-timeout: ${timeoutMs} is not a positive whole number of ms`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new ConfigError(`upstream max in flight: ${maxInFlight} is not a positive whole number`);
  rejectSelfUpstream(options.servers, options.selfAddresses ?? []);
}
