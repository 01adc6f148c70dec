/**
 * Warnings for headless Services whose selector matches no Pod (real or simulated): in a cluster they
 * have no endpoints and their names are NXDOMAIN, which is usually a label typo. Pure.
 */
import type { Diagnostic } from './diagnostics.js';
import { matchesLabels } from './label-selector.js';
import type { PodInput, ServiceInput } from './model.js';

/** `services` are those endpoints were derived for (selector, no EndpointSlices); `pods` real and simulated. */
export function findUnmatchedSelectors(services: readonly ServiceInput[], pods: readonly PodInput[]): Diagnostic[] {
  const headless = services.filter((s) => s.kind === 'Headless' && s.selector);
  if (headless.length === 0) return [];
  const byNamespace = new Map<string, PodInput[]>();
  for (const pod of pods) {
    let list = byNamespace.get(pod.namespace);
    if (!list) byNamespace.set(pod.namespace, (list = []));
    list.push(pod);
  }
  const diagnostics: Diagnostic[] = [];
  for (const svc of headless) {
    const inNamespace = byNamespace.get(svc.namespace) ?? [];
    if (inNamespace.some((p) => matchesLabels(svc.selector!, p.labels ?? {}))) continue;
    const wanted = Object.entries(svc.selector!).map(([k, v]) => `${k}=${v}`).join(',');
    // Name what is there for the selector's keys, so a typo'd value or key is easy to spot.
    const seen = new Set<string>();
    for (const p of inNamespace) for (const key of Object.keys(svc.selector!)) if (p.labels?.[key] !== undefined) seen.add(`${key}=${p.labels[key]}`);
    const hint = seen.size > 0 ? `; Pods there have ${[...seen].sort().slice(0, 5).join(', ')}` : '';
    diagnostics.push({
      severity: 'warning',
      file: svc.origin.file,
      line: svc.origin.line,
      field: 'spec.selector',
      message: `headless service "${svc.name}" selects ${wanted}, which no Pod or workload in namespace "${svc.namespace}" has: it has no endpoints and its names are NXDOMAIN${hint}`,
    });
  }
  return diagnostics;
}
