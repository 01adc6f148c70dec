/** `cluster-dns check`: validate the registry, print every diagnostic and a summary; exit 1 on errors (and, with --strict, on likely typos). */
import type { Writable } from 'node:stream';
import { formatDiagnostic } from '../registry/diagnostics.js';
import type { ResolvedOptions } from '../options.js';
import { readCommandRegistry } from './command-registry.js';

export async function runCheck(options: ResolvedOptions, out: Writable, err: Writable = process.stderr): Promise<number> {
  const built = await readCommandRegistry(options, err);
  if (!built) return 1;
  const all = [...built.sourceDiagnostics, ...built.diagnostics];
  for (const d of all) out.write(`${formatDiagnostic(d)}\n`);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  const typos = all.filter((d) => d.likelyTypo).length;
  const c = built.registry.counts;
  out.write(
    `${built.files} file(s)${built.clusterObjects === undefined ? '' : ` and ${built.clusterObjects} object(s) from the cluster`}: ${c.namespaces} namespaces, ${c.services} services, ${c.endpoints} ready endpoint addresses, ${c.pods} pods; ` +
      `${errors} error(s), ${warnings} warning(s)\n`,
  );
  const derived = built.registry.derived;
  if (derived.allocatedClusterIps.size > 0 || derived.simulatedPods > 0) {
    out.write(`derived as the control plane would: ${derived.allocatedClusterIps.size} allocated ClusterIP(s), ${derived.simulatedPods} simulated pod(s)\n`);
  }
  // --strict: a warning that is probably a typo (`kind: Servce`) fails the check too.
  return errors > 0 || (options.strict && typos > 0) ? 1 : 0;
}
