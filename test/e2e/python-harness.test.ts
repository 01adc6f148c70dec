/**
 * --ready-file from a harness in another language: a Python script starts the built CLI on port 0,
 * reads the announced addresses from the file, queries over a raw UDP socket, checks /ready and
 * stops it with SIGINT (issue 19: a non-Node test suite could only parse a log line).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFileAsync, startCli } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('--ready-file', () => {
  it.skipIf(!hasPython)('lets a Python harness find, query and stop the server', async () => {
    const { stdout } = await execFileAsync('python3', ['test/harness/ready_file_harness.py', 'dist/main.js', 'zones']);
    expect(JSON.parse(stdout)).toEqual({
      keys: ['dns', 'http', 'pid'],
      pid_matches: true,
      http_is_loopback: true,
      answers: [
        { name: 'web.shop.svc.cluster.local', rcode: 0, a: ['10.96.0.10'] },
        { name: 'nothing.shop.svc.cluster.local', rcode: 3, a: [] },
      ],
      ready_status: 200,
      exit_code: 0,
      ready_file_removed: true,
    });
  });

  it('holds the addresses the server listens on, http null when off', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ready-')), 'ready.json');
    const { child, port } = await startCli(['--zones', 'zones', '--upstream', 'none', '--ready-file', path], {}, ['--http', 'off']);
    const announced = await pollUntil(() => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown) : undefined));
    expect(announced).toEqual({ dns: { address: '127.0.0.1', port }, http: null, pid: child.pid });
  });

  it.each([
    [['--ready-file', '/nonexistent-dir/ready.json'], 'cluster-dns: --ready-file: directory "/nonexistent-dir" does not exist'],
    [['--ready-file', tmpdir()], `cluster-dns: --ready-file: "${tmpdir()}" is a directory`],
  ])('refuses %j before starting: exit 2, one line', async (args, line) => {
    const result = await execFileAsync(process.execPath, ['dist/main.js', '--zones', 'zones', '--port', '0', '--http', 'off', ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result).toEqual({ code: 2, stderr: `${line}\n` });
  });
});
