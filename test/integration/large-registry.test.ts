// Large registry files through the built reader (dist/): parsed in a worker thread, in time linear in
// the input. One native mapping of 100k services once took minutes, because the yaml package
// compared each new key with every earlier one; duplicate keys are now found after parsing.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/registry/diagnostics.js';

type Reader = typeof import('../../src/sources/zones-reader.js');
// The compiled reader, so that the parse worker (compiled JavaScript) is used as in production.
const distReader = new URL('../../dist/sources/zones-reader.js', import.meta.url).href;

/** One `services:` mapping of n services; `duplicate` repeats service 7's name after the last one. */
function nativeFile(n: number, duplicate = false): string {
  const lines = ['namespace: big', 'services:'];
  for (let i = 0; i < n; i++) lines.push(`  s${i}: {clusterIP: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}}`);
  if (duplicate) lines.push('  s7: {clusterIP: 10.255.0.7}');
  return `${lines.join('\n')}\n`;
}

describe('large registry files', () => {
  let dir: string;
  let reader: Reader;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cluster-dns-large-'));
    reader = (await import(distReader)) as Reader;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fileOf = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it('loads a 100k-service native mapping and reports a duplicate key in it at its line', { timeout: 300_000 }, async () => {
    const good = await reader.readZoneFile(await fileOf('big.yaml', nativeFile(100_000)));
    expect(good.diagnostics).toEqual([]);
    expect(good.input.services).toHaveLength(100_000);
    expect(good.input.services[99_999]).toMatchObject({ namespace: 'big', name: 's99999', clusterIPs: ['10.1.134.159'], origin: { line: 100_002 } });

    const dup = await reader.readZoneFile(await fileOf('dup.yaml', nativeFile(100_000, true)));
    expect(dup.diagnostics.map(formatDiagnostic)).toEqual([`${join(dir, 'dup.yaml')}:100003:3: invalid YAML: Map keys must be unique`]);
    expect(dup.input.services).toEqual([]);
  });

  it('refuses a file over the size limit with a diagnostic, unread', async () => {
    const file = await fileOf('limit.yaml', nativeFile(2_000));
    const result = await reader.readZoneFile(file, { maxBytes: 10_000 });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([`${file}:0: larger than the 10000 bytes limit (--max-registry-bytes); not loaded`]);
    expect(result.input.services).toEqual([]);
  });

  it('the CLI refuses a file over --max-registry-bytes and names the flag', async () => {
    const file = await fileOf('cli-limit.yaml', nativeFile(2_000));
    const run = promisify(execFile)(process.execPath, ['dist/main.js', 'check', '--zones', file, '--max-registry-bytes', '4096']);
    const failure = (await run.then(() => undefined, (error: unknown) => error)) as { code: number; stdout: string } | undefined;
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain(`${file}:0: larger than the 4096 bytes limit (--max-registry-bytes); not loaded`);
  });
});
