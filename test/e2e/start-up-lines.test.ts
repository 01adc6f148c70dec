/**
 * What the CLI says at start-up and on SIGHUP, as a person reads it (issue 19): the listening line
 * names the upstreams, SIGHUP answers with a line even when nothing changed, and pretty lines are
 * `key=value` text with short lists (worker pids) shown, not JSON blobs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';

const jsonLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('start-up and SIGHUP lines', () => {
  it('the listening line names the upstreams; SIGHUP with nothing changed still says so', async () => {
    const cli = await startCli(['--zones', 'zones', '--upstream', '192.0.2.1,[2001:db8::1]:5353', '--log-format', 'json']);
    const listening = jsonLines(cli.stderr()).find((l) => l.msg === 'listening')!;
    expect(listening.upstreams).toEqual(['192.0.2.1:53', '[2001:db8::1]:5353']);
    cli.child.kill('SIGHUP');
    const reloaded = await pollUntil(() => jsonLines(cli.stderr()).find((l) => l.signal === 'SIGHUP'));
    expect(reloaded).toMatchObject({ level: 30, component: 'server', msg: 'reloaded on SIGHUP: nothing changed', changed: false, errors: 0, keptLastGood: 0, services: 8 });
  });

  it('forwarding off is in the listening line too', async () => {
    const cli = await startCli(['--zones', 'zones', '--upstream', 'none', '--log-format', 'json']);
    expect(jsonLines(cli.stderr()).find((l) => l.msg === 'listening')!.upstreams).toBe('none');
  });

  it('pretty lines are key=value text; short lists are shown (the worker pids)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-pretty-'));
    const readyFile = join(dir, 'ready.json');
    const child = spawn(process.execPath, ['dist/main.js', '--zones', 'zones', '--host', '127.0.0.1', '--port', '0', '--http', '127.0.0.1:0', '--upstream', '192.0.2.1', '--log-format', 'pretty', '--workers', '2', '--ready-file', readyFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await pollUntil(() => (existsSync(readyFile) ? true : undefined));
      // eslint-disable-next-line no-control-regex
      const lines = () => stderr.replace(/\u001b\[\d+m/g, '').split('\n').filter(Boolean);
      const workers = await pollUntil(() => lines().find((l) => l.includes('workers listening')));
      expect(workers).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: workers: workers listening workers=2 sharing=\S+ udpEngine=(native|dgram) pids=\d+,\d+$/);
      expect(lines().find((l) => l.includes(' listening udp='))).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: server: listening udp=127\.0\.0\.1:\d+ tcp=127\.0\.0\.1:\d+ udpEngine=(native|dgram) http=127\.0\.0\.1:\d+ zone=cluster\.local upstreams=192\.0\.2\.1:53 namespaces=5 services=8 endpoints=10 pods=7$/,
      );
      expect(lines().filter((l) => l.includes('{'))).toEqual([]);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });
});
