/**
 * Registration input → validated, keyed registrations (pure): text parsed with line numbers, Lists
 * expanded, native documents split per namespace, service and pod. Shared by the registrations
 * source and the body worker (http/body-check-worker.ts), which runs it off the main thread for
 * large bodies so a body is parsed once.
 */
import { formatDiagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import { objectKey } from '../registry/registry-source.js';
import { RegistryError } from '../errors.js';
import { isRecord } from './field-checks.js';
import { convertKeyedDocuments } from './keyed-objects.js';
import { isNativeDocument } from './native-format.js';
import { convertDocuments, convertRegistryObjects } from './registry-documents.js';
import { plainDocument, type SourceDocument } from './source-document.js';
import { parseRegistryText } from './yaml-documents.js';

/** Kubernetes objects or native documents: YAML/JSON text, one object, or a list of objects. */
export type RegistrationInput = string | object | readonly object[];

/**
 * A registered object (`Service/shop/web`, `Pod/shop/api-0`, `Namespace//shop`), whatever format it
 * came in. `Native/shop/-` names every object registered from native documents of namespace shop.
 */
export interface RegistrationRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One validated object of a registration, keyed as the files source keys it; structured-clone safe. */
export interface PreparedRegistration extends RegistrationRef {
  readonly key: string;
  readonly format: 'native' | 'kubernetes';
  readonly input: RegistryInput;
}

/** Registrations prepared elsewhere (the body worker): apply and replace take them as they are. */
export class PreparedRegistrations {
  constructor(readonly items: readonly PreparedRegistration[]) {}
}

/** The keys a remove body names, found elsewhere (the body worker): remove takes them as they are. */
export class RegistrationKeys {
  constructor(readonly keys: readonly string[]) {}
}

/** Validates input and splits it into keyed registrations; throws RegistryError, changing nothing. */
export function prepareRegistrations(input: RegistrationInput): PreparedRegistration[] {
  const objects = objectsOf(input);
  const out: PreparedRegistration[] = [];
  const problems: string[] = [];
  for (const object of objects) {
    // Text bodies say where: `body:LINE:` of the document (or List item) the object came from.
    const line = textLines.get(object)?.();
    const where = line === undefined ? 'body' : `body:${line}`;
    if (isNativeDocument(object)) {
      prepareNative(object, line === undefined ? undefined : where, out, problems);
      continue;
    }
    const ref = refOf(object);
    if (!ref) {
      problems.push(`${where}: not a registry document: expected a Kubernetes object (apiVersion, kind, metadata.name) or a native document (namespace, services, pods)`);
      continue;
    }
    const key = refKey(ref);
    const converted = convertRegistryObjects(`registration ${key}`, [object]);
    const errors = converted.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) problems.push(...errors.map((d) => `${line === undefined ? '' : `${where}: `}${key}: ${d.field ? `${d.field}: ` : ''}${d.message}`));
    else out.push({ ...ref, key, format: 'kubernetes', input: converted.input });
  }
  if (problems.length) throw new RegistryError('registration rejected', problems);
  return out;
}

/** The keys objects or text name, each split the way prepareRegistrations splits it (invalid ones too). */
export function registrationKeys(input: RegistrationInput): string[] {
  const keys: string[] = [];
  for (const o of objectsOf(input)) {
    if (isNativeDocument(o)) keys.push(...convertKeyedDocuments([documentOf(o)]).objects.map((k) => k.key));
    else {
      const ref = refOf(o);
      if (ref) keys.push(refKey(ref));
    }
  }
  return keys;
}

/** A native document → one registration per namespace, service and pod (as the files source keys them). */
function prepareNative(object: object, where: string | undefined, out: PreparedRegistration[], problems: string[]): void {
  const keyed = convertKeyedDocuments([documentOf(object)]);
  const prefix = where === undefined ? '' : `${where}: `;
  const errors = [...keyed.diagnostics, ...keyed.objects.flatMap((o) => o.diagnostics)].filter((d) => d.severity === 'error');
  if (errors.length) {
    // Text bodies were converted with line numbers before this (objectsOf); these are objects.
    problems.push(...errors.map((d) => `${prefix}${d.file}: ${d.field ? `${d.field}: ` : ''}${d.message}`));
    return;
  }
  for (const o of keyed.objects) {
    if (!o.input) continue;
    const [kind = '', namespace = '', name = ''] = o.key.split('/');
    out.push({ kind: KIND_NAMES[kind] ?? kind, namespace, name, key: o.key, format: 'native', input: o.input });
  }
}

/** Display names of the kinds a native document splits into (keys are lowercase). */
const KIND_NAMES: Record<string, string> = { namespace: 'Namespace', service: 'Service', pod: 'Pod' };

/** The document an object came from: its body lines when it was text, else the object alone. */
function documentOf(object: object): SourceDocument {
  return textDocuments.get(object) ?? plainDocument(nativeFile(object), object);
}

/** Text is parsed with line numbers so a bad body is reported as `body:LINE: field: message`. */
function objectsOf(input: RegistrationInput): object[] {
  if (typeof input === 'string') {
    const parsed = parseRegistryText('body', input);
    const converted = convertDocuments(parsed.documents);
    const errors = [...parsed.diagnostics, ...converted.diagnostics].filter((d) => d.severity === 'error');
    if (errors.length) throw new RegistryError('registration rejected', errors.map(formatDiagnostic));
    const objects: object[] = [];
    for (const doc of parsed.documents) {
      expandLists([doc.value], (object, path) => {
        textLines.set(object, () => doc.lineOf(path));
        textDocuments.set(object, { file: nativeFile(object), value: object, lineOf: (field) => doc.lineOf([...path, ...field]) });
        objects.push(object);
      });
    }
    return objects;
  }
  return expandLists(Array.isArray(input) ? (input as readonly object[]) : [input]);
}

/** Where a native registration's objects say they came from: `registration native/shop:3` (line of its body). */
function nativeFile(object: object): string {
  const namespace = (object as { namespace?: unknown }).namespace;
  return `registration native/${typeof namespace === 'string' ? namespace.toLowerCase() : 'default'}`;
}

/** The line each object parsed from a text body started on, for diagnostics without a field line. */
const textLines = new WeakMap<object, () => number>();
/** The document each object parsed from a text body came from, for native documents' field lines. */
const textDocuments = new WeakMap<object, SourceDocument>();

/** Objects in the values, List items expanded (a typed List's items get its kind), with their paths. */
function expandLists(values: readonly unknown[], found?: (object: object, path: (string | number)[]) => void): object[] {
  const out: object[] = [];
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -4);
      value.items.forEach((item, i) => visit(itemKind && isRecord(item) && !item.kind ? { ...item, kind: itemKind } : item, [...path, 'items', i]));
    } else if (value !== null && value !== undefined) {
      out.push(value as object);
      found?.(value as object, path);
    }
  };
  for (const value of values) visit(value, []);
  return out;
}

function refOf(object: unknown): RegistrationRef | undefined {
  if (!isRecord(object)) return undefined;
  if (typeof object.kind === 'string') {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    if (typeof metadata.name !== 'string') return undefined;
    const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
    return { kind: object.kind, namespace: object.kind === 'Namespace' ? '' : namespace, name: metadata.name };
  }
  return undefined;
}

export function refKey(ref: RegistrationRef): string {
  return objectKey(ref.kind, ref.namespace, ref.name);
}
