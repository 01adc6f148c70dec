/**
 * Where the values near the top of a JSON text start and end, found in one linear scan, so that a
 * 10,000-item kubectl List gets a line per item without a second (YAML) parse. Pure.
 */

/** Offsets of the values at depth 1 and 2 (`items`, `items[7]`, `services.web`), and line lookup. */
export interface JsonOutline {
  /** `[start, end)` of the value at `path` (one or two steps from the root), if the scan saw it. */
  range(path: readonly (string | number)[]): readonly [number, number] | undefined;
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number };
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** One open container: its key path, and the key or index the next value gets. */
interface Frame {
  readonly array: boolean;
  readonly path: string;
  readonly depth: number;
  key: string;
  index: number;
  /** In an object: the next string is a key (true) or a value (false). */
  expectKey: boolean;
}

/** Scans valid JSON (callers parse it with JSON.parse first); strings are skipped with indexOf. */
export function outlineJson(text: string): JsonOutline {
  const ranges = new Map<string, [number, number]>();
  const stack: Frame[] = [];
  const open: { key: string; start: number; depth: number }[] = [];
  const valueKey = (frame: Frame): string => `${frame.path}\0${frame.array ? frame.index : frame.key}`;
  const startValue = (at: number, scalarEnd: number | undefined) => {
    const frame = stack[stack.length - 1];
    if (!frame || frame.depth >= 2) return undefined;
    const key = valueKey(frame);
    if (scalarEnd !== undefined) ranges.set(key, [at, scalarEnd]);
    return key;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) break;
      const frame = stack[stack.length - 1];
      if (frame && !frame.array && frame.expectKey) {
        // Keys matter only where a recorded path continues (the root and depth-1 objects).
        if (frame.depth < 2) frame.key = decodeKey(text.slice(i + 1, end));
      } else startValue(i, end + 1);
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const parent = stack[stack.length - 1];
      const key = startValue(i, undefined);
      if (key !== undefined) open.push({ key, start: i, depth: stack.length });
      stack.push({ array: c === OPEN_BRACKET, path: parent && parent.depth < 2 ? valueKey(parent) : '', depth: stack.length, key: '', index: 0, expectKey: c === OPEN_BRACE });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      const last = open[open.length - 1];
      if (last && last.depth === stack.length) {
        open.pop();
        ranges.set(last.key, [last.start, i + 1]);
      }
    } else if (c === COMMA) {
      const frame = stack[stack.length - 1];
      if (frame) {
        if (frame.array) frame.index++;
        else frame.expectKey = true;
      }
    } else if (c === COLON) {
      const frame = stack[stack.length - 1];
      if (frame) frame.expectKey = false;
    } else if (c > 32) {
      // A number, true, false or null: it runs to the next delimiter.
      let end = i + 1;
      while (end < text.length && !isDelimiter(text.charCodeAt(end))) end++;
      startValue(i, end);
      i = end - 1;
    }
  }
  let lineStarts: number[] | undefined;
  return {
    range(path) {
      let key = '';
      for (const part of path) key = `${key}\0${part}`;
      return ranges.get(key);
    },
    position(offset) {
      lineStarts ??= findLineStarts(text);
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lineStarts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
    },
  };
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let j = quote - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
  return backslashes % 2 === 1;
}

function decodeKey(raw: string): string {
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

function isDelimiter(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 32;
}

function findLineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/** The first syntax error of a text JSON.parse rejected: where it is and what was expected there. */
export function findJsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const stack: ('}' | ']')[] = [];
  let state: 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after' = 'value';
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  let i = 0;
  for (;;) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    if (i >= text.length) {
      return state === 'after' && stack.length === 0 ? undefined : { offset: text.trimEnd().length, message: `unexpected end of input (expected ${expected(state, stack)})` };
    }
    const c = text[i]!;
    if (state === 'value' || state === 'valueOrEnd') {
      if (state === 'valueOrEnd' && c === ']') {
        stack.pop();
        state = 'after';
        i++;
      } else if (c === '{' || c === '[') {
        stack.push(c === '{' ? '}' : ']');
        state = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
        i++;
      } else if (c === '"') {
        const end = stringEnd(text, i);
        if (end.error) return end.error;
        i = end.offset;
        state = 'after';
      } else {
        literal.lastIndex = i;
        const m = literal.exec(text);
        if (!m) return { offset: i, message: `unexpected ${describe(c)} (expected ${expected(state, stack)})` };
        i += m[0].length;
        state = 'after';
      }
    } else if (state === 'key' || state === 'keyOrEnd') {
      if (state === 'keyOrEnd' && c === '}') {
        stack.pop();
        state = 'after';
        i++;
      } else if (c === '"') {
        const end = stringEnd(text, i);
        if (end.error) return end.error;
        i = end.offset;
        state = 'colon';
      } else return { offset: i, message: `unexpected ${describe(c)} (expected ${expected(state, stack)})` };
    } else if (state === 'colon') {
      if (c !== ':') return { offset: i, message: `unexpected ${describe(c)} (expected ':')` };
      state = 'value';
      i++;
    } else {
      const close = stack[stack.length - 1];
      if (close === undefined) return { offset: i, message: `unexpected ${describe(c)} after the end of the value` };
      if (c === ',') state = close === '}' ? 'key' : 'value';
      else if (c === close) stack.pop();
      else return { offset: i, message: `unexpected ${describe(c)} (expected ${expected(state, stack)})` };
      i++;
    }
  }
}

