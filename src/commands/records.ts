/** `cluster-dns records`: every name the registry answers, as a table, JSON or /etc/hosts lines. */
import type { Writable } from 'node:stream';
import { formatDiagnostic, hasErrors } from '../registry/diagnostics.js';
import { nameServerAddresses, type ResolvedOptions } from '../options.js';
import { formatHostsFile, formatRecordTable, listRecords } from '../resolver/list-records.js';
import { readCommandRegistry } from './command-registry.js';

export async function runRecords(options: ResolvedOptions, output: 'table' | 'json' | 'hosts', out: Writable, err: Writable): Promise<number> {
  const built = await readCommandRegistry(options, err);
  if (!built) return 1;
  for (const d of built.sourceDiagnostics) err.write(`${formatDiagnostic(d)}\n`);
  const registry = built.registry;
  const rows = listRecords(registry, { podMode: options.pods, nameServerAddresses: nameServerAddresses(options.host) });
  out.write(output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : output === 'hosts' ? formatHostsFile(rows) : formatRecordTable(rows));
  return hasErrors(built.sourceDiagnostics) ? 1 : 0;
}
