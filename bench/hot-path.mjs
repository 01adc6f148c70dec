// npm run bench:hot — the JavaScript cost of one query without sockets: decode, resolve over the
// generated small registry, encode and count (what server.ts does per packet), for both query mixes.
// Prints nanoseconds per query (best of several rounds, so a busy machine disturbs it little), with
// nothing, with metrics, and with metrics and the /ui query ring.
// Usage: node bench/hot-path.mjs [distDir]
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { queryMix, generateCluster, toManifests } from './generate.mjs';

const dist = pathToFileURL(`${resolvePath(process.argv[2] ?? 'dist')}/`).href;
const { decodeQuery } = await import(`${dist}wire/query-decoder.js`);
const { encodeResponse } = await import(`${dist}wire/answer-encoder.js`);
const { createResolver } = await import(`${dist}resolver/create-resolver.js`);
const { createRegistryRef } = await import(`${dist}registry/registry-ref.js`);
const { buildRegistry } = await import(`${dist}registry/build-registry.js`);
const metricsModule = await import(`${dist}http/metrics.js`);

const cluster = generateCluster('small');
const text = JSON.stringify(toManifests(cluster));
const { readZones } = await import(`${dist}sources/zones-reader.js`);
const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const dir = mkdtempSync(`${tmpdir()}/cluster-dns-hot-`);
writeFileSync(`${dir}/small.json`, text);
const inputs = (await readZones([`${dir}/small.json`])).map((r) => r.input);
rmSync(dir, { recursive: true, force: true });
const { registry } = buildRegistry(inputs, { clusterDomain: 'cluster.local', ttl: 5, serial: 1 });
const ref = createRegistryRef();
ref.swap(registry);
const resolve = createResolver(ref, { zone: 'cluster.local', podMode: 'disabled', defaultNamespace: 'default', nameServerAddresses: ['127.0.0.1'], outOfZone: [] });
const metrics = metricsModule.createServerMetrics('dns://bench', 'cluster.local', { processMetrics: false });
const count = metrics.countQuery
  ? (packet, reply, q) => metrics.countQuery(0, 4, q.type, reply[3] & 15, 0, packet.length, reply.length, -1)
  : (packet, reply, q) => metrics.observeQuery({ transport: 'udp', family: 4, qtype: q.type, rcode: reply[3] & 15, inZone: true, requestBytes: packet.length, responseBytes: reply.length, seconds: 0.00001 });

// The /ui query ring (the default with HTTP on), where the build has one: one record() per reply, nobody watching.
const queryLogModule = await import(`${dist}http/query-log.js`).catch(() => undefined);
const queryLog = queryLogModule?.createQueryLog({ size: 1000 });
const logQuery = queryLog
  ? (packet, reply, q, answer) => queryLog.record(meta.client.address, meta.client.port, false, q.lowerName, q.type, reply[3] & 15, answer, (reply[6] << 8) | reply[7], -1, -1)
  : () => {};

const TYPES = { A: 1, AAAA: 28, PTR: 12, SRV: 33 };
function packetFor(line, id) {
  const [name, type] = line.split(' ');
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, TYPES[type], 0, 1]);
}
const meta = { transport: 'udp', client: { address: '127.0.0.1', port: 5353 } };
const encodeOptions = { transport: 'udp', recursionAvailable: false };

for (const mix of ['realistic', 'miss-heavy']) {
  const lines = queryMix(cluster, mix, 20_000).text.trim().split('\n');
  const packets = lines.map((l, i) => packetFor(l, i & 0xffff));
  // Short rounds, best of many: a round the scheduler interrupted is simply not the best one.
  let at = 0;
  const ROUND = 1000;
  // mode 0: neither; 1: metrics; 2: metrics and the query ring.
  const round = (mode) => {
    const t0 = process.hrtime.bigint();
    for (let n = 0; n < ROUND; n++) {
      const packet = packets[at];
      at = at + 1 === packets.length ? 0 : at + 1;
      const v = decodeQuery(packet, meta);
      const answer = resolve(v.query);
      const reply = encodeResponse(v.query, v.question, answer, encodeOptions);
      if (mode > 0) count(packet, reply, v.query);
      if (mode > 1) logQuery(packet, reply, v.query, answer);
    }
    return Number(process.hrtime.bigint() - t0) / ROUND;
  };
  for (let i = 0; i < 600; i++) round(i % 3);
  const times = [[], [], []];
  for (let i = 0; i < 1500; i++) times[i % 3].push(round(i % 3));
  const best = (list) => Math.min(...list);
  const ring = queryLog ? `, ${best(times[2]).toFixed(0)} ns/query with metrics and the /ui query ring` : '';
  console.log(`${mix}: ${best(times[0]).toFixed(0)} ns/query without metrics, ${best(times[1]).toFixed(0)} ns/query with metrics${ring} (best of ${times[0].length} rounds of ${ROUND})`);
}
