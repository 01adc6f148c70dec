// Extracts the README's embedding example into a test file, so the README's code runs in `npm test`
// exactly as a user would copy it (only the package import is pointed at the source tree).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.split('## Embedding in a test suite')[1];
const match = section && /```ts\n([\s\S]*?)```/.exec(section);
if (!match) {
  console.error('README: no ts example under "## Embedding in a test suite"');
  process.exit(1);
}
const code = match[1].replace("from 'cluster-dns'", "from '../../src/index.js'");
mkdirSync(new URL('../test/readme/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../test/readme/embedding-example.generated.test.ts', import.meta.url),
  `// Generated from README.md by scripts/extract-readme-examples.mjs; do not edit.\n${code}`,
);
