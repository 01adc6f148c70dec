// The naive baseline the benchmark compares against: dns2's createServer and a Map from names to
// records, serving the same registry (built by cluster-dns's own loader, so the data is identical).
// Its UDP socket gets the same 4 MiB buffers cluster-dns asks for, so neither loses queries to a
// default-size receive buffer.
import dns2 from 'dns2';
import { readZones } from '../dist/sources/zones-reader.js';
import { buildRegistry } from '../dist/registry/build-registry.js';

const [zonesPath, portText] = process.argv.slice(2);
const { Packet } = dns2;
const results = await readZones([zonesPath]);
const { registry } = buildRegistry(results.map((r) => r.input), { clusterDomain: 'cluster.local', ttl: 5, serial: 1 });

const records = new Map();
const add = (name, type, record) => {
  const key = `${name}|${type}`;
  if (!records.has(key)) records.set(key, []);
  records.get(key).push(record);
};
for (const [name, node] of registry.names) {
  for (const r of node.a) add(name, Packet.TYPE.A, { name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 5, address: r.address });
  for (const r of node.aaaa) add(name, Packet.TYPE.AAAA, { name, type: Packet.TYPE.AAAA, class: Packet.CLASS.IN, ttl: 5, address: r.address });
  for (const r of node.srv) add(name, Packet.TYPE.SRV, { name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: 5, priority: r.priority, weight: r.weight, port: r.port, target: r.target });
  if (node.cname) add(name, Packet.TYPE.CNAME, { name, type: Packet.TYPE.CNAME, class: Packet.CLASS.IN, ttl: 5, domain: node.cname.target });
}
for (const [name, ptrs] of registry.reverse) for (const r of ptrs) add(name, Packet.TYPE.PTR, { name, type: Packet.TYPE.PTR, class: Packet.CLASS.IN, ttl: 5, domain: r.target });

const server = dns2.createServer({
  udp: true,
  handle: (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    const found = question && records.get(`${question.name.toLowerCase()}|${question.type}`);
    if (found) response.answers.push(...found);
    else if (question && !registry.names.has(question.name.toLowerCase())) response.header.rcode = Packet.RCODE.NXDOMAIN;
    send(response);
  },
});
server.on('listening', () => {
  server.servers.udp.setRecvBufferSize(4 << 20);
  server.servers.udp.setSendBufferSize(4 << 20);
  process.stdout.write('listening\n');
});
server.listen({ udp: { port: Number(portText), address: '127.0.0.1', type: 'udp4' } });
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
