// A built server (dist/) in a child process that can be asked for its memory after a full GC:
// run with `node --expose-gc`; prints one JSON line with its ports, then answers each "gc" line on
// stdin with one JSON line of process.memoryUsage() taken after global.gc().
import { createInterface } from 'node:readline';
import { createDnsServer } from '../../dist/index.js';

const server = createDnsServer({ host: '127.0.0.1', port: 0, http: '127.0.0.1:0', upstream: 'none', zones: process.argv.slice(2) });
const addresses = await server.start();
process.stdout.write(`${JSON.stringify({ dns: addresses.udp.port, http: server.httpAddress.port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'gc') continue;
  globalThis.gc();
  process.stdout.write(`${JSON.stringify(process.memoryUsage())}\n`);
}
await server.stop({ graceMs: 0 });
