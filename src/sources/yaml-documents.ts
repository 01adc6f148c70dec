/**
 * The one yaml import: registry text → documents with line numbers, in time linear in the text.
 * JSON takes the JSON.parse fast path and finds lines with a one-pass outline; a large kubectl List
 * in YAML is parsed item by item; duplicate keys are found after parsing, one Set per mapping
 * (the yaml package's own check compares each key with every earlier one: quadratic).
 */
import { LineCounter, isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic } from '../registry/diagnostics.js';
import { findJsonSyntaxError, outlineJson, splitJsonList, type JsonItemRange, type JsonOutline } from './json-outline.js';
import type { FieldPath, SourceDocument } from './source-document.js';

/** kubectl Lists from this size on are parsed item by item. */
const SPLIT_LIST_TEXT = 256 * 1024;

/** Caps alias expansion so a "billion laughs" file is an error, not an outage. */
const MAX_ALIAS_COUNT = 100;

/** A mapping with more keys than this gets a key index for line lookups (a 100k-service map). */
const INDEXED_MAP = 16;

export interface ParsedText {
  readonly documents: readonly SourceDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

/** All documents of a text (YAML, possibly multi-document, or JSON) with their diagnostics. */
export function parseRegistryText(file: string, text: string): ParsedText {
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const batch of parseRegistryBatches(file, text)) {
    for (const d of batch.documents) documents.push(d);
    for (const d of batch.diagnostics) diagnostics.push(d);
  }
  return { documents, diagnostics };
}

/**
 * The same, one batch at a time (a kubectl List item by item), so a caller can convert each batch
 * and let its parsed tree go before the next is parsed: memory stays near one item's tree.
 */
