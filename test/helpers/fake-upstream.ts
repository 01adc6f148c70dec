/** A real local upstream for forwarding tests: UDP and TCP on 127.0.0.1, scripted answers, counted. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach } from 'vitest';
import { encodeName } from './dns-client.js';

export type Behaviour = (query: Buffer, transport: 'udp' | 'tcp') => Buffer | Buffer[] | 'drop' | Promise<Buffer | Buffer[] | 'drop'>;

export interface FakeUpstream {
  port: number;
  queries: { name: string; type: number; transport: 'udp' | 'tcp' }[];
  behaviour: Behaviour;
  close(): Promise<void>;
}

const open: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((u) => u.close()));
});

export function questionOf(query: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let pos = 12;
  while (query[pos]! > 0) {
    labels.push(query.toString('latin1', pos + 1, pos + 1 + query[pos]!));
    pos += query[pos]! + 1;
  }
  return { name: labels.join('.'), type: query.readUInt16BE(pos + 1), end: pos + 5 };
}

/** A reply to `query` with the given rcode, flags and raw RRs (each from `rr()`), sections as counts. */
export function reply(query: Buffer, o: { rcode?: number; tc?: boolean; answer?: Buffer[]; authority?: Buffer[]; id?: number } = {}): Buffer {
  const q = questionOf(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id ?? query.readUInt16BE(0), 0);
  header[2] = 0x80 | (query[2]! & 0x01) | (o.tc ? 0x02 : 0);
  header[3] = 0x80 | (o.rcode ?? 0);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(o.answer?.length ?? 0, 6);
  header.writeUInt16BE(o.authority?.length ?? 0, 8);
  return Buffer.concat([header, query.subarray(12, q.end), ...(o.answer ?? []), ...(o.authority ?? [])]);
}

/** One RR with raw RDATA. */
export function rr(name: string, type: number, ttl: number, rdata: Buffer | number[]): Buffer {
  const data = Buffer.from(rdata);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([Buffer.from(encodeName(name)), fixed, data]);
}

export function soa(zone: string, ttl: number, minimum: number): Buffer {
  const times = Buffer.alloc(20);
  [1, 7200, 1800, 86400, minimum].forEach((v, i) => times.writeUInt32BE(v, i * 4));
  return rr(zone, 6, ttl, Buffer.concat([Buffer.from(encodeName(`ns.${zone}`)), Buffer.from(encodeName(`hostmaster.${zone}`)), times]));
}

/**
 * TCP and UDP on one port. TCP binds first on port 0 (the kernel picks a port free for TCP), then UDP
 * takes the same number; another process may hold that UDP port, so on EADDRINUSE both are released
 * and the pair is tried again on a new port.
 */
async function bindPair(): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const tcp: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (tcp.address() as AddressInfo).port;
    const udp: UdpSocket = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, '127.0.0.1', () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port };
    } catch (error) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
    }
  }
}

export async function startFakeUpstream(behaviour: Behaviour): Promise<FakeUpstream> {
  const { udp, tcp, port } = await bindPair();
  const sockets = new Set<import('node:net').Socket>();
  let closed = false;
  const upstream: FakeUpstream = {
    port,
    queries: [],
    behaviour,
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
  const answer = async (query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer[]> => {
    const q = questionOf(query);
    upstream.queries.push({ name: q.name, type: q.type, transport });
    const out = await upstream.behaviour(query, transport);
    return out === 'drop' ? [] : Array.isArray(out) ? out : [out];
  };
  udp.on('message', (msg, rinfo) => {
    // A slow answer may be ready after close(): then it is dropped.
    void answer(msg, 'udp').then((replies) => replies.forEach((r) => !closed && udp.send(r, rinfo.port, rinfo.address)));
  });
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        void answer(Buffer.from(msg), 'tcp').then((replies) => {
          for (const r of replies) {
            const len = Buffer.alloc(2);
            len.writeUInt16BE(r.length);
            if (!socket.destroyed) socket.write(Buffer.concat([len, r]));
          }
        });
      }
    });
  });
  open.push(upstream);
  return upstream;
}
