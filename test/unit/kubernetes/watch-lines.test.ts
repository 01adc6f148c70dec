/** createLineSplitter: lines across chunk boundaries with their byte offsets; a line over the limit skipped whole. */
import { describe, expect, it } from 'vitest';
import { createLineSplitter, type SkippedLine } from '../../../src/kubernetes/api-client.js';

function split(maxLine: number, chunks: string[]) {
  const out: (string | SkippedLine)[] = [];
  const splitter = createLineSplitter(maxLine, { line: (text, offset) => out.push(`${offset}:${text}`), skipped: (s) => out.push(s) });
  for (const c of chunks) splitter.push(Buffer.from(c));
  return out;
}

describe('createLineSplitter', () => {
  it('joins lines split across chunks and reports where each starts, in bytes', () => {
    expect(split(100, ['{"a":1}\n{"b', '":"é"}\n', '\n{"c":3', '}\n'])).toEqual(['0:{"a":1}', '8:{"b":"é"}', '19:', '20:{"c":3}']);
  });

  it('skips a line over the limit, naming the object from its head, and goes on with the next', () => {
    const big = `{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p-1","namespace":"ns","labels":{}},"x":"${'z'.repeat(50)}"}}`;
    const out = split(40, ['{"ok":1}\n', big.slice(0, 30), big.slice(30), '\n{"ok":2}\n']);
    expect(out).toEqual(['0:{"ok":1}', { offset: 9, bytes: big.length, kind: 'Pod', namespace: 'ns', name: 'p-1' }, `${9 + big.length + 1}:{"ok":2}`]);
  });
});
