/**
 * The one yaml import: registry text → documents with line numbers. JSON takes the JSON.parse fast
 * path (a 29 MB kubectl dump parses in well under a second) and computes lines only on error.
 */
import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { FieldPath, SourceDocument } from './source-document.js';

/** Caps alias expansion so a "billion laughs" file is an error, not an outage. */
const MAX_ALIAS_COUNT = 100;

export interface ParsedText {
  readonly documents: readonly SourceDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

export function parseRegistryText(file: string, text: string): ParsedText {
  if (/\.json$/i.test(file) || /^\s*[[{]/.test(text.slice(0, 64)) && looksLikeJson(text)) {
    try {
      const value: unknown = JSON.parse(text);
      let located: SourceDocument | undefined;
      const locate = (): SourceDocument => (located ??= parseYaml(file, text).documents[0] ?? { file, value, lineOf: () => 1 });
      return { documents: [{ file, value, lineOf: (path) => locate().lineOf(path) }], diagnostics: [] };
    } catch (error) {
      if (/\.json$/i.test(file)) return { documents: [], diagnostics: [jsonError(file, text, error)] };
    }
  }
  return parseYaml(file, text);
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trimEnd();
  return trimmed.endsWith('}') || trimmed.endsWith(']');
}

function jsonError(file: string, text: string, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const at = /position (\d+)/.exec(message);
  const line = at ? text.slice(0, Number(at[1])).split('\n').length : (/line (\d+)/.exec(message)?.[1] ?? '1');
  return { severity: 'error', file, line: Number(line), field: '', message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}` };
}

function parseYaml(file: string, text: string): ParsedText {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const documents: SourceDocument[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[];
  } catch (error) {
    return { documents: [], diagnostics: [{ severity: 'error', file, line: 1, field: '', message: `invalid YAML: ${(error as Error).message}` }] };
  }
  if (!Array.isArray(docs)) docs = [docs];
  for (const doc of docs) {
    const lineAt = (offset: number) => lineCounter.linePos(offset).line;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        diagnostics.push({ severity: 'error', file, line: lineAt(e.pos[0]), field: '', message: `invalid YAML: ${firstLine(e.message)}` });
      }
      continue;
    }
    if (doc.contents === null) continue; // an empty document between `---` separators
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      diagnostics.push({ severity: 'error', file, line: lineAt(doc.range[0]), field: '', message: `invalid YAML: ${firstLine((error as Error).message)}` });
      continue;
    }
    const docStart = lineAt(doc.contents?.range?.[0] ?? doc.range[0]);
    documents.push({
      file,
      value,
      lineOf(path: FieldPath): number {
        for (let n = path.length; n >= 0; n--) {
          const node = doc.getIn(path.slice(0, n), true);
          if (isNode(node) && node.range) return lineAt(node.range[0]);
        }
        return docStart;
      },
    });
  }
  return { documents, diagnostics };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
