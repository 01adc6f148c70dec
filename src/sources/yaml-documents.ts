/**
 * The one yaml import: registry text → documents with line numbers. JSON takes the JSON.parse fast
 * path (a 29 MB kubectl dump parses in well under a second) and computes lines only on error.
 */
import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { FieldPath, SourceDocument } from './source-document.js';

/** Texts from this size on are split (kubectl Lists) and may be parsed off the main thread. */
export const LARGE_TEXT = 1_000_000;

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

/**
 * A `kind: List` as kubectl prints it (`items:` then `- ` items at column 0) split into one text per
 * item, with the line it starts on. The yaml parser is linear but slow per node, and a 10,000-item
 * dump as one document peaks at several hundred MB; item by item it stays small. Anything that
 * does not look exactly like that layout returns undefined and is parsed whole.
 */
export function splitKubectlList(text: string): { text: string; firstLine: number }[] | undefined {
  if (text.length < LARGE_TEXT || !/^kind: List\s*$/m.test(text)) return undefined;
  const lines = text.split('\n');
  const start = lines.indexOf('items:');
  if (start < 0) return undefined;
  const items: { text: string; firstLine: number }[] = [];
  let current: string[] | undefined;
  let firstLine = 0;
  const flush = () => {
    if (current) items.push({ text: current.join('\n'), firstLine });
  };
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('- ')) {
      flush();
      current = [`  ${line.slice(2)}`.slice(2)];
      firstLine = i + 1;
    } else if (line.startsWith('  ') || line.trim() === '' || line.startsWith('#')) {
      if (!current) return undefined;
      current.push(line.slice(2));
    } else {
      // A top-level key after the items (kind: List, metadata:): the block has ended.
      if (!/^[A-Za-z]+:/.test(line)) return undefined;
      break;
    }
  }
  flush();
  return items.length > 0 ? items : undefined;
}

function parseYaml(file: string, text: string): ParsedText {
  const items = splitKubectlList(text);
  if (!items) return parseYamlText(file, text, 0);
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const item of items) {
    const parsed = parseYamlText(file, item.text, item.firstLine - 1);
    documents.push(...parsed.documents);
    diagnostics.push(...parsed.diagnostics);
  }
  return { documents, diagnostics };
}

export function parseYamlText(file: string, text: string, lineOffset: number): ParsedText {
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
    const lineAt = (offset: number) => lineCounter.linePos(offset).line + lineOffset;
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