export function* parseRegistryBatches(file: string, text: string): Generator<ParsedText> {
  if (/\.json$/i.test(file) || (/^\s*[[{]/.test(text.slice(0, 64)) && looksLikeJson(text))) {
    const split = text.length >= SPLIT_LIST_TEXT ? jsonListItems(text) : undefined;
    if (split) {
      yield* parseJsonItems(file, text, split);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (/\.json$/i.test(file)) {
        yield { documents: [], diagnostics: [jsonError(file, text, error)] };
        return;
      }
      value = undefined;
    }
    if (value !== undefined) {
      yield { documents: [jsonDocument(file, text, value)], diagnostics: [] };
      return;
    }
  }
  const items = splitKubectlList(text);
  if (!items) {
    yield parseYamlText(file, text, 0);
    return;
  }
  for (const item of items) yield parseListItem(file, text.slice(item.start, item.end), item.firstLine);
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trimEnd();
  return trimmed.endsWith('}') || trimmed.endsWith(']');
}

/**
 * `file:line:col: invalid JSON: …`. V8's messages do not always say where (nor the same way across
 * versions), so the position and wording come from our own scan of the rejected text.
 */
function jsonError(file: string, text: string, error: unknown, within?: { readonly start: number; readonly end: number }): Diagnostic {
  const scanned = within ? findJsonSyntaxError(text.slice(within.start, within.end)) : findJsonSyntaxError(text);
  const found = scanned
    ? { offset: scanned.offset + (within?.start ?? 0), message: scanned.message }
    : { offset: within ? within.end : text.trimEnd().length, message: error instanceof Error ? error.message : String(error) };
  const offset = Math.min(found.offset, text.trimEnd().length);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { severity: 'error', file, line, column: offset - lineStart + 1, field: '', message: `invalid JSON: ${found.message}` };
}

/** The items of a large JSON `kind: List` with a valid envelope, or undefined to parse the text whole. */
function jsonListItems(text: string): readonly JsonItemRange[] | undefined {
  const split = splitJsonList(text);
  if (!split) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(split.envelope);
  } catch {
    return undefined;
  }
  const kind = typeof envelope === 'object' && envelope !== null ? (envelope as { kind?: unknown }).kind : undefined;
  return kind === 'List' ? split.items : undefined;
}

/**
 * A JSON kubectl List item by item: each item's tree is converted and dropped before the next is
 * parsed (one 12 MB tree alive at once costs more in garbage collection than the parse itself).
 * An item that does not parse is the file's syntax error, at its own line and column.
 */
function* parseJsonItems(file: string, text: string, items: readonly JsonItemRange[]): Generator<ParsedText> {
  for (const item of items) {
    const itemText = text.slice(item.start, item.end);
    let value: unknown;
    try {
      value = JSON.parse(itemText);
    } catch (error) {
      yield { documents: [], diagnostics: [jsonError(file, text, error, item)] };
      return;
    }
    yield { documents: [jsonItemDocument(file, itemText, item.line, value)], diagnostics: [] };
  }
}

/** One List item parsed from JSON: its own line; a field inside costs a parse of this item only. */
function jsonItemDocument(file: string, itemText: string, line: number, value: unknown): SourceDocument {
  let positions: SourceDocument | undefined;
  return {
    file,
    value,
    lineOf(path: FieldPath): number {
      if (path.length === 0) return line;
      positions ??= parseYamlText(file, itemText, line - 1).documents[0];
      return positions?.lineOf(path) ?? line;
    },
  };
}

/** A parsed JSON document. Lines come from the outline; a field inside an item costs a parse of that item only. */
function jsonDocument(file: string, text: string, value: unknown): SourceDocument {
  let outline: JsonOutline | undefined;
  const items = new Map<string, SourceDocument | undefined>();
  return {
    file,
    value,
    lineOf(path: FieldPath): number {
      outline ??= outlineJson(text);
      const top = path.slice(0, 2);
      let range = outline.range(top);
      if (!range && top.length === 2) range = outline.range(top.slice(0, 1));
      if (!range) return outline.position(text.search(/\S/) >= 0 ? text.search(/\S/) : 0).line;
      const line = outline.position(range[0]).line;
      if (path.length <= 2 || outline.range(top) === undefined) return line;
      // Deeper: parse just this value (JSON is YAML flow syntax) with its first line as the offset.
      const key = top.join('\0');
      if (!items.has(key)) items.set(key, parseYamlText(file, text.slice(range[0], range[1]), line - 1).documents[0]);
      return items.get(key)?.lineOf(path.slice(2)) ?? line;
    },
  };
}

/** Where each item of a kubectl List starts and ends, or undefined if the text is laid out otherwise. */
export interface ListItemRange {
  readonly start: number;
  readonly end: number;
  /** 1-based line of the item's `- `. */
  readonly firstLine: number;
}

/**
 * A `kind: List` as kubectl prints it (`items:` then `- ` items at column 0) split into one range
 * per item. Parsing item by item keeps memory near one item's tree. Anything that does not look
 * exactly like that layout returns undefined and is parsed whole.
 */
export function splitKubectlList(text: string): ListItemRange[] | undefined {
  if (text.length < SPLIT_LIST_TEXT || !/^kind: List\s*$/m.test(text)) return undefined;
  const header = /^items:[ \t]*\r?\n/m.exec(text);
  if (!header) return undefined;
  const blockStart = header.index + header[0].length;
  if (!text.startsWith('- ', blockStart)) return undefined;
  // The block ends at the first line that is not indented, blank, a comment or a new `- ` item.
  const after = /\n(?![ \t\r\n#]|- )/g;
  after.lastIndex = blockStart - 1;
  const tail = after.exec(text);
  const blockEnd = tail ? tail.index + 1 : text.length;
  // After the block only top-level keys (kind: List, metadata:) may follow; `---` means more documents.
  if (tail && !/^[A-Za-z]+:/.test(text.slice(blockEnd, blockEnd + 64))) return undefined;
  if (/^(---|\.\.\.)/m.test(text.slice(blockEnd))) return undefined;

  const items: ListItemRange[] = [];
  let line = countLines(text, 0, blockStart) + 1;
  let start = blockStart;
  while (start < blockEnd) {
    const next = text.indexOf('\n- ', start);
    const end = next < 0 || next + 1 >= blockEnd ? blockEnd : next + 1;
    items.push({ start, end, firstLine: line });
    line += countLines(text, start, end);
    start = end;
  }
  return items.length > 0 ? items : undefined;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** One `- item` of a List: parsed as a one-element sequence, returned as the element's document. */
function parseListItem(file: string, text: string, firstLine: number): ParsedText {
  const parsed = parseYamlText(file, text, firstLine - 1);
  return {
    diagnostics: parsed.diagnostics,
    documents: parsed.documents.map((doc) => {
      const value = Array.isArray(doc.value) ? (doc.value[0] as unknown) : doc.value;
      return { file, value, lineOf: (path: FieldPath) => doc.lineOf([0, ...path]) };
    }),
  };
}

export function parseYamlText(file: string, text: string, lineOffset: number): ParsedText {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const documents: SourceDocument[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false }) as Document.Parsed[];
  } catch (error) {
    return { documents: [], diagnostics: [{ severity: 'error', file, line: 1 + lineOffset, field: '', message: `invalid YAML: ${(error as Error).message}` }] };
  }
  if (!Array.isArray(docs)) docs = [docs];
  const at = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line + lineOffset, column: pos.col };
  };
  const error = (offset: number, message: string): Diagnostic => ({ severity: 'error', file, ...at(offset), field: '', message: `invalid YAML: ${message}` });
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      let openers: Node[] | undefined;
      const unclosed = () => (openers ??= unclosedNodes(doc.contents, text));
      for (const e of usefulErrors(doc.errors)) diagnostics.push(error(errorOffset(doc, text, e, unclosed), firstLine(e.message)));
      continue;
    }
    if (doc.contents === null) continue; // an empty document between `---` separators
    const duplicates = duplicateKeys(doc.contents);
    if (duplicates.length > 0) {
      for (const offset of duplicates) diagnostics.push(error(offset, 'Map keys must be unique'));
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const message = firstLine((e as Error).message);
      diagnostics.push(error(aliasOffset(doc.contents, message) ?? doc.range[0], message));
      continue;
    }
    const root = doc.contents;
    const docStart = at(root.range?.[0] ?? doc.range[0]).line;
    documents.push({
      file,
      value,
      lineOf(path: FieldPath): number {
        const node = nodeAt(root, path);
        return node?.range ? at(node.range[0]).line : docStart;
      },
    });
  }
  return { documents, diagnostics };
}

