/** The fs edge of the sources: finds registry files under --zones paths and converts each one. */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ZoneFileResult } from '../registry/zone-file-set.js';
import { emptyRegistryInput } from '../registry/model.js';
import { convertRegistryText } from './registry-documents.js';
import { parseLargeListInWorkers } from './parallel-parse.js';
import { LARGE_TEXT } from './yaml-documents.js';

const REGISTRY_FILE = /\.(ya?ml|json)$/i;

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
export async function readZones(paths: readonly string[], pipes?: Map<string, ZoneFileResult>): Promise<ZoneFileResult[]> {
  const { files, missing } = await findZoneFiles(paths);
  const results: ZoneFileResult[] = missing.map((file) => ({
    file,
    contentHash: '',
    input: emptyRegistryInput(),
    diagnostics: [{ severity: 'error', file, line: 0, field: '', message: 'no such file or directory' }],
  }));
  for (const file of files) {
    const kept = pipes?.get(file);
    if (kept) {
      results.push(kept);
      continue;
    }
    const result = await readZoneFile(file);
    if (pipes && (await stat(file).catch(() => undefined))?.isFIFO()) pipes.set(file, result);
    results.push(result);
  }
  return results;
}

export async function readZoneFile(file: string): Promise<ZoneFileResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { file, contentHash: '', input: emptyRegistryInput(), diagnostics: [{ severity: 'error', file, line: 0, field: '', message: `cannot read: ${(error as Error).message}` }] };
  }
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  const converted = (text.length >= LARGE_TEXT && !/\.json$/i.test(file) ? await parseLargeListInWorkers(file, text) : undefined) ?? convertRegistryText(file, text);
  return { file, contentHash, input: converted.input, diagnostics: converted.diagnostics };
}
