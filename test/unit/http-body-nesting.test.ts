/** The linear nesting scan that refuses deep registration bodies before any parser sees them. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureNesting } from '../../src/http/body-nesting.js';

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(ya?ml|json)$/.test(f) ? [p] : [];
  });

describe('measureNesting', () => {
  it.each([
    // The document's top collection is level 1; each collection inside it adds one.
    ['a flat mapping', 'a: 1\nb: 2\n', 1],
    ['a block mapping inside a mapping', 'a:\n  b:\n    c: 1\n', 3],
    ['JSON objects and arrays', '{"a": {"b": [1, [2]]}}', 5],
    ['flow collections in YAML', 'a: {b: [c, {d: e}]}\n', 4],
    ['inline sequence entries', '- - - x\n', 4],
    ['brackets inside quoted strings', 'a: "[[[{{{"\nb: \'[[[\'\n', 1],
    ['brackets inside plain scalars and comments', 'a: x[[[\nb: 1 # [[[[\n# {{{{\n', 1],
    ['a block scalar with deep indentation', 'a: |\n  x\n      y\n          z\nb: 1\n', 1],
    ['documents reset the stack', 'a:\n  b: 1\n---\nc: 1\n', 2],
  ])('%s', (_name, text, depth) => {
    expect(measureNesting(text, 64)).toEqual({ depth });
  });

  it('stops at the first line deeper than the limit, for JSON and YAML flow, block and inline forms', () => {
    expect(measureNesting('['.repeat(100_000) + ']'.repeat(100_000), 64)).toEqual({ depth: 65, line: 1 });
    expect(measureNesting('a: 1\n' + '{a: '.repeat(1000) + '1' + '}'.repeat(1000), 64)).toEqual({ depth: 65, line: 2 });
    const block = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(measureNesting(block, 64)).toEqual({ depth: 65, line: 65 });
    expect(measureNesting('- '.repeat(1000) + 'x', 64)).toEqual({ depth: 1001, line: 1 });
  });

  it('passes every registry file in zones/ and the fixtures', () => {
    const files = [...walk('zones'), ...walk('test/fixtures')];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect({ file, line: measureNesting(readFileSync(file, 'utf8'), 64).line }).toEqual({ file, line: undefined });
  });

  it('scans 8 MB in one pass without recursion', () => {
    const wide = '[' + '1,'.repeat(4_000_000) + '1]';
    expect(measureNesting(wide, 64)).toEqual({ depth: 2 });
  });
});
