/** Which way N processes can share one DNS port on this Node (SO_REUSEPORT where it works, else node:cluster's shared handles), and whether the port is free. */
import { createSocket, type SocketOptions } from 'node:dgram';
import { createServer, isIPv6, type Server } from 'node:net';
import type { SocketSharing } from '../transport/dns-listeners.js';

/**
 * Tries it rather than reading the version: two UDP sockets and two TCP listeners with `reusePort`
 * on one port of `host` (Node 22.12+ on Linux 3.9+, FreeBSD 12+). Older Node ignores the option,
 * and the second bind fails with EADDRINUSE: then the workers use the cluster's shared handles.
 */
export async function detectSocketSharing(host: string): Promise<SocketSharing> {
  const opened: (() => void)[] = [];
  try {
    const udp = async (port: number) => {
      const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reusePort: true } as SocketOptions);
      opened.push(() => socket.close());
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port, address: host, exclusive: true }, () => resolve());
      });
      return socket.address().port;
    };
    const tcp = async (port: number) => {
      const server: Server = createServer();
      opened.push(() => server.close());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, exclusive: true, reusePort: true } as Parameters<Server['listen']>[0], () => resolve());
      });
    };
    const port = await udp(0);
    await udp(port);
    await tcp(port);
    await tcp(port);
    return 'reuse-port';
  } catch {
    return 'cluster';
  } finally {
    for (const close of opened) {
      try {
        close();
      } catch {
        // never bound: nothing to release
      }
    }
  }
}

/**
 * SO_REUSEPORT lets any process of the same user join a port whose sockets all set it, so a second
 * `cluster-dns --workers` on the same port would silently take half the queries. Binding it once
 * without the option first fails as one process would: EADDRINUSE while anything holds it.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ port, address: host, exclusive: true }, () => resolve());
  }).finally(() => {
    try {
      udp.close();
    } catch {
      // never bound
    }
  });
  const tcp = createServer();
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ port, host, exclusive: true }, () => resolve());
  }).finally(() => new Promise<void>((resolve) => tcp.close(() => resolve())));
}
