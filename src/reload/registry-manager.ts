/**
 * Owns what the registry is built from — the --zones files (each with its last good content) and
 * the registrations made through the library or HTTP API (with optional leases) — and rebuilds
 * and swaps the snapshot whenever either changes. Changes are serialised: one rebuild at a time.
 */
import type { BuildOptions } from '../registry/build-registry.js';
import { buildRegistryInSlices } from '../registry/build-in-slices.js';
import { formatDiagnostic, type Diagnostic } from '../registry/diagnostics.js';
import { diffRegistries } from '../registry/registry-diff.js';
import type { RegistryInput } from '../registry/model.js';
import type { Registry } from '../registry/registry.js';
import type { MutableRegistryRef } from '../registry/registry-ref.js';
import { updateZoneFileSet, type ServedFile } from '../registry/zone-file-set.js';
import { ClusterDnsError, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRecord } from '../sources/field-checks.js';
import { parseRegistryText } from '../sources/yaml-documents.js';
import { convertDocuments, convertRegistryObjects } from '../sources/registry-documents.js';
import { readZones } from '../sources/zones-reader.js';

/** Kubernetes objects or native documents: YAML/JSON text, one object, or a list of objects. */
export type RegistrationInput = string | object | readonly object[];

/** A Kubernetes object (`Service/shop/web`) or a native namespace document (`Native/shop/-`). */
export interface RegistrationRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface Registration extends RegistrationRef {
  readonly key: string;
  /** Epoch ms when the lease runs out; undefined = until removed. */
  readonly expiresAt: number | undefined;
}

export interface ReloadReport {
  readonly changed: boolean;
  readonly durationMs: number;
  readonly diagnostics: readonly string[];
  readonly counts: Registry['counts'] | undefined;
}

export interface RegistryManagerOptions {
  readonly zones: readonly string[];
  readonly clusterDomain: string;
  readonly ttl: number;
  /** Ranges for allocated ClusterIPs and simulated Pods (buildRegistry's defaults when absent). */
  readonly serviceCidrs?: BuildOptions['serviceCidrs'];
  /** Largest file read (readZones' default when absent). */
  readonly maxRegistryBytes?: number;
  readonly podCidrs?: BuildOptions['podCidrs'];
  readonly strict: boolean;
  readonly now: () => number;
  readonly log: Logger;
  /** Told about each rebuild, for metrics. */
  readonly onRebuild?: (result: 'success' | 'failure', registry: Registry | undefined) => void;
}

interface StoredRegistration extends Registration {
  readonly input: RegistryInput;
  /** Later registrations win over earlier ones for the same service. */
  readonly seq: number;
}

export class RegistryManager {
  private served: ReadonlyMap<string, ServedFile> = new Map();
  private readonly registrations = new Map<string, StoredRegistration>();
  private queue: Promise<unknown> = Promise.resolve();
  private leaseTimer: NodeJS.Timeout | undefined;
  private lastSerial = 0;
  private seq = 0;
  private readonly pipes = new Map<string, import('../registry/zone-file-set.js').ZoneFileResult>();
  private closed = false;

  constructor(private readonly options: RegistryManagerOptions, private readonly ref: MutableRegistryRef) {}

