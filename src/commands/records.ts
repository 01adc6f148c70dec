/** `cluster-dns records`: every name the registry answers, as a table, JSON or /etc/hosts lines. */
import type { Writable } from 'node:stream';
import { buildRegistry } from '../registry/build-registry.js';
import { formatDiagnostic, hasErrors } from '../registry/diagnostics.js';
import { nameServerAddresses, type ResolvedOptions } from '../options.js';
import { formatHostsFile, formatRecordTable, listRecords } from '../resolver/list-records.js';
import { readZones } from '../sources/zones-reader.js';

export async function runRecords(options: ResolvedOptions, output: 'table' | 'json' | 'hosts', out: Writable, err: Writable): Promise<number> {
  const results = await readZones(options.zones, undefined, { maxBytes: options.maxRegistryBytes });
  for (const r of results) for (const d of r.diagnostics) err.write(`${formatDiagnostic(d)}\n`);
  const good = results.filter((r) => !hasErrors(r.diagnostics));
  const { registry } = buildRegistry(good.map((r) => r.input), { clusterDomain: options.clusterDomain, ttl: options.ttl, serviceCidrs: options.serviceCidrs, podCidrs: options.podCidrs, serial: Math.floor(Date.now() / 1000) });
  const rows = listRecords(registry, { podMode: options.pods, nameServerAddresses: nameServerAddresses(options.host) });
  out.write(output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : output === 'hosts' ? formatHostsFile(rows) : formatRecordTable(rows));
  return results.some((r) => hasErrors(r.diagnostics)) ? 1 : 0;
}
