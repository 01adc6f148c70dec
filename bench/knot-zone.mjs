// RFC 1035 zone files for Knot DNS, generated from the same registry cluster-dns serves: the registry
// is built by cluster-dns's own loader and listed with its `records` code, so both servers hold the
// same records. Reverse names go into one in-addr.arpa (and ip6.arpa) zone with its own SOA and NS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readZones } from '../dist/sources/zones-reader.js';
import { buildRegistry } from '../dist/registry/build-registry.js';
import { listRecords } from '../dist/resolver/list-records.js';

/** Writes the zone files into `dir`; returns `{ dir, zones: [{ domain, file }] }`. */
export async function writeKnotFiles(registryFile, dir) {
  mkdirSync(dir, { recursive: true });
  const results = await readZones([registryFile]);
  const { registry } = buildRegistry(results.map((r) => r.input), { clusterDomain: 'cluster.local', ttl: 5, serial: 1 });
  const rows = listRecords(registry, { podMode: 'disabled', nameServerAddresses: ['127.0.0.1'] });
  const line = (r) => `${r.name} ${r.ttl} IN ${r.type} ${r.data}`;
  const byZone = new Map([['cluster.local', []], ['in-addr.arpa', []], ['ip6.arpa', []]]);
  for (const r of rows) {
    const zone = r.name.endsWith('.in-addr.arpa.') ? 'in-addr.arpa' : r.name.endsWith('.ip6.arpa.') ? 'ip6.arpa' : 'cluster.local';
    byZone.get(zone).push(line(r));
  }
  const zones = [];
  for (const [domain, lines] of byZone) {
    if (domain !== 'cluster.local') {
      if (lines.length === 0) continue;
      lines.unshift(`${domain}. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5`, `${domain}. 5 IN NS ns.dns.cluster.local.`);
    }
    const file = join(dir, `${domain}.zone`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    zones.push({ domain, file });
  }
  return { dir, zones };
}
