/**
 * The files source: the --zones files and directories as keyed objects. Each object keeps its own
 * last good version; a file with a syntax error keeps all of its last good content; a file is read
 * only once it is stable (size and mtime unchanged across the debounce), never mid-write; reload
 * requests (SIGHUP, the watcher, the API) coalesce into at most one running and one pending.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import type { ObjectKey, RegistryLog, RegistrySink, RegistrySource, SourceEntry } from '../registry/registry-source.js';
import { RegistryError } from '../errors.js';
import { convertKeyedDocuments, type KeyedDocuments } from './keyed-objects.js';
import { keyedFromMergedSteps } from './merged-objects.js';
import { runInSlices } from '../registry/build-in-slices.js';
import { OFF_THREAD_BYTES } from './off-thread-parse.js';
import { parseRegistryText } from './yaml-documents.js';
import { DEFAULT_MAX_REGISTRY_BYTES, findZoneFiles, readZoneFile } from './zones-reader.js';
import { watchZones, type ZonesWatcher } from './zones-watcher.js';

export interface FilesSourceOptions {
  readonly paths: readonly string[];
  /** Start-up fails on any error (including a service defined in two files). */
  readonly strict: boolean;
  /** Watch the paths and reload on change. */
  readonly watch: boolean;
  /** Largest file read, bytes (--max-registry-bytes); a bigger one is refused and keeps its last good content. */
  readonly maxRegistryBytes?: number;
  /** Quiet time a file must keep its size and mtime before it is read, ms. Default 100. */
  readonly debounceMs?: number;
  readonly log?: RegistryLog;
  /** Told about each reload pass that ran: 'failure' when it found errors. */
  readonly onReload?: (result: 'success' | 'failure') => void;
  /** Waits between stability checks; tests pass one that writes to the file meanwhile. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReloadReport {
  /** Something pushed to the publisher changed. */
  readonly changed: boolean;
  readonly durationMs: number;
  /** Every current problem, `file:line: field: message`. */
  readonly diagnostics: readonly string[];
  /** Files whose last good content (or some objects' last good versions) keep serving. */
  readonly keptLastGood: readonly string[];
}

/** One object version this source serves. */
interface GoodObject {
  readonly fingerprint: string;
  readonly input: RegistryInput;
  /** Read lazily: only a duplicate's diagnostic needs it. */
  readonly line: number;
}

interface FileState {
  readonly signature: string;
  readonly contentHash: string;
  /** The last good version of each of the file's objects, in file order. */
  readonly good: ReadonlyMap<ObjectKey, GoodObject>;
  readonly diagnostics: readonly Diagnostic[];
  /** A pipe (`--zones <(kubectl get …)`) can be read once; its content is kept. */
  readonly fifo: boolean;
}

/** Rounds of the debounce a file may keep changing before this pass gives up on it (retried later). */
const MAX_STABILITY_ROUNDS = 50;

