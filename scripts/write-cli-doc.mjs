// Rewrites the generated part of docs/cli.md from the built FLAGS and COMMANDS tables (npm run docs:cli).
import { readFileSync, writeFileSync } from 'node:fs';
import { cliReferenceMarkdown } from '../dist/cli-args.js';

const path = new URL('../docs/cli.md', import.meta.url);
const begin = '<!-- generated: cli-reference (npm run docs:cli) -->';
const end = '<!-- end: cli-reference -->';
const text = readFileSync(path, 'utf8');
const from = text.indexOf(begin);
const to = text.indexOf(end);
if (from < 0 || to < from) {
  console.error('docs/cli.md: the generated-section markers are missing');
  process.exit(1);
}
writeFileSync(path, `${text.slice(0, from + begin.length)}\n${cliReferenceMarkdown()}\n${text.slice(to)}`);
