/** The fs edge of the sources: finds registry files under --zones paths and converts each one. */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../registry/diagnostics.js';
import { emptyRegistryInput, type RegistryInput } from '../registry/model.js';
import { OFF_THREAD_BYTES, parseOffThread } from './off-thread-parse.js';
import { convertRegistryText } from './registry-documents.js';

/** One file as the reader returns it: its content hash, what it contributes, and its problems. */
export interface ZoneFileResult {
  readonly file: string;
  readonly contentHash: string;
  readonly input: RegistryInput;
  readonly diagnostics: readonly Diagnostic[];
  /** Unreadable, refused or a syntax error: keep the whole file's last good content. False when only single objects are invalid. */
  readonly wholeFileError: boolean;
}

const REGISTRY_FILE = /\.(ya?ml|json)$/i;

/** Default of `maxRegistryBytes` (`--max-registry-bytes`): a bigger file is refused, not parsed. */
export const DEFAULT_MAX_REGISTRY_BYTES = 64 * 1024 * 1024;

export interface ReadOptions {
  /** Largest file read, bytes (default 64 MiB): a registry file that big is already ~250k services. */
  readonly maxBytes?: number;
}

/** Every `.yaml`, `.yml` and `.json` file below the paths (a path may also be one file), sorted. */
export async function findZoneFiles(paths: readonly string[]): Promise<{ files: string[]; missing: string[] }> {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      missing.push(path);
      continue;
    }
    if (info.isFile() || info.isFIFO()) files.add(path);
    else if (info.isDirectory()) for (const file of await walk(path)) files.add(file);
  }
  return { files: [...files].sort(), missing };
}

/** Walks a directory. Dot-entries are skipped: editors' temp files, and the `..data` internals of a
 * Kubernetes ConfigMap mount, whose visible names are symlinks we follow instead. */
async function walk(dir: string, depth = 0): Promise<string[]> {
  if (depth > 16) return [];
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    let info;
    try {
      info = await stat(full);
    } catch {
      continue; // a dangling symlink, or a file that vanished mid-walk
    }
    if (info.isDirectory()) out.push(...(await walk(full, depth + 1)));
    else if ((info.isFile() || info.isFIFO()) && REGISTRY_FILE.test(name)) out.push(full);
  }
  return out;
}

/**
 * Reads and converts every registry file; problems are diagnostics, never exceptions. A pipe
 * (`--zones <(kubectl get svc -A -o yaml)`) can be read only once: pass `pipes` to keep what was
 * read, and later reads reuse it.
 */
export async function readZones(paths: readonly string[], pipes?: Map<string, ZoneFileResult>, options: ReadOptions = {}): Promise<ZoneFileResult[]> {
  const { files, missing } = await findZoneFiles(paths);
  const results: ZoneFileResult[] = missing.map((file) => ({
    file,
    contentHash: '',
    input: emptyRegistryInput(),
    diagnostics: [{ severity: 'error', file, line: 0, field: '', message: 'no such file or directory' }],
    wholeFileError: true,
  }));
  for (const file of files) {
    const kept = pipes?.get(file);
    if (kept) {
      results.push(kept);
      continue;
    }
    const result = await readZoneFile(file, options);
    if (pipes && (await stat(file).catch(() => undefined))?.isFIFO()) pipes.set(file, result);
    results.push(result);
  }
  return results;
}

/**
 * Reads and converts one file. Files of OFF_THREAD_BYTES and more are hashed, parsed and converted
 * in a worker thread; a file over `maxBytes` (or a pipe that sends more) is refused unread.
 */
export async function readZoneFile(file: string, options: ReadOptions = {}): Promise<ZoneFileResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_REGISTRY_BYTES;
  const refused = (message: string): ZoneFileResult => ({
    file,
    contentHash: '',
    input: emptyRegistryInput(),
    diagnostics: [{ severity: 'error', file, line: 0, field: '', message }],
    wholeFileError: true,
  });
  let bytes: Buffer | undefined;
  try {
    bytes = await readCapped(file, maxBytes);
  } catch (error) {
    return refused(`cannot read: ${(error as Error).message}`);
  }
  if (!bytes) return refused(`larger than the ${formatBytes(maxBytes)} limit (--max-registry-bytes); not loaded`);
  if (bytes.length >= OFF_THREAD_BYTES) {
    const parsed = await parseOffThread(file, bytes);
    if (parsed) return { file, contentHash: parsed.contentHash, input: parsed.input, diagnostics: parsed.diagnostics, wholeFileError: parsed.syntaxError };
  }
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  const converted = convertRegistryText(file, bytes.toString('utf8'));
  return { file, contentHash, input: converted.input, diagnostics: converted.diagnostics, wholeFileError: converted.syntaxError };
}

/** The whole file, or undefined when it holds more than `maxBytes` (checked while reading: pipes have no size). */
async function readCapped(file: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(file, 'r');
  try {
    const info = await handle.stat();
    if (info.isFile() && info.size > maxBytes) return undefined;
    // One buffer of the announced size, so it can be handed to a worker whole; grown only if the
    // file turns out longer (a pipe, or a file still being written).
    let buffer = Buffer.allocUnsafeSlow(info.isFile() ? info.size : 64 * 1024);
    let length = 0;
    const probe = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const room = buffer.length - length;
      const target = room > 0 ? buffer : probe;
      const { bytesRead } = await handle.read(target, room > 0 ? length : 0, room > 0 ? room : probe.length, null);
      if (bytesRead === 0) break;
      if (target === probe) {
        if (length + bytesRead > maxBytes) return undefined;
        const bigger = Buffer.allocUnsafeSlow(Math.min(Math.max(buffer.length * 2, length + bytesRead), maxBytes));
        buffer.copy(bigger, 0, 0, length);
        probe.copy(bigger, length, 0, bytesRead);
        buffer = bigger;
      }
      length += bytesRead;
      if (length > maxBytes) return undefined;
    }
    return length === buffer.length ? buffer : buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
