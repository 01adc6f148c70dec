/** Fuzz harness: sends one message to a running server over UDP or TCP, then a sentinel query, and returns every reply that came before the sentinel's. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { buildQuery, decodeReply, type DecodedReply } from '../helpers/dns-client.js';

export interface WireProbe {
  /** Replies to `packet` (0 or 1 expected); throws when the server stops answering. */
  exchange(transport: 'udp' | 'tcp', packet: Uint8Array): Promise<Buffer[]>;
  close(): void;
}

const SENTINEL_ZONE = 'zz-sentinel.shop.svc.cluster.local';

/**
 * Replies on loopback come back in order for synchronous answers (every cluster name, and REFUSED for
 * other names without an upstream), so "no reply before the sentinel's" proves a packet was dropped.
 * The sentinel is itself checked: a correct NXDOMAIN with the zone SOA, every time.
 */
export async function createWireProbe(port: number, timeoutMs = 15_000): Promise<WireProbe> {
  const udp: UdpSocket = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  let udpWaiter: ((msg: Buffer) => void) | undefined;
  udp.on('message', (msg) => udpWaiter?.(msg));

  let tcp: Socket | undefined;
  let tcpBuffered = Buffer.alloc(0);
  let tcpWaiter: ((msg: Buffer) => void) | undefined;
  const openTcp = async (): Promise<Socket> => {
    if (tcp && !tcp.destroyed) return tcp;
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    tcpBuffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      tcpBuffered = Buffer.concat([tcpBuffered, chunk]);
      while (tcpBuffered.length >= 2 && tcpBuffered.length >= 2 + tcpBuffered.readUInt16BE(0)) {
        const msg = tcpBuffered.subarray(2, 2 + tcpBuffered.readUInt16BE(0));
        tcpBuffered = tcpBuffered.subarray(2 + msg.length);
        tcpWaiter?.(Buffer.from(msg));
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    tcp = socket;
    return socket;
  };

  let serial = 0;
  return {
    async exchange(transport, packet) {
      const n = ++serial;
      const sentinelName = `s${n}.${SENTINEL_ZONE}`;
      const sentinel = buildQuery(sentinelName, 'A', { id: n & 0xffff });
      const replies: Buffer[] = [];
      const done = new Promise<DecodedReply>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no sentinel reply over ${transport} within ${timeoutMs} ms: the server stopped answering`)), timeoutMs);
        const onMessage = (msg: Buffer): void => {
          let decoded: DecodedReply | undefined;
          try {
            decoded = decodeReply(msg);
          } catch {
            decoded = undefined;
          }
          if (decoded && decoded.id === (n & 0xffff) && decoded.question[0] === `${sentinelName}. IN A`) {
            clearTimeout(timer);
            resolve(decoded);
          } else {
            replies.push(msg);
          }
        };
        if (transport === 'udp') udpWaiter = onMessage;
        else tcpWaiter = onMessage;
      });
      if (transport === 'udp') {
        udp.send(packet, port, '127.0.0.1');
        udp.send(sentinel, port, '127.0.0.1');
      } else {
        const socket = await openTcp();
        const frame = (m: Uint8Array) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
        socket.write(Buffer.concat([frame(packet), frame(sentinel)]));
      }
      const answer = await done;
      if (answer.rcode !== 'NXDOMAIN' || !answer.bits.aa || answer.authority.length !== 1) {
        throw new Error(`wrong sentinel answer: ${JSON.stringify(answer)}`);
      }
      return replies;
    },
    close() {
      udp.close();
      tcp?.destroy();
    },
  };
}