interface YamlError {
  readonly code: string;
  readonly message: string;
  readonly pos: readonly [number, number];
}

/** Drops the echo yaml adds for one mistake: a multi-line implicit key also reports "nested mappings" at the same place. */
function usefulErrors(errors: readonly YamlError[]): YamlError[] {
  const multiline = new Set(errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  return errors.filter((e) => e.code !== 'BLOCK_AS_IMPLICIT_KEY' || !multiline.has(e.pos[0]));
}

/**
 * Where the mistake is, which is not always where yaml noticed it: an unclosed `{`, `[` or quote is
 * noticed where the next thing starts (often the next line, or the end of the file), so report the
 * opening; a key that runs onto the next line is reported where it continues.
 */
function errorOffset(doc: Document.Parsed, text: string, e: YamlError, openers: () => readonly Node[]): number {
  if (e.code === 'MULTILINE_IMPLICIT_KEY') {
    // The start of the continuation line's content: that line is the one to fix.
    const end = Math.max(e.pos[0], e.pos[1] - 1);
    const lineStart = text.lastIndexOf('\n', end - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart, Math.min(end, lineStart + 256)))![0].length;
    return Math.max(e.pos[0], lineStart + indent);
  }
  if (!/^(Flow (map|sequence)|Missing closing)/.test(e.message)) return e.pos[0];
  const kind = e.message.startsWith('Flow map') ? '{' : e.message.startsWith('Flow sequence') ? '[' : 'quote';
  let opener: number | undefined;
  for (const node of openers()) {
    const [start, , end] = node.range!;
    if (start >= e.pos[0] || end < e.pos[0]) continue;
    const opening = text[start];
    if ((kind === 'quote' ? opening === '"' || opening === "'" : opening === kind) && (opener === undefined || start > opener)) opener = start;
  }
  return opener ?? e.pos[0];
}

/** Flow collections and quoted scalars that were never closed, found once per document. */
function unclosedNodes(root: Node | null, text: string): Node[] {
  const out: Node[] = [];
  forEachNode(root, (node) => {
    if (node.range && isUnclosed(node, text)) out.push(node);
  });
  return out;
}

function isUnclosed(node: Node, text: string): boolean {
  const [start, end] = node.range!;
  let last = end - 1;
  while (last > start && /\s/.test(text[last]!)) last--;
  const closing = text[last];
  if (isCollection(node) && node.flow) return closing !== (text[start] === '[' ? ']' : '}');
  if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) return last === start || closing !== text[start];
  return false;
}

/** An unresolved alias is an error of toJS: find the alias by name. */
function aliasOffset(root: Node | null, message: string): number | undefined {
  const name = /alias[^:]*: (.+)$/i.exec(message)?.[1]?.trim();
  let offset: number | undefined;
  if (name) forEachNode(root, (node) => {
    if (offset === undefined && isAlias(node) && node.source === name && node.range) offset = node.range[0];
  });
  return offset;
}

/** Offsets of keys that repeat an earlier key of the same mapping: linear, one Set per mapping. */
function duplicateKeys(root: Node | null): number[] {
  const out: number[] = [];
  forEachNode(root, (node) => {
    if (!isMap(node) || node.items.length < 2) return;
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key)) continue;
      if (seen.has(key.value)) out.push(key.range?.[0] ?? 0);
      else seen.add(key.value);
    }
  });
  return out;
}

/** Visits every node without recursion (documents may nest thousands deep). */
function forEachNode(root: unknown, visit: (node: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const item = stack.pop();
    if (isPair(item)) {
      stack.push(item.value, item.key);
      continue;
    }
    if (!isNode(item)) continue;
    visit(item);
    if (isCollection(item)) for (let i = item.items.length - 1; i >= 0; i--) stack.push(item.items[i]);
  }
}

/** The node at a path, or its nearest ancestor; big mappings are looked up through a key index. */
function nodeAt(root: Node, path: FieldPath): Node | undefined {
  let node: Node = root;
  for (const part of path) {
    let next: unknown;
    if (isSeq(node)) next = typeof part === 'number' ? node.items[part] : undefined;
    else if (isMap(node)) {
      const pair = pairOf(node, part);
      next = pair ? (isNode(pair.value) && pair.value.range ? pair.value : pair.key) : undefined;
      if (next !== undefined && next === pair?.key) return isNode(next) ? next : node;
    }
    if (!isNode(next)) return node;
    node = next;
  }
  return node;
}

const keyIndexes = new WeakMap<YAMLMap, Map<string, YAMLMap['items'][number]>>();

function pairOf(map: YAMLMap, key: string | number): YAMLMap['items'][number] | undefined {
  const wanted = String(key);
  if (map.items.length <= INDEXED_MAP) return map.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === wanted);
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const k = String(isScalar(p.key) ? p.key.value : p.key);
      if (!index.has(k)) index.set(k, p);
    }
    keyIndexes.set(map, index);
  }
  return index.get(wanted);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
