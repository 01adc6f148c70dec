/**
 * A parent that stops reading the CLI's stderr (what a Python or Go harness does after the
 * listening line) or closes it: the server keeps answering, stops on a signal, and counts the log
 * lines it had to drop instead of holding them (issue 19).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, sendUdp } from '../helpers/dns-client.js';
import { killAfterTest } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';

const main = resolve('dist/main.js');

/** Starts the CLI with --log-queries, reads stderr up to the listening line, and hands the pipe over. */
async function startLogging(extra: string[] = []): Promise<{ child: ChildProcess; port: number; seen: string }> {
  const child = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', '0', '--http', 'off', '--upstream', 'none', '--zones', 'zones', '--log-queries', '--log-format', 'json', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  killAfterTest(child);
  let seen = '';
  const port = await new Promise<number>((done, fail) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const m = /"msg":"listening"/.test(seen) ? /"udp":\{[^}]*"port":(\d+)/.exec(seen) : null;
      if (!m) return;
      child.stderr!.off('data', onData);
      child.stderr!.pause(); // from here on nobody reads: the pipe fills
      done(Number(m[1]));
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`CLI exited with ${code}: ${seen}`)));
  });
  return { child, port, seen };
}

/** Sends `count` queries, 50 at a time, and waits for every answer: each one also logs a line. */
async function flood(port: number, count: number): Promise<void> {
  const query = buildQuery('web.shop.svc.cluster.local', 'A');
  for (let sent = 0; sent < count; sent += 50) {
    const replies = await Promise.all(Array.from({ length: Math.min(50, count - sent) }, () => sendUdp(port, query)));
    expect(replies.filter((r) => r === undefined)).toEqual([]);
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve([child.exitCode, child.signalCode]) : once(child, 'exit');

// 12000 query lines are about 2.8 MB: past what the stdio socket pair buffers (a few hundred kB with
// the usual net.core.wmem defaults) plus the 1 MiB the logger keeps unwritten, so lines are dropped.
const QUERIES = 12_000;

describe('a stderr nobody reads', () => {
  it('SIGINT stops the server although the pipe is full', async () => {
    const { child, port } = await startLogging();
    await flood(port, QUERIES);
    child.kill('SIGINT');
    expect(await exited(child)).toEqual([0, null]);
  });

  it('a second signal exits at once during the SIGTERM grace, whatever stderr does', async () => {
    const { child, port } = await startLogging(['--shutdown-grace', '600000']);
    await flood(port, QUERIES);
    child.kill('SIGTERM');
    // Still in its lame duck (answering, not ready) until the second signal.
    const answer = decodeReply((await sendUdp(port, buildQuery('web.shop.svc.cluster.local', 'A')))!);
    expect(answer.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    child.kill('SIGINT');
    expect(await exited(child)).toEqual([130, null]);
  });

  it('counts what it dropped: the lines read plus the dropped count are every query', async () => {
    const { child, port, seen } = await startLogging();
    await flood(port, QUERIES);
    let text = seen;
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr!.resume(); // the reader comes back: the backlog drains and the count follows
    const lines = () => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { component?: string; msg?: string; dropped?: number });
    const dropLine = await pollUntil(() => lines().find((l) => l.msg === 'log lines dropped: stderr was not read fast enough'));
    const queryLines = lines().filter((l) => l.component === 'query').length;
    expect(dropLine.dropped).toBeGreaterThan(0);
    expect(queryLines + dropLine.dropped!).toBe(QUERIES);
    child.kill('SIGINT');
    expect(await exited(child)).toEqual([0, null]);
  });
});

describe('a stderr whose reader has closed', () => {
  it('keeps answering and stops on SIGINT', async () => {
    const { child, port } = await startLogging();
    child.stderr!.destroy();
    await flood(port, QUERIES);
    const answer = decodeReply((await sendUdp(port, buildQuery('web.shop.svc.cluster.local', 'A')))!);
    expect(answer.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);
    child.kill('SIGINT');
    expect(await exited(child)).toEqual([0, null]);
  });
});
