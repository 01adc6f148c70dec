/**
 * A linear scan of a registration body for how deeply it nests, before any parser sees it: the yaml
 * parser recurses per level (a deep body overflows the stack after eating hundreds of MB), so a body
 * deeper than any registry document needs is refused up front, in O(bytes) and O(1) memory.
 */

export interface NestingVerdict {
  /** The deepest nesting seen (flow brackets, block indentation levels and inline `- ` entries). */
  readonly depth: number;
  /** 1-based line where the depth first exceeded the limit; undefined when within it. */
  readonly line?: number;
}

const NL = 10;
const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const DASH = 45;
const OPEN_SQUARE = 91;
const OPEN_CURLY = 123;
const CLOSE_SQUARE = 93;
const CLOSE_CURLY = 125;
const COMMA = 44;
const COLON = 58;
const PIPE = 124;
const GT = 62;

/**
 * Measures nesting the way a YAML (or JSON, its subset) parser will build it, stopping at the first
 * line deeper than `limit`. Quoted scalars, comments and block scalars (`|`, `>`) are skipped, so
 * brackets inside strings never count. It errs on the side of counting: a plain scalar is never
 * opened by `[`/`{` unless they start a token, as in YAML itself.
 */
export function measureNesting(text: string, limit: number): NestingVerdict {
  let deepest = 0;
  let line = 1;
  let flow = 0; // open [ and { right now
  // Block indentation levels in effect (columns), as the parser's stack of collections.
  const indents: number[] = [];
  let blockScalarIndent = -1; // inside a | or > scalar: lines indented deeper than this are text
  let i = 0;
  const n = text.length;
  while (i < n) {
    // At the start of a line (outside flow collections): indentation and leading "- " entries.
    let depthHere = 0;
    if (flow === 0) {
      let col = 0;
      while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) {
        i++;
        col++;
      }
      const c = text.charCodeAt(i);
      const blank = i >= n || c === NL || c === CR || c === HASH;
      if (blockScalarIndent >= 0) {
        if (blank || col > blockScalarIndent) {
          i = skipLine(text, i);
          line++;
          continue;
        }
        blockScalarIndent = -1;
      }
      if (blank) {
        i = skipLine(text, i);
        line++;
        continue;
      }
      if (text.startsWith('---', i) || text.startsWith('...', i)) indents.length = 0; // a new document
      while (indents.length > 0 && indents[indents.length - 1]! >= col) indents.pop();
      indents.push(col);
      // "- - - x": each dash opens a sequence inside the previous one, on one line.
      let dashes = 0;
      while (text.charCodeAt(i) === DASH && isBlankAt(text, i + 1)) {
        dashes++;
        i += 2;
        while (i < n && text.charCodeAt(i) === SPACE) i++;
      }
      depthHere = indents.length + dashes;
    } else {
      depthHere = indents.length;
    }
    // The rest of the line: flow brackets, quotes, comments, a block scalar header.
    let lineStart = i;
    let lastSignificant = -1;
    let lastOpen = -1; // where the last counted [ or { was: "[[" opens twice only if the first did
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === NL) break;
      const tokenStart = i === lineStart || isTokenBoundary(text.charCodeAt(i - 1)) || lastOpen === i - 1;
      if (c === DQUOTE && tokenStart) {
        const end = skipDoubleQuoted(text, i + 1);
        line += countLines(text, i, end);
        i = end;
        lastSignificant = c;
        lineStart = -1;
        continue;
      }
      if (c === SQUOTE && tokenStart) {
        const end = skipSingleQuoted(text, i + 1);
        line += countLines(text, i, end);
        i = end;
        lastSignificant = c;
        lineStart = -1;
        continue;
      }
      if (c === HASH && tokenStart && i !== lineStart) break; // a comment: "a: b # c"
      if (c === HASH && i === lineStart) break;
      if ((c === OPEN_SQUARE || c === OPEN_CURLY) && tokenStart) {
        flow++;
        lastOpen = i;
        if (depthHere + flow > deepest) deepest = depthHere + flow;
        if (deepest > limit) return { depth: deepest, line };
      } else if ((c === CLOSE_SQUARE || c === CLOSE_CURLY) && flow > 0) {
        flow--;
      }
      if (c !== SPACE && c !== TAB && c !== CR) lastSignificant = c;
      i++;
    }
    if (depthHere > deepest) deepest = depthHere;
    if (deepest > limit) return { depth: deepest, line };
    // "key: |" or "- >-": the indented lines that follow are text, not structure.
    if (flow === 0 && mayEndBlockScalarHeader(lastSignificant) && isBlockScalarHeader(text, i)) {
      blockScalarIndent = indents[indents.length - 1] ?? 0;
    }
    i = skipLine(text, i);
    line++;
  }
  return { depth: deepest };
}

function mayEndBlockScalarHeader(c: number): boolean {
  return c === PIPE || c === GT || c === DASH || c === 43 /* + */ || (c >= 48 && c <= 57);
}

function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl + 1;
}

function isBlankAt(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  return c === SPACE || c === TAB || c === NL || c === CR;
}

function isTokenBoundary(c: number): boolean {
  return c === SPACE || c === TAB || c === COMMA || c === COLON || c === CR;
}

/** `|`, `>`, `|-`, `>+2` and the like, ending the line (before a comment). */
function isBlockScalarHeader(text: string, end: number): boolean {
  const start = text.lastIndexOf('\n', end - 1) + 1;
  const content = text.slice(start, end).replace(/\s+#.*$/, '').trimEnd();
  return /(^|[\s:-])[|>][-+0-9]*$/.test(content);
}

function skipDoubleQuoted(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === DQUOTE) return i + 1;
    else i++;
  }
  return text.length;
}

function skipSingleQuoted(text: string, i: number): number {
  while (i < text.length) {
    if (text.charCodeAt(i) === SQUOTE) {
      if (text.charCodeAt(i + 1) === SQUOTE) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

function countLines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