export class FilesSource implements RegistrySource {
  readonly id = 'files';
  private sink: RegistrySink | undefined;
  private files = new Map<string, FileState>();
  /** What was pushed: key → file and fingerprint. */
  private pushed = new Map<ObjectKey, { file: string; fingerprint: string }>();
  private current: Promise<ReloadReport> | undefined;
  private next: Promise<ReloadReport> | undefined;
  private watcher: ZonesWatcher | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;
  private passes = 0;
  private lastReload: { at: number; durationMs: number; keptLastGood: readonly string[] } | undefined;
  private readonly debounceMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: FilesSourceOptions) {
    this.debounceMs = options.debounceMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Reads every file, pushes the objects, reports synced; throws RegistryError under --strict. */
  async start(sink: RegistrySink): Promise<void> {
    this.sink = sink;
    const report = await this.reload();
    if (this.options.strict && report.diagnostics.length > 0) {
      const errors = this.diagnostics().filter((d) => d.severity === 'error').map(formatDiagnostic);
      if (errors.length > 0) throw new RegistryError('registry has errors (--strict)', errors);
    }
    sink.synced();
    if (this.options.watch && this.options.paths.length > 0 && !this.stopped) {
      this.watcher = await watchZones(this.options.paths, () => this.requestReload(), { debounceMs: this.debounceMs });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.retryTimer);
    await this.current?.catch(() => undefined);
  }

  /**
   * Re-reads the files. Coalesced: while a pass runs, every request shares one pending pass, which
   * starts when the running one ends and sees everything written before it started.
   */
  reload(): Promise<ReloadReport> {
    if (!this.current) {
      this.current = this.pass().finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.reload();
      });
    return this.next;
  }

  /** Reload passes run so far (tests assert coalescing with it). */
  stats(): { passes: number } {
    return { passes: this.passes };
  }

  /** Every current problem of every file. */
  /** For GET /v1/ui/sources: the files read, the last reload pass, and every current problem (`file:line: field: message`). */
  status(): { paths: readonly string[]; files: number; lastReloadAt: number | undefined; lastReloadMs: number | undefined; problems: { severity: string; text: string; file: string; line: number }[]; keptLastGood: readonly string[] } {
    const problems = this.diagnostics().map((d) => ({ severity: d.severity, text: formatDiagnostic(d), file: d.file, line: d.line }));
    return { paths: this.options.paths, files: this.files.size, lastReloadAt: this.lastReload?.at, lastReloadMs: this.lastReload?.durationMs, problems, keptLastGood: [...(this.lastReload?.keptLastGood ?? [])] };
  }

  diagnostics(): Diagnostic[] {
    return [...this.files.values()].flatMap((f) => f.diagnostics).concat(this.extraDiagnostics);
  }

  private extraDiagnostics: Diagnostic[] = [];

  private requestReload(): void {
    this.reload().catch((error: unknown) => this.options.log?.error({ err: error }, 'reload failed; the last good registry keeps serving'));
  }

  private async pass(): Promise<ReloadReport> {
    this.passes++;
    const started = performance.now();
    const { files, missing } = await findZoneFiles(this.options.paths);
    const missingDiagnostics: Diagnostic[] = missing.map((file) => ({ severity: 'error', file, line: 0, field: '', message: 'no such file or directory' }));
    const next = new Map<string, FileState>();
    const unstable = new Set<string>();

    // Which files may have changed: a new (size, mtime, ctime, inode) signature.
    let candidates: { file: string; signature: string; settled: boolean }[] = [];
    for (const file of files) {
      const before = this.files.get(file);
      if (before?.fifo) {
        next.set(file, before);
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info) continue; // gone since it was listed
      const signature = signatureOf(info);
      if (before && before.signature === signature) next.set(file, before);
      // A file seen for the first time and last written longer ago than the debounce is settled
      // already (start-up needs no wait). A known file that changed must hold still for a whole
      // debounce: a truncating writer (open with O_TRUNC, then write) may leave the old mtime on
      // the empty file, so its mtime alone cannot tell.
      else candidates.push({ file, signature, settled: info.isFIFO() || (!before && Date.now() - info.mtimeMs >= this.debounceMs) });
    }

    // Stable = size, mtime, ctime and inode unchanged across the debounce.
    for (let round = 0; candidates.some((c) => !c.settled); round++) {
      if (round === MAX_STABILITY_ROUNDS) {
        for (const c of candidates) if (!c.settled) unstable.add(c.file);
        break;
      }
      await this.sleep(this.debounceMs);
      candidates = await Promise.all(
        candidates.map(async (c) => {
          if (c.settled) return c;
          const info = await stat(c.file).catch(() => undefined);
          if (!info) return { ...c, settled: true }; // deleted: the read below finds out
          const signature = signatureOf(info);
          return { file: c.file, signature, settled: signature === c.signature };
        }),
      );
    }

    for (const c of candidates) {
      const before = this.files.get(c.file);
      if (unstable.has(c.file)) {
        if (before) next.set(c.file, before);
        continue;
      }
      const read = await this.readFile(c.file, c.signature, before);
      if (read === 'unstable') {
        unstable.add(c.file);
        if (before) next.set(c.file, before);
      } else if (read) next.set(c.file, read);
    }

    this.files = next;
    const changed = this.push(missingDiagnostics);
    const diagnostics = this.diagnostics();
    const keptLastGood = this.feedback(diagnostics);
    if (unstable.size > 0 && !this.stopped) {
      this.options.log?.info({ files: [...unstable].slice(0, 10), count: unstable.size }, 'files still being written; reading them again shortly');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.requestReload(), this.debounceMs);
      this.retryTimer.unref?.();
    }
    if (changed) await this.sink?.published();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    this.lastReload = { at: Date.now(), durationMs, keptLastGood };
    return {
      changed,
      durationMs,
      diagnostics: diagnostics.map(formatDiagnostic),
      keptLastGood,
    };
  }

  /** Reads, parses and converts one file; 'unstable' when it changed while being read. */
  private async readFile(file: string, signature: string, before: FileState | undefined): Promise<FileState | 'unstable' | undefined> {
    const maxBytes = this.options.maxRegistryBytes ?? DEFAULT_MAX_REGISTRY_BYTES;
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined; // deleted meanwhile
    let keyed: KeyedDocuments;
    let syntax: readonly Diagnostic[] = [];
    let contentHash: string;
    if (info.isFIFO() || info.size >= OFF_THREAD_BYTES || info.size > maxBytes) {
      // Large files (and pipes) are read capped and parsed in a worker by the zones reader, as one
      // merged input: per-object keys; a syntax error makes the file one unit for errors.
      const result = await readZoneFile(file, { maxBytes });
      const after = await stat(file).catch(() => undefined);
      if (!info.isFIFO() && (!after || signatureOf(after) !== signature)) return 'unstable';
      if (hasErrors(result.diagnostics) && result.contentHash === '') {
        return { signature, contentHash: '', good: before?.good ?? new Map(), diagnostics: result.diagnostics, fifo: info.isFIFO() };
      }
      contentHash = result.contentHash;
      if (before && before.contentHash === contentHash) return { ...before, signature };
      // In slices: the fingerprints of a large file's objects took a third of a second in one turn.
      keyed = await runInSlices(keyedFromMergedSteps(result.input, result.diagnostics, result.wholeFileError));
    } else {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // deleted meanwhile
        const d: Diagnostic = { severity: 'error', file, line: 0, field: '', message: `cannot read: ${(error as Error).message}` };
        return { signature: '', contentHash: '', good: before?.good ?? new Map(), diagnostics: [d], fifo: false };
      }
      const after = await stat(file).catch(() => undefined);
      if (!after || signatureOf(after) !== signature) return 'unstable';
      contentHash = createHash('sha256').update(bytes).digest('hex');
      if (before && before.contentHash === contentHash) return { ...before, signature };
      const parsed = parseRegistryText(file, bytes.toString('utf8'));
      syntax = parsed.diagnostics;
      keyed = convertKeyedDocuments(parsed.documents);
    }
    const fifo = info.isFIFO();
    const diagnostics = [...syntax, ...keyed.diagnostics, ...keyed.objects.flatMap((o) => o.diagnostics)].sort((a, b) => a.line - b.line);
    if (hasErrors(syntax) || keyed.structural) {
      // A syntax error (or a broken structure) keeps the whole file's last good content.
      return { signature, contentHash, good: before?.good ?? new Map(), diagnostics, fifo };
    }
    const good = new Map<ObjectKey, GoodObject>();
    const local: Diagnostic[] = [];
    for (const o of keyed.objects) {
      const kept: GoodObject | undefined = o.input ? (o as GoodObject) : before?.good.get(o.key);
      if (!kept) continue; // new and invalid: left out
      const first = good.get(o.key);
      if (first) {
        local.push(duplicate(o.key, file, o.line, file, first.line));
        continue;
      }
      good.set(o.key, kept);
    }
    if (keyed.unidentified && before) {
      // A broken object without a usable name may be any of the missing ones: keep those as they were.
      for (const [key, object] of before.good) if (!good.has(key)) good.set(key, object);
    }
    return { signature, contentHash, good, diagnostics: [...diagnostics, ...local], fifo };
  }

  /** Pushes what changed since the last pass; the first definition of a key (file order) wins. */
  private push(missing: readonly Diagnostic[]): boolean {
    const desired = new Map<ObjectKey, { file: string; object: GoodObject }>();
    const duplicates: Diagnostic[] = [];
    for (const [file, state] of [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [key, object] of state.good) {
        const first = desired.get(key);
        if (!first) desired.set(key, { file, object });
        else if (!key.startsWith('namespace/')) duplicates.push(duplicate(key, file, object.line, first.file, first.object.line));
      }
    }
    this.extraDiagnostics = [...missing, ...duplicates];
    let changed = false;
    const sink = this.sink;
    const first = this.pushed.size === 0;
    const entries: SourceEntry[] = [];
    for (const [key, { file, object }] of desired) {
      const was = this.pushed.get(key);
      if (was && was.file === file && was.fingerprint === object.fingerprint) continue;
      this.pushed.set(key, { file, fingerprint: object.fingerprint });
      changed = true;
      if (first) entries.push({ key, input: object.input });
      else sink?.upsert(key, object.input);
    }
    for (const key of [...this.pushed.keys()]) {
      if (desired.has(key)) continue;
      this.pushed.delete(key);
      changed = true;
      sink?.remove(key);
    }
    if (first && entries.length > 0) sink?.replaceAll(entries);
    sink?.report(this.diagnostics());
    return changed;
  }

  /** Says what keeps serving after a bad save, and that it recovered after a good one. */
  private feedback(diagnostics: readonly Diagnostic[]): string[] {
    const failing = [...new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
    const log = this.options.log;
    for (const d of diagnostics) {
      const fields = { file: d.file, line: d.line, field: d.field };
      if (d.severity === 'error') log?.error(fields, formatDiagnostic(d));
      else log?.warn(fields, formatDiagnostic(d));
    }
    const kept = failing.filter((f) => (this.files.get(f)?.good.size ?? 0) > 0);
    if (failing.length > 0) {
      log?.warn(
        { files: failing.slice(0, 10), errors: diagnostics.filter((d) => d.severity === 'error').length, keptLastGood: kept.length },
        'registry has errors; the last good version of each affected object keeps serving',
      );
    } else if (this.failing) {
      log?.info({ files: this.files.size }, 'registry recovered: no errors, every file served as written');
    }
    this.failing = failing.length > 0;
    this.options.onReload?.(failing.length > 0 ? 'failure' : 'success');
    return kept;
  }
}

function signatureOf(info: Stats): string {
  return `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
}

function duplicate(key: ObjectKey, file: string, line: number, firstFile: string, firstLine: number): Diagnostic {
  const [kind, namespace, name] = key.split('/') as [string, string, string];
  const what = kind === 'service' ? `service "${name}" in namespace "${namespace}"` : `${kind} "${name}"${namespace ? ` in namespace "${namespace}"` : ''}`;
  return {
    severity: kind === 'service' ? 'error' : 'warning',
    file,
    line,
    field: 'metadata.name',
    message: `${what} is already defined at ${firstFile}:${firstLine}${kind === 'service' ? '' : '; the first definition is served'}`,
  };
}