  /** Re-reads the zones; rebuilds and swaps when any file's content changed. */
  reloadFiles(first = false): Promise<ReloadReport> {
    return this.serialise(async () => {
      const started = performance.now();
      const results = await readZones(this.options.zones, this.pipes, { maxBytes: this.options.maxRegistryBytes });
      const update = updateZoneFileSet(this.served, results);
      const messages = update.diagnostics.map(formatDiagnostic);
      for (const d of update.diagnostics) this.logDiagnostic(d);
      if (first && this.options.strict && update.rejected.length > 0) {
        throw new RegistryError('registry has errors (--strict)', update.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic));
      }
      this.served = update.served;
      let changed = false;
      if (update.changed || !this.ref.current()) {
        for (const m of await this.rebuild(first ? 'load' : 'reload', started, update.rejected)) messages.push(m);
        changed = true;
      }
      const durationMs = elapsed(started);
      return { changed, durationMs, diagnostics: messages, counts: this.ref.current()?.counts };
    });
  }

  /** Adds or replaces registrations; resolves once the next query sees them. Throws RegistryError. */
  apply(input: RegistrationInput, options: { leaseSeconds?: number } = {}): Promise<Registration[]> {
    return this.register('apply', input, options);
  }

  /** Removes registrations named by refs or by the same objects/text that registered them. */
  remove(input: RegistrationInput | RegistrationRef | readonly RegistrationRef[]): Promise<string[]> {
    return this.serialise(async () => {
      const started = performance.now();
      const keys = this.keysOf(input);
      const removed = keys.filter((k) => this.registrations.delete(k));
      if (removed.length > 0) await this.rebuild('remove', started, []);
      return removed;
    });
  }

  /** Replaces every registration with `input` (empty input clears them all). */
  replace(input: RegistrationInput, options: { leaseSeconds?: number } = {}): Promise<Registration[]> {
    return this.register('replace', input, options);
  }

  private register(mode: 'apply' | 'replace', input: RegistrationInput, options: { leaseSeconds?: number }): Promise<Registration[]> {
    return this.serialise(async () => {
      const started = performance.now();
      const prepared = this.prepare(input); // throws before anything changes
      const expiresAt = options.leaseSeconds !== undefined ? this.options.now() + options.leaseSeconds * 1000 : undefined;
      if (mode === 'replace') this.registrations.clear();
      for (const r of prepared) {
        this.registrations.delete(r.key); // re-inserted last: the newest registration wins
        this.registrations.set(r.key, { ...r, expiresAt, seq: ++this.seq });
      }
      await this.rebuild(mode, started, []);
      this.scheduleLeaseSweep();
      return prepared.map(({ kind, namespace, name, key }) => ({ kind, namespace, name, key, expiresAt }));
    });
  }

  list(): Registration[] {
    return [...this.registrations.values()].map(({ kind, namespace, name, key, expiresAt }) => ({ kind, namespace, name, key, expiresAt }));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.leaseTimer);
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new ClusterDnsError('SERVER_STATE', 'the server is stopped');
      return task();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** Validates input and splits it into keyed registrations; throws RegistryError, changing nothing. */
  private prepare(input: RegistrationInput): (RegistrationRef & { key: string; input: RegistryInput })[] {
    const objects = this.objectsOf(input);
    const out: (RegistrationRef & { key: string; input: RegistryInput })[] = [];
    const problems: string[] = [];
    for (const object of objects) {
      // Text bodies say where: `body:LINE:` of the document (or List item) the object came from.
      const line = textLines.get(object);
      const where = line === undefined ? 'body' : `body:${line}`;
      const ref = refOf(object);
      if (!ref) {
        problems.push(`${where}: not a registry document: expected a Kubernetes object (apiVersion, kind, metadata.name) or a native document (namespace, services, pods)`);
        continue;
      }
      const key = refKey(ref);
      const converted = convertRegistryObjects(`api:${key}`, [object]);
      const errors = converted.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) problems.push(...errors.map((d) => `${line === undefined ? '' : `${where}: `}${key}: ${d.field ? `${d.field}: ` : ''}${d.message}`));
      else out.push({ ...ref, key, input: converted.input });
    }
    if (problems.length) throw new RegistryError('registration rejected', problems);
    return out;
  }

  /** Text is parsed with line numbers so a bad body is reported as `body:LINE: field: message`. */
  private objectsOf(input: RegistrationInput): object[] {
    if (typeof input === 'string') {
      const parsed = parseRegistryText('body', input);
      const converted = convertDocuments(parsed.documents);
      const errors = [...parsed.diagnostics, ...converted.diagnostics].filter((d) => d.severity === 'error');
      if (errors.length) throw new RegistryError('registration rejected', errors.map(formatDiagnostic));
      const objects: object[] = [];
      for (const doc of parsed.documents) {
        for (const object of expandLists([doc.value])) {
          const item = isRecord(doc.value) && Array.isArray(doc.value.items) ? doc.value.items.indexOf(object) : -1;
          textLines.set(object, doc.lineOf(item >= 0 ? ['items', item] : []));
          objects.push(object);
        }
      }
      return objects;
    }
    return expandLists(Array.isArray(input) ? [...(input as readonly object[])] : [input]);
  }

  private keysOf(input: RegistrationInput | RegistrationRef | readonly RegistrationRef[]): string[] {
    const list = Array.isArray(input) ? input : [input];
    if (list.every((x) => isRecord(x) && typeof x.kind === 'string' && typeof x.name === 'string' && !('metadata' in x))) {
      return (list as RegistrationRef[]).map((r) => refKey({ kind: r.kind, namespace: r.namespace ?? 'default', name: r.name }));
    }
    return this.objectsOf(input as RegistrationInput).map((o) => refOf(o)).filter((r): r is RegistrationRef => r !== undefined).map(refKey);
  }

  private scheduleLeaseSweep(): void {
    clearTimeout(this.leaseTimer);
    const next = Math.min(...[...this.registrations.values()].map((r) => r.expiresAt ?? Infinity));
    if (!Number.isFinite(next) || this.closed) return;
    this.leaseTimer = setTimeout(() => {
      void this.serialise(async () => {
        const started = performance.now();
        const now = this.options.now();
        const expired = [...this.registrations.values()].filter((r) => r.expiresAt !== undefined && r.expiresAt <= now);
        for (const r of expired) this.registrations.delete(r.key);
        if (expired.length) {
          this.options.log.info({ expired: expired.map((r) => r.key) }, 'registrations expired');
          await this.rebuild('lease', started, []);
        }
        this.scheduleLeaseSweep();
      }).catch(() => {});
    }, Math.max(0, next - this.options.now()));
    this.leaseTimer.unref?.();
  }

  /** Builds the next snapshot from registrations (which win) and files, swaps it, logs one line. */
  /** Built in slices (queries keep being answered between them); rebuilds are serialised, so nothing else changes meanwhile. */
  private async rebuild(reason: string, started: number, rejected: readonly string[]): Promise<string[]> {
    const newestFirst = [...this.registrations.values()].sort((a, b) => b.seq - a.seq);
    const inputs = [...newestFirst.map((r) => r.input), ...[...this.served.values()].map((f) => f.input)];
    const before = this.ref.current();
    const built = await buildRegistryInSlices(inputs, {
      clusterDomain: this.options.clusterDomain,
      ttl: this.options.ttl,
      serviceCidrs: this.options.serviceCidrs,
      podCidrs: this.options.podCidrs,
      serial: this.nextSerial(),
    });
    for (const d of built.diagnostics) this.logDiagnostic(d);
    this.ref.swap(built.registry);
    this.options.onRebuild?.('success', built.registry);
    const diff = diffRegistries(before, built.registry);
    this.options.log.info(
      {
        reason,
        durationMs: elapsed(started),
        files: this.served.size,
        registrations: this.registrations.size,
        rejected,
        ...built.registry.counts,
        ...(diff.namespacesAdded.length ? { namespacesAdded: diff.namespacesAdded } : {}),
        ...(diff.namespacesRemoved.length ? { namespacesRemoved: diff.namespacesRemoved } : {}),
        ...(diff.servicesAdded.length ? { servicesAdded: diff.servicesAdded.slice(0, 50) } : {}),
        ...(diff.servicesRemoved.length ? { servicesRemoved: diff.servicesRemoved.slice(0, 50) } : {}),
        ...(diff.servicesChanged.length ? { servicesChanged: diff.servicesChanged.slice(0, 50) } : {}),
        endpointsDelta: diff.endpointsAfter - diff.endpointsBefore,
        ...(diff.clusterIpsAllocated.length ? { clusterIpsAllocated: diff.clusterIpsAllocated.slice(0, 50) } : {}),
        ...(built.registry.derived.simulatedPods ? { simulatedPods: built.registry.derived.simulatedPods } : {}),
      },
      reason === 'load' ? 'registry loaded' : 'registry rebuilt',
    );
    return built.diagnostics.map(formatDiagnostic);
  }

  /** A serial that grows with every content change. */
  private nextSerial(): number {
    this.lastSerial = Math.max(this.lastSerial + 1, Math.floor(this.options.now() / 1000));
    return this.lastSerial >>> 0;
  }

  private logDiagnostic(d: Diagnostic): void {
    const fields = { file: d.file, line: d.line, field: d.field };
    if (d.severity === 'error') this.options.log.error(fields, formatDiagnostic(d));
    else this.options.log.warn(fields, formatDiagnostic(d));
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** The line each object parsed from a text body started on, for diagnostics without a field line. */
const textLines = new WeakMap<object, number>();

function expandLists(values: readonly unknown[]): object[] {
  const out: object[] = [];
  for (const value of values) {
    if (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -4);
      out.push(...expandLists(value.items.map((item) => (itemKind && isRecord(item) && !item.kind ? { ...item, kind: itemKind } : item))));
    } else if (value !== null && value !== undefined) out.push(value as object);
  }
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
  if ('namespace' in object || 'services' in object || 'pods' in object) {
    return { kind: 'Native', namespace: typeof object.namespace === 'string' ? object.namespace : 'default', name: '-' };
  }
  return undefined;
}

function refKey(ref: RegistrationRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`.toLowerCase();
}
