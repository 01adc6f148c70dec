/** docs/embedding.md stays in step with the library: every DnsServer member is documented, and CommonJS require() works where the page says it does. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const doc = readFileSync('docs/embedding.md', 'utf8');
const serverSource = readFileSync('src/server.ts', 'utf8');

/** The member names of `interface DnsServer { … }` in src/server.ts. */
function dnsServerMembers(): string[] {
  const body = /export interface DnsServer \{([\s\S]*?)\n\}/.exec(serverSource)![1]!;
  return [...body.matchAll(/^\s{2}(?:readonly )?([a-zA-Z]+)[(?:]/gm)].map((m) => m[1]!);
}

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const requireOfEsm = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;

describe('docs/embedding.md', () => {
  it('documents every member of DnsServer in its table', () => {
    const members = dnsServerMembers();
    expect(members).toEqual(expect.arrayContaining(['start', 'stop', 'ready', 'httpAddress', 'apply', 'remove', 'registrations', 'cacheStats']));
    expect(members.filter((m) => !new RegExp(`^\\| \`${m}[(\`]`, 'm').test(doc))).toEqual([]);
  });

  it.skipIf(!requireOfEsm)('require() from CommonJS gives createDnsServer, as the page says for this Node', () => {
    const out = execFileSync(process.execPath, ['-e', "const m = require('./dist/index.js'); console.log(typeof m.createDnsServer, typeof m.RegistryError)"], { encoding: 'utf8' });
    expect(out).toBe('function function\n');
  });
});
