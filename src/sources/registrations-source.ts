/**
 * The registrations source: objects registered through the library (apply/remove/replace) and the
 * HTTP /v1 API, each keyed `kind/namespace/name`, optionally with a lease. A registration is
 * validated whole before anything changes, and resolves once queries see it. A native document is
 * split per namespace, service and pod (the keys the files source uses), so registering one
 * service never removes another it does not name.
 */
import type { RegistryInput } from '../registry/model.js';
import type { ObjectKey, RegistryLog, RegistrySink, RegistrySource } from '../registry/registry-source.js';
import { RegistryError } from '../errors.js';
import { isRecord } from './field-checks.js';
import { PreparedRegistrations, prepareRegistrations, RegistrationKeys, refKey, registrationKeys, type RegistrationInput, type RegistrationRef } from './registration-objects.js';

export { PreparedRegistrations, RegistrationKeys, type PreparedRegistration, type RegistrationInput, type RegistrationRef } from './registration-objects.js';

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
  apply(input: RegistrationInput | PreparedRegistrations, options: RegistrationOptions = {}): Promise<Registration[]> {
    return this.register('apply', input, options);
  }

  /** Replaces every registration with `input` (empty input clears them all). */
  replace(input: RegistrationInput | PreparedRegistrations, options: RegistrationOptions = {}): Promise<Registration[]> {
    return this.register('replace', input, options);
  }

  /** Removes registrations named by refs or by the same objects/text that registered them. */
  async remove(input: RegistrationInput | RegistrationKeys | RegistrationRef | readonly RegistrationRef[]): Promise<string[]> {
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

  private async register(mode: 'apply' | 'replace', input: RegistrationInput | PreparedRegistrations, options: RegistrationOptions): Promise<Registration[]> {
    const leaseSeconds = options.leaseSeconds;
    if (leaseSeconds !== undefined && !(Number.isFinite(leaseSeconds) && leaseSeconds > 0 && leaseSeconds <= MAX_LEASE_SECONDS)) {
      throw new RegistryError('registration rejected', [
        `lease: ${String(leaseSeconds)} is not a number of seconds between 0 and ${MAX_LEASE_SECONDS} (7 days)`,
      ]);
    }
    // Throws before anything changes; a large HTTP body comes prepared by the body worker.
    const prepared = input instanceof PreparedRegistrations ? input.items : prepareRegistrations(input);
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
  private keysOf(input: RegistrationInput | RegistrationKeys | RegistrationRef | readonly RegistrationRef[]): string[] {
    if (input instanceof RegistrationKeys) return [...input.keys];
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
    return registrationKeys(input as RegistrationInput);
  }
}
