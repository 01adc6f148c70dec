import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliReferenceMarkdown, FLAGS } from '../../../src/cli-args.js';

describe('docs/cli.md', () => {
  it('holds the flag and command tables exactly as --help knows them (npm run docs:cli rewrites them)', () => {
    const doc = readFileSync('docs/cli.md', 'utf8');
    const generated = /<!-- generated: cli-reference \(npm run docs:cli\) -->\n([\s\S]*?)\n<!-- end: cli-reference -->/.exec(doc);
    expect(generated?.[1]).toBe(cliReferenceMarkdown());
    for (const name of Object.keys(FLAGS)) expect(generated?.[1]).toContain(`\`--${name}`);
  });
});
