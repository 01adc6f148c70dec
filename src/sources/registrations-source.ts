/**
 * The registrations source: objects registered through the library (apply/remove/replace) and the
 * HTTP /v1 API, each keyed `kind/namespace/name`, optionally with a lease. A registration is
 * validated whole before anything changes, and resolves once queries see it. A native document is
 * split per namespace, service and pod (the keys the files source uses), so registering one
 * service never removes another it does not name.
 */
import { formatDiagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import { objectKey, type ObjectKey, type RegistryLog, type RegistrySink, type RegistrySource } from '../registry/registry-source.js';
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

export interface Registration extends RegistrationRef {
  readonly key: string;
  /** The format it was registered in: `native` (split from a native document) or `kubernetes`. */
  readonly format: 'native' | 'kubernetes';
  /** When the lease runs out, ISO 8601 (`2026-12-02T06:00:00.000Z`); undefined = until removed. */
  readonly expiresAt: string | undefined;
  /** The same instant in epoch milliseconds, for arithmetic; undefined = until removed. */
  readonly expiresAtMs: number | undefined;
}

export interface RegistrationOptions {
  /** Seconds until the registration expires; at most MAX_LEASE_SECONDS. */
  readonly leaseSeconds?: number;
}

/** Leases are capped at 7 days: longer-lived objects belong in --zones, and timers stay in range. */
export const MAX_LEASE_SECONDS = 7 * 24 * 3600;
/** setTimeout fires after 1 ms for anything longer (a busy loop), so longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface StoredRegistration extends RegistrationRef {
  readonly key: string;
  readonly format: 'native' | 'kubernetes';
  readonly expiresAt: number | undefined;
  readonly input: RegistryInput;
}

function described(r: StoredRegistration): Registration {
  const { kind, namespace, name, key, format, expiresAt } = r;
  return { kind, namespace, name, key, format, expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt).toISOString(), expiresAtMs: expiresAt };
}

export interface RegistrationsSourceOptions {
  readonly now?: () => number;
  readonly log?: RegistryLog;
}

export class RegistrationsSource implements RegistrySource {
  readonly id = 'registrations';
  private sink: RegistrySink | undefined;
  private readonly registrations = new Map<ObjectKey, StoredRegistration>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private leaseDue = Infinity;
  private sweeps = 0;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: RegistrationsSourceOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async start(sink: RegistrySink): Promise<void> {
    this.sink = sink;
    sink.replaceAll([...this.registrations.values()].map((r) => ({ key: r.key, input: r.input })));
    sink.synced();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
  }

  /** Adds or replaces registrations; resolves once the next query sees them. Throws RegistryError. */
  apply(input: RegistrationInput, options: RegistrationOptions = {}): Promise<Registration[]> {
    return this.register('apply', input, options);
  }

  /** Replaces every registration with `input` (empty input clears them all). */
  replace(input: RegistrationInput, options: RegistrationOptions = {}): Promise<Registration[]> {
    return this.register('replace', input, options);
  }

  /** Removes registrations named by refs or by the same objects/text that registered them. */
  async remove(input: RegistrationInput | RegistrationRef | readonly RegistrationRef[]): Promise<string[]> {
    const removed: string[] = [];
    for (const key of this.keysOf(input)) {
      if (!this.registrations.delete(key)) continue;
      removed.push(key);
      this.sink?.remove(key);
    }
    if (removed.length > 0) await this.sink?.published();
    return removed;
  }

  list(): Registration[] {
    const out: Registration[] = [];
    for (const r of this.registrations.values()) out.push(described(r));
    return out;
  }

  /** Lease sweeps run so far (a long lease must not wake the process repeatedly). */
  stats(): { registrations: number; sweeps: number } {
    return { registrations: this.registrations.size, sweeps: this.sweeps };
  }

  private async register(mode: 'apply' | 'replace', input: RegistrationInput, options: RegistrationOptions): Promise<Registration[]> {
    const leaseSeconds = options.leaseSeconds;
    if (leaseSeconds !== undefined && !(Number.isFinite(leaseSeconds) && leaseSeconds > 0 && leaseSeconds <= MAX_LEASE_SECONDS)) {
      throw new RegistryError('registration rejected', [
        `lease: ${String(leaseSeconds)} is not a number of seconds between 0 and ${MAX_LEASE_SECONDS} (7 days)`,
      ]);
    }
    const prepared = prepare(input); // throws before anything changes
    const expiresAt = leaseSeconds !== undefined ? this.now() + leaseSeconds * 1000 : undefined;
    if (mode === 'replace') this.registrations.clear();
    const made: Registration[] = [];
    for (const r of prepared) {
      const stored: StoredRegistration = { ...r, expiresAt };
      this.registrations.delete(r.key); // re-inserted last: the newest registration wins
      this.registrations.set(r.key, stored);
      made.push(described(stored));
      if (mode === 'apply') this.sink?.upsert(r.key, r.input);
    }
    if (mode === 'replace') this.sink?.replaceAll([...this.registrations.values()].map((r) => ({ key: r.key, input: r.input })));
    if (expiresAt !== undefined && expiresAt < this.leaseDue) this.scheduleLeases(expiresAt);
    await this.sink?.published();
    return made;
  }

  /** One timer for the earliest lease, never longer than setTimeout can hold. */
  private scheduleLeases(due: number): void {
    clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.leaseDue = due;
    if (!Number.isFinite(due) || this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, due - this.now()));
    this.leaseTimer = setTimeout(() => this.sweepLeases(), delay);
    this.leaseTimer.unref?.();
  }

  private sweepLeases(): void {
    this.sweeps++;
    const now = this.now();
    const expired: string[] = [];
    let next = Infinity; // a loop, not Math.min(...all): 125k registrations would overflow the stack
    for (const r of this.registrations.values()) {
      if (r.expiresAt === undefined) continue;
      if (r.expiresAt <= now) expired.push(r.key);
      else if (r.expiresAt < next) next = r.expiresAt;
    }
    for (const key of expired) {
      this.registrations.delete(key);
      this.sink?.remove(key);
    }
    if (expired.length > 0) this.options.log?.info({ expired: expired.length, first: expired.slice(0, 10) }, 'registrations expired');
    this.scheduleLeases(next);
  }

  /**
   * The keys a remove names: refs (`Native/NS/-` stands for every object registered from native
   * documents of NS), or objects/text, each split the way apply splits it.
   */
  private keysOf(input: RegistrationInput | RegistrationRef | readonly RegistrationRef[]): string[] {
    const list: readonly unknown[] = Array.isArray(input) ? input : [input];
    if (list.every((x) => isRecord(x) && typeof x.kind === 'string' && typeof x.name === 'string' && !('metadata' in x))) {
      const keys: string[] = [];
      for (const r of list as RegistrationRef[]) {
        const namespace = r.namespace ?? 'default';
        if (r.kind.toLowerCase() === 'native' && r.name === '-') {
          for (const stored of this.registrations.values()) {
            if (stored.format === 'native' && (stored.namespace === namespace.toLowerCase() || (stored.kind === 'Namespace' && stored.name === namespace.toLowerCase()))) keys.push(stored.key);
          }
        } else keys.push(refKey({ kind: r.kind, namespace: r.kind.toLowerCase() === 'namespace' ? '' : namespace, name: r.name }));
      }
      return keys;
    }
    const keys: string[] = [];
    for (const o of objectsOf(input as RegistrationInput)) {
      if (isNativeDocument(o)) keys.push(...convertKeyedDocuments([documentOf(o)]).objects.map((k) => k.key));
      else {
        const ref = refOf(o);
        if (ref) keys.push(refKey(ref));
      }
    }
    return keys;
  }
}

type PreparedRegistration = RegistrationRef & { key: string; format: 'native' | 'kubernetes'; input: RegistryInput };

/** Validates input and splits it into keyed registrations; throws RegistryError, changing nothing. */
function prepare(input: RegistrationInput): PreparedRegistration[] {
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

function refKey(ref: RegistrationRef): string {
  return objectKey(ref.kind, ref.namespace, ref.name);
}
