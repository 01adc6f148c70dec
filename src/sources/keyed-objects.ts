/**
 * Parsed registry documents → one keyed object each (`kind/namespace/name`), converted on its own,
 * so that one invalid object is one invalid object: it keeps its own last good version and its
 * neighbours in the same file are served. Native documents are split per service and pod. Pure.
 */
import type { Diagnostic } from '../registry/diagnostics.js';
import { emptyRegistryInput, type RegistryInput } from '../registry/model.js';
import { objectKey, type ObjectKey } from '../registry/registry-source.js';
import { Problems, isRecord } from './field-checks.js';
import { convertKubernetesObject, type InputCollector } from './kubernetes-manifests.js';
import { convertNativeDocument, isNativeDocument } from './native-format.js';
import type { FieldPath, SourceDocument } from './source-document.js';

export interface KeyedObject {
  readonly key: ObjectKey;
  /** The converted object; undefined when it does not validate (its diagnostics say why). */
  readonly input: RegistryInput | undefined;
  /** Changes whenever the object's text does: an unchanged object is not pushed again. */
  readonly fingerprint: string;
  /** Where the object's name is; looked up only when read (a JSON file's lines cost a re-parse). */
  readonly line: number;
  readonly diagnostics: readonly Diagnostic[];
}

export interface KeyedDocuments {
  readonly objects: readonly KeyedObject[];
  /** Problems that belong to no one object (skipped kinds, objects without a name). */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * The file's structure is broken beyond one object (a native document with a bad namespace or an
   * unknown top-level key, a List whose items are not a list, a document that is no registry
   * document): like a syntax error, the whole file keeps its last good content.
   */
  readonly structural: boolean;
  /**
   * An object with errors could not be told apart (no usable name): it may be a broken version of
   * any object the file held, so objects missing from this version keep their last good version.
   */
  readonly unidentified: boolean;
}

/** Splits and converts documents; objects come in document order. */
export function convertKeyedDocuments(documents: readonly SourceDocument[]): KeyedDocuments {
  const objects: KeyedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const skippedKinds = new Set<string>();
  let structural = false;
  let unidentified = false;
  const collector = (): InputCollector => ({ namespaces: [], services: [], endpointGroups: [], pods: [], workloads: [], hostObjects: [], skippedKinds });

  const kubernetesObject = (doc: SourceDocument, value: unknown, path: FieldPath, inferredKind: string | undefined): void => {
    const problems = new Problems(doc).at(path);
    if (!isRecord(value)) {
      problems.error([], 'expected a Kubernetes object (a mapping with apiVersion and kind)');
      diagnostics.push(...problems.diagnostics);
      unidentified = true;
      return;
    }
    const kind = typeof value.kind === 'string' ? value.kind : inferredKind;
    if (kind && (kind === 'List' || kind.endsWith('List'))) {
      if (value.items === undefined || value.items === null) return;
      if (!Array.isArray(value.items)) {
        problems.error(['items'], 'must be a list');
        diagnostics.push(...problems.diagnostics);
        structural = true;
        return;
      }
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      value.items.forEach((item, i) => kubernetesObject(doc, item, [...path, 'items', i], itemKind));
      return;
    }
    const out = collector();
    convertKubernetesObject(value, problems, out, inferredKind);
    const key = kind ? keyOf(kind, value) : undefined;
    if (!key) {
      diagnostics.push(...problems.diagnostics);
      if (problems.diagnostics.some((d) => d.severity === 'error')) unidentified = true;
      return;
    }
    const failed = problems.diagnostics.some((d) => d.severity === 'error');
    objects.push(keyed(key, failed ? undefined : out, JSON.stringify(value), () => problems.line(['metadata', 'name']), problems.diagnostics));
  };

  for (const doc of documents) {
    if (isNativeDocument(doc.value)) splitNative(doc, doc.value as Record<string, unknown>);
    else if (isRecord(doc.value) && ('kind' in doc.value || 'apiVersion' in doc.value)) kubernetesObject(doc, doc.value, [], undefined);
    else {
      const problems = new Problems(doc);
      problems.error([], 'not a registry document: expected a Kubernetes object (apiVersion, kind) or a native document (namespace, services, pods)');
      diagnostics.push(...problems.diagnostics);
      structural = true;
    }
  }
  return { objects, diagnostics, structural, unidentified };

  /** One native document: converted once, then its output and diagnostics split per service and pod. */
  function splitNative(doc: SourceDocument, value: Record<string, unknown>): void {
    const problems = new Problems(doc);
    const out = collector();
    convertNativeDocument(value, problems, out);
    const byField = new Map<string, Diagnostic[]>();
    for (const d of problems.diagnostics) {
      const m = /^(services|pods)\.([^.[]+)/.exec(d.field);
      const owner = m ? `${m[1]}.${m[2]}` : '';
      if (owner === '' && d.severity === 'error') structural = true;
      let list = byField.get(owner);
      if (!list) byField.set(owner, (list = []));
      list.push(d);
    }
    diagnostics.push(...(byField.get('') ?? []));
    if (structural && out.namespaces.length === 0) return;
    const namespace = out.namespaces[0]?.name ?? 'default';
    objects.push(keyed(objectKey('namespace', '', namespace), { ...emptyRegistryInput(), namespaces: out.namespaces }, namespace, () => problems.line(['namespace']), []));
    // Grouped once: a filter of every output per service was quadratic (20k services: 4 s).
    const servicesByName = groupBy(out.services, (s) => s.name);
    const groupsByService = groupBy(out.endpointGroups, (g) => g.service);
    const podsByName = groupBy(out.pods, (p) => p.name);
    const services = isRecord(value.services) ? value.services : {};
    for (const [name, spec] of Object.entries(services)) {
      const lower = name.toLowerCase();
      const own = byField.get(`services.${name}`) ?? [];
      const failed = own.some((d) => d.severity === 'error');
      const input = failed
        ? undefined
        : { ...emptyRegistryInput(), services: servicesByName.get(lower) ?? [], endpointGroups: groupsByService.get(lower) ?? [] };
      objects.push(keyed(objectKey('service', namespace, lower), input, JSON.stringify([namespace, name, spec ?? null]), () => problems.line(['services', name]), own));
    }
    const pods = isRecord(value.pods) ? value.pods : {};
    for (const [name, ips] of Object.entries(pods)) {
      const own = byField.get(`pods.${name}`) ?? [];
      const failed = own.some((d) => d.severity === 'error');
      const input = failed ? undefined : { ...emptyRegistryInput(), pods: podsByName.get(name) ?? [] };
      objects.push(keyed(objectKey('pod', namespace, name), input, JSON.stringify([namespace, name, ips ?? null]), () => problems.line(['pods', name]), own));
    }
  }
}

/** Items by a key, each list in input order. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function keyed(key: ObjectKey, input: RegistryInput | undefined, fingerprint: string, lineOf: () => number, diagnostics: readonly Diagnostic[]): KeyedObject {
  let line: number | undefined;
  return {
    key,
    input,
    fingerprint,
    get line() {
      return (line ??= lineOf());
    },
    diagnostics,
  };
}

/** `service/shop/web` from a Kubernetes object's kind and metadata; undefined without a usable name. */
function keyOf(kind: string, value: Record<string, unknown>): ObjectKey | undefined {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') return undefined;
  const clusterScoped = kind === 'Namespace';
  const namespace = clusterScoped ? '' : typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  return objectKey(kind, namespace, metadata.name);
}
