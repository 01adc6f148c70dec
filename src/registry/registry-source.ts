/**
 * The contract between registry sources (the zones files, registrations, the Kubernetes API) and the
 * one publisher that builds and swaps snapshots. A source turns the outside world into keyed slim
 * objects and pushes changes; it never builds a registry itself (CoreDNS informers + HasSynced).
 */
import type { Diagnostic } from './diagnostics.js';
import type { RegistryInput } from './model.js';

/**
 * `kind/namespace/name`, lowercase (`service/shop/web`, `endpointslice/shop/web-abc12`,
 * `namespace//shop`). "Last good" and "which source wins" are decided per key, never per file.
 */
export type ObjectKey = string;

/** One keyed object, already reduced to the slim model (a RegistryInput holding just that object). */
export interface SourceEntry {
  readonly key: ObjectKey;
  readonly input: RegistryInput;
}

/** What a source pushes into. Calls are cheap; the publisher coalesces bursts into few builds. */
export interface RegistrySink {
  /** Adds or replaces one object. */
  upsert(key: ObjectKey, input: RegistryInput): void;
  /** Removes one object; unknown keys are ignored. */
  remove(key: ObjectKey): void;
  /** Replaces every object of this source (a relist after 410 Gone, a directory rescan). */
  replaceAll(entries: Iterable<SourceEntry>): void;
  /** The source's current problems (replacing what it reported before), for logs, `check` and metrics. */
  report(diagnostics: readonly Diagnostic[]): void;
  /** The source has delivered its initial state; readiness waits for every source's first `synced()`. */
  synced(): void;
  /**
   * Resolves once every change pushed so far is in the served snapshot (several pushes share one
   * build), or at once while some source has not synced yet (the first snapshot will hold them).
   */
  published(): Promise<void>;
}

/** A source as the publisher runs it. Precedence between sources is the publisher's ordered id list. */
/** The logging sources and the publisher need (pino's shape); the registry layer imports no logger. */
export interface RegistryLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface RegistrySource {
  /** Stable id used in the precedence list and in logs: `registrations`, `files`, `kubernetes`. */
  readonly id: string;
  /** Starts pushing into `sink`; resolves once started (not necessarily synced). */
  start(sink: RegistrySink): Promise<void>;
  /** Stops watching and releases timers and sockets. */
  stop(): Promise<void>;
}

/** `kind/namespace/name`, lowercase; cluster-scoped kinds (Namespace) have an empty namespace. */
export function objectKey(kind: string, namespace: string, name: string): ObjectKey {
  return `${kind}/${namespace}/${name}`.toLowerCase();
}
