/**
 * The set of registry files currently served. A file that parses and validates replaces its previous
 * content; a file that turns bad keeps its last good content (and its error is reported); a file
 * that is gone is dropped. Pure: the caller reads the files.
 */
import type { Diagnostic } from './diagnostics.js';
import { hasErrors } from './diagnostics.js';
import type { RegistryInput } from './model.js';

/** One file as the zones reader returns it. */
export interface ZoneFileResult {
  readonly file: string;
  readonly contentHash: string;
  readonly input: RegistryInput;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ServedFile {
  readonly file: string;
  readonly contentHash: string;
  readonly input: RegistryInput;
}

export interface ZoneFileSetUpdate {
  readonly served: ReadonlyMap<string, ServedFile>;
  /** True when the served content differs from before (a rebuild is needed). */
  readonly changed: boolean;
  /** Files with errors that are not served at their new content. */
  readonly rejected: readonly string[];
  /** Rejected files that still serve their last good content. */
  readonly keptLastGood: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

export function updateZoneFileSet(previous: ReadonlyMap<string, ServedFile>, results: readonly ZoneFileResult[]): ZoneFileSetUpdate {
  const served = new Map<string, ServedFile>();
  const rejected: string[] = [];
  const keptLastGood: string[] = [];
  const diagnostics: Diagnostic[] = [];
  let changed = false;
  for (const result of results) {
    diagnostics.push(...result.diagnostics);
    const before = previous.get(result.file);
    if (hasErrors(result.diagnostics)) {
      rejected.push(result.file);
      if (before) {
        served.set(result.file, before);
        keptLastGood.push(result.file);
      }
      continue;
    }
    if (!before || before.contentHash !== result.contentHash) changed = true;
    served.set(result.file, { file: result.file, contentHash: result.contentHash, input: result.input });
  }
  for (const file of previous.keys()) if (!served.has(file)) changed = true;
  return { served, changed, rejected, keptLastGood, diagnostics };
}
