/** Binds a node:http server and hands back its bound address and a close that also ends kept-alive connections. */
import type { Server } from 'node:http';
import type { GuardPolicy } from './request-guard.js';

/** A bound HTTP listener: where it listens, and how to close it. */
export interface HttpListener {
  readonly address: { address: string; port: number };
  close(): Promise<void>;
}

/**
 * Listens on host:port (port 0 picks one), rejecting with the bind error. Returns the listener and
 * the request guard's policy for the address actually bound (its port is the one a Host must name).
 */
export async function listenHttp(server: Server, options: { host: string; port: number; loopback: boolean; allowedHosts?: readonly string[] }): Promise<{ listener: HttpListener; policy: GuardPolicy }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as { address: string; port: number };
  const policy: GuardPolicy = { loopback: options.loopback, port: bound.port, address: bound.address, allowedHosts: (options.allowedHosts ?? []).map((h) => h.toLowerCase()) };
  const listener: HttpListener = {
    address: { address: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return { listener, policy };
}
