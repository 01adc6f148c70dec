/** `cluster-dns check`: validate the registry, print every diagnostic and a summary; exit 1 on errors (and, with --strict, on likely typos). */
import type { Writable } from 'node:stream';
import { buildRegistry } from '../registry/build-registry.js';
import { formatDiagnostic, hasErrors } from '../registry/diagnostics.js';
import type { ResolvedOptions } from '../options.js';
import { readZones } from '../sources/zones-reader.js';

export async function runCheck(options: ResolvedOptions, out: Writable): Promise<number> {
  const results = await readZones(options.zones, undefined, { maxBytes: options.maxRegistryBytes });
  const diagnostics = results.flatMap((r) => r.diagnostics);
  const good = results.filter((r) => !hasErrors(r.diagnostics));
  const built = buildRegistry(good.map((r) => r.input), { clusterDomain: options.clusterDomain, ttl: options.ttl, serviceCidrs: options.serviceCidrs, podCidrs: options.podCidrs, serial: 1 });
  const all = [...diagnostics, ...built.diagnostics];
  for (const d of all) out.write(`${formatDiagnostic(d)}\n`);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  const typos = all.filter((d) => d.likelyTypo).length;
  const c = built.registry.counts;
  out.write(
    `${results.length} file(s): ${c.namespaces} namespaces, ${c.services} services, ${c.endpoints} ready endpoint addresses, ${c.pods} pods; ` +
      `${errors} error(s), ${warnings} warning(s)\n`,
  );
  const derived = built.registry.derived;
  if (derived.allocatedClusterIps.size > 0 || derived.simulatedPods > 0) {
    out.write(`derived as the control plane would: ${derived.allocatedClusterIps.size} allocated ClusterIP(s), ${derived.simulatedPods} simulated pod(s)\n`);
  }
  // --strict: a warning that is probably a typo (`kind: Servce`) fails the check too.
  return errors > 0 || (options.strict && typos > 0) ? 1 : 0;
}
