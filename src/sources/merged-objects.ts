/**
 * A file converted as one merged input (a large kubectl List parsed in worker threads) → keyed
 * objects. Invalid objects left no trace in the merged input, so such a file is one unit for errors:
 * any error keeps the whole file's last good content. Pure.
 */
import type { Diagnostic } from '../registry/diagnostics.js';
import { emptyRegistryInput, type RegistryInput } from '../registry/model.js';
import { objectKey } from '../registry/registry-source.js';
import type { KeyedDocuments, KeyedObject } from './keyed-objects.js';

export function keyedFromMerged(input: RegistryInput, diagnostics: readonly Diagnostic[]): KeyedDocuments {
  const objects: KeyedObject[] = [];
  const add = (key: string, part: Partial<RegistryInput>, line: number) => {
    const whole = { ...emptyRegistryInput(), ...part };
    objects.push({ key, input: whole, fingerprint: JSON.stringify(whole), line, diagnostics: [] });
  };
  for (const ns of input.namespaces) add(objectKey('namespace', '', ns.name), { namespaces: [ns] }, ns.origin.line);
  for (const svc of input.services) add(objectKey('service', svc.namespace, svc.name), { services: [svc] }, svc.origin.line);
  // Endpoint groups lost their object names on the way; their origin line tells them apart.
  for (const group of input.endpointGroups) {
    add(objectKey(group.source, group.namespace, `${group.service}@${group.origin.line}`), { endpointGroups: [group] }, group.origin.line);
  }
  for (const pod of input.pods) add(objectKey('pod', pod.namespace, pod.name), { pods: [pod] }, pod.origin.line);
  return { objects, diagnostics, structural: diagnostics.some((d) => d.severity === 'error'), unidentified: false };
}
