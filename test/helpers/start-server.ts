/** Starts a real server on 127.0.0.1 port 0 for a test and stops it afterwards. */
import { afterEach } from 'vitest';
import { createDnsServer, type CreateDnsServerOptions, type DnsServer, type ServerAddresses } from '../../src/server.js';
import { UDP_ENGINE } from './udp-engine.js';

const running: DnsServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

export async function startServer(options: CreateDnsServerOptions = {}): Promise<{ server: DnsServer; port: number; addresses: ServerAddresses }> {
  const server = createDnsServer({ host: '127.0.0.1', port: 0, upstream: 'none', udpEngine: UDP_ENGINE, ...options });
  running.push(server);
  const addresses = await server.start();
  return { server, port: addresses.udp.port, addresses };
}
