/**
 * Warnings for a Service port whose named targetPort no selected Pod declares: the EndpointSlice
 * controller leaves such Pods out of that port (FindPort fails), so the port has no endpoints and
 * its SRV records point nowhere. Usually a typo (`htp` for `http`). Pure.
 */
import type { Diagnostic } from './diagnostics.js';
import { matchesLabels } from './label-selector.js';
import type { PodInput, ServiceInput } from './model.js';

/** `services` are those endpoints were derived for (selector, no EndpointSlices); `pods` real and simulated. */
export function findUnmatchedTargetPorts(services: readonly ServiceInput[], pods: readonly PodInput[]): Diagnostic[] {
  const named = services.filter((s) => s.selector && s.ports.some((p) => typeof p.targetPort === 'string'));
  if (named.length === 0) return [];
  const diagnostics: Diagnostic[] = [];
  for (const svc of named) {
    const selected = pods.filter((p) => p.namespace === svc.namespace && matchesLabels(svc.selector!, p.labels ?? {}));
    // No Pod selected at all is another mistake (a selector typo), reported on its own.
    if (selected.length === 0) continue;
    svc.ports.forEach((port, i) => {
      const target = port.targetPort;
      if (typeof target !== 'string') return;
      if (selected.some((p) => p.containerPorts?.some((c) => c.name === target && c.protocol === port.protocol))) return;
      const declared = new Set<string>();
      for (const p of selected) for (const c of p.containerPorts ?? []) if (c.name) declared.add(c.protocol === 'tcp' ? c.name : `${c.name}/${c.protocol}`);
      const have = declared.size > 0 ? `they declare ${[...declared].sort().slice(0, 5).join(', ')}` : 'they declare no named container ports';
      diagnostics.push({
        severity: 'warning',
        file: svc.origin.file,
        line: svc.origin.line,
        field: `spec.ports[${i}].targetPort`,
        message: `"${target}" names no ${port.protocol.toUpperCase()} container port of the ${selected.length} Pod(s) service "${svc.name}" selects (${have}): that port gets no endpoints`,
      });
    });
  }
  return diagnostics;
}