function stringEnd(text: string, start: number): { offset: number; error?: { offset: number; message: string } } {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return { offset: i + 1 };
    if (c === BACKSLASH) {
      const next = text[i + 1];
      if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !next || !'"\\/bfnrt'.includes(next)) return { offset: i, error: { offset: i, message: 'bad escape in a string' } };
      i += next === 'u' ? 5 : 1;
    } else if (c < 32) return { offset: i, error: c === 10 ? { offset: start, message: 'unterminated string (a newline inside quotes)' } : { offset: i, message: 'control character in a string' } };
  }
  return { offset: text.length, error: { offset: start, message: 'unterminated string' } };
}

function expected(state: string, stack: readonly string[]): string {
  const close = stack[stack.length - 1];
  if (state === 'key') return 'a double-quoted property name';
  if (state === 'keyOrEnd') return "a double-quoted property name or '}'";
  if (state === 'valueOrEnd') return "a value or ']'";
  if (state === 'value') return 'a value';
  if (state === 'colon') return "':'";
  return close ? `',' or '${close}'` : 'nothing more';
}

function describe(c: string): string {
  return /[\x21-\x7e]/.test(c) ? `'${c}'` : `character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Where one item of a JSON kubectl List is, and the 1-based line its `{` is on. */
export interface JsonItemRange {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

/**
 * The items of a JSON `{"kind": "List", "items": [...]}` as ranges, found in one scan that also
 * counts lines (a newline can only stand outside strings in JSON), so each item can be parsed on
 * its own and its tree dropped before the next: memory near one item's tree instead of the whole
 * file's. The text around the items (the envelope) and the separators between them are checked
 * here; each item is checked by its own JSON.parse. Anything else (no `items` array at the top, a
 * stray character between items, unbalanced brackets) returns undefined: the caller parses the
 * text whole, which reports the error where it is.
 */
export function splitJsonList(text: string): { readonly items: readonly JsonItemRange[]; readonly envelope: string } | undefined {
  const items: JsonItemRange[] = [];
  let depth = 0;
  let line = 1;
  let itemsStart = -1;
  let itemsEnd = -1;
  let itemStart = -1;
  let itemLine = 0;
  let lastKey = '';
  let afterItem = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
    } else if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return undefined;
      if (depth === 1) lastKey = text.slice(i + 1, end);
      else if (depth === 2 && itemsStart >= 0 && itemsEnd < 0 && itemStart < 0) return undefined; // a string item: not an object
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === 1 && c === OPEN_BRACKET && lastKey === 'items' && itemsStart < 0) {
        itemsStart = i;
        afterItem = i + 1;
      } else if (depth === 2 && itemsStart >= 0 && itemsEnd < 0) {
        if (c !== OPEN_BRACE) return undefined;
        if (!separatorOk(text, afterItem, i, items.length > 0)) return undefined;
        itemStart = i;
        itemLine = line;
      }
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 2 && itemStart >= 0) {
        items.push({ start: itemStart, end: i + 1, line: itemLine });
        itemStart = -1;
        afterItem = i + 1;
      } else if (depth === 1 && itemsStart >= 0 && itemsEnd < 0) {
        if (c !== CLOSE_BRACKET || !/^\s*$/.test(text.slice(afterItem, i))) return undefined;
        itemsEnd = i + 1;
      }
    } else if (depth === 2 && itemsStart >= 0 && itemsEnd < 0 && itemStart < 0 && c > 32 && c !== COMMA) {
      return undefined; // a number, true, false or null as an item
    }
  }
  if (depth !== 0 || itemsStart < 0 || itemsEnd < 0 || items.length === 0) return undefined;
  return { items, envelope: `${text.slice(0, itemsStart)}[]${text.slice(itemsEnd)}` };
}

/** Between two items exactly one comma (and whitespace); before the first, whitespace only. */
function separatorOk(text: string, from: number, to: number, comma: boolean): boolean {
  const between = text.slice(from, to);
  return comma ? /^\s*,\s*$/.test(between) : /^\s*$/.test(between);
}
