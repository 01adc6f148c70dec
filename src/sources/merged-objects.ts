/**
 * A file converted as one merged input (a large kubectl List parsed in a worker thread) → keyed
 * objects. A syntax error makes the file one unit (its last good content keeps serving). An invalid
 * object left no trace in the merged input, not even its key, so while any object is invalid every
 * key the file had before and lacks now keeps its last good version: the broken object keeps its
 * own, its neighbours update, and a deletion made in the same save waits for the next good save.
 * Pure.
 */
import type { Diagnostic } from '../registry/diagnostics.js';
import { createHash } from 'node:crypto';
import type { RegistryInput } from '../registry/model.js';
import { objectKey } from '../registry/registry-source.js';
import type { KeyedDocuments, KeyedObject } from './keyed-objects.js';

/** The parts an object lacks: one shared empty list (inputs are read, never appended to). */
const none: readonly never[] = Object.freeze([]);

export function keyedFromMerged(input: RegistryInput, diagnostics: readonly Diagnostic[], wholeFileError: boolean): KeyedDocuments {
  const steps = keyedFromMergedSteps(input, diagnostics, wholeFileError);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Objects keyed (each a JSON text and a SHA-1) between two pauses of keyedFromMergedSteps. */
const STEP = 256;

/**
 * keyedFromMerged as a generator that pauses every few hundred objects: 12,500 objects of a 23 MB
 * List took 320 ms in one turn of the event loop (the fingerprints), so the files source runs it in slices.
 */
export function* keyedFromMergedSteps(input: RegistryInput, diagnostics: readonly Diagnostic[], wholeFileError: boolean): Generator<void, KeyedDocuments, void> {
  const objects: KeyedObject[] = [];
  const add = (key: string, part: Partial<RegistryInput>, line: number) => {
    const whole: RegistryInput = { namespaces: none, services: none, endpointGroups: none, pods: none, workloads: none, hostObjects: none, ...part };
    // A digest, not the text: a large file's objects would otherwise hold a second copy of it.
    objects.push({ key, input: whole, fingerprint: createHash('sha1').update(JSON.stringify(whole)).digest('base64'), line, diagnostics: [] });
  };
  let work = 0;
  let pausedAt = 0;
  /** Counts `n` units of work; true when a pause is due. */
  const due = (n: number): boolean => {
    work += n;
    if (work - pausedAt < STEP) return false;
    pausedAt = work;
    return true;
  };
  for (const ns of input.namespaces) {
    if (due(1)) yield;
    add(objectKey('namespace', '', ns.name), { namespaces: [ns] }, ns.origin.line);
  }
  for (const svc of input.services) {
    if (due(1)) yield;
    add(objectKey('service', svc.namespace, svc.name), { services: [svc] }, svc.origin.line);
  }
  // Endpoint groups lost their object names on the way; their origin line tells them apart.
  for (const group of input.endpointGroups) {
    if (due(1 + group.endpoints.length)) yield;
    add(objectKey(group.source, group.namespace, `${group.service}@${group.origin.line}`), { endpointGroups: [group] }, group.origin.line);
  }
  for (const pod of input.pods) {
    if (due(1)) yield;
    add(objectKey('pod', pod.namespace, pod.name), { pods: [pod] }, pod.origin.line);
  }
  for (const w of input.workloads ?? []) {
    if (due(1)) yield;
    add(objectKey(w.kind, w.namespace, w.name), { workloads: [w] }, w.origin.line);
  }
  // A LoadBalancer Service's hostnames are keyed apart from the Service itself.
  for (const h of input.hostObjects ?? []) {
    if (due(1)) yield;
    add(objectKey(h.kind === 'Service' ? 'LoadBalancer' : h.kind, h.namespace, h.name), { hostObjects: [h] }, h.origin.line);
  }
  const objectErrors = !wholeFileError && diagnostics.some((d) => d.severity === 'error');
  return { objects, diagnostics, structural: wholeFileError, unidentified: objectErrors };
}
