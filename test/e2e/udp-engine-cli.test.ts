/**
 * `--udp-engine` from the built CLI: the start line says which engine runs; an addon that cannot load
 * falls back to node:dgram with one info line saying why and the same answers; `native` without it
 * refuses to start in one line; `--workers 2` with the native engine gives each worker its own socket.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dig, execFileAsync, hasDig, startCli, type RunningCli } from '../helpers/cli.js';
import { buildQuery, decodeReply, sendUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { nativeAvailable, UDP_ENGINE } from '../helpers/udp-engine.js';

const startLine = (cli: RunningCli) => JSON.parse(cli.stderr().split('\n').find((l) => l.includes('"msg":"listening"'))!) as { udpEngine: string; http: { port: number } };
const infoLines = (cli: RunningCli) => cli.stderr().split('\n').filter((l) => l.includes('"msg":"UDP on node:dgram'));

/** The same questions over UDP (dig: TC, then TCP) for both engines to answer. */
async function answers(port: number): Promise<string[]> {
  return [await dig(port, '+short', 'web.shop.svc.cluster.local'), await dig(port, '+short', '+noedns', 'big.shop.svc.cluster.local'), await dig(port, '+short', 'nope.shop.svc.cluster.local')];
}
const ZONES = ['--zones', 'zones', '--zones', 'test/fixtures/large-headless.yaml', '--upstream', 'none'];

describe.skipIf(!hasDig && !process.env.CI)('--udp-engine', () => {
  it('the CLI runs on the engine this test project asks for (CLUSTER_DNS_UDP_ENGINE, as every e2e suite)', async () => {
    const cli = await startCli([...ZONES]);
    expect(startLine(cli).udpEngine).toBe(UDP_ENGINE === 'dgram' || !nativeAvailable ? 'dgram' : 'native');
  });

  it.runIf(nativeAvailable)('auto runs the native engine where the addon loaded, and says so in the start line and /metrics', async () => {
    const cli = await startCli([...ZONES, '--udp-engine', 'auto']);
    expect(startLine(cli).udpEngine).toBe('native');
    expect(infoLines(cli)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${startLine(cli).http.port}/metrics`)).text();
    expect(metrics).toMatch(/^cluster_dns_udp_engine_info\{engine="native"\} 1$/m);
    expect(await dig(cli.port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
  });

  it('auto with an addon that is missing or broken: node:dgram, one info line saying why, the same answers', async () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'cluster-dns-addon-')), 'udp_engine.node');
    writeFileSync(broken, 'not a shared object, '.repeat(20));
    const reference = await startCli([...ZONES, '--udp-engine', 'dgram']);
    const expected = await answers(reference.port);
    expect(expected[0]).toBe('10.96.0.10\n');
    expect(expected[1]!.split('\n').filter(Boolean)).toHaveLength(60); // retried over TCP after TC=1
    for (const [addon, why] of [
      ['/nonexistent/udp_engine.node', /the native UDP engine was not built \(\/nonexistent\/udp_engine.node is missing/],
      [broken, /the native UDP engine did not load \(.*udp_engine.node: invalid ELF header\)$/],
    ] as const) {
      const cli = await startCli([...ZONES, '--udp-engine', 'auto'], { CLUSTER_DNS_UDP_ADDON: addon });
      expect(startLine(cli).udpEngine).toBe('dgram');
      const lines = infoLines(cli);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, udpEngine: 'dgram', reason: expect.stringMatching(why) });
      expect(await answers(cli.port)).toEqual(expected);
    }
  });

  it('native without the addon refuses to start, in one line naming the option and the reason (exit 1)', async () => {
    const run = execFileAsync(process.execPath, ['dist/main.js', '--port', '0', '--http', 'off', ...ZONES, '--udp-engine', 'native'], {
      env: { ...process.env, CLUSTER_DNS_UDP_ADDON: '/nonexistent/udp_engine.node' },
    });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/cluster-dns: cannot use --udp-engine native: the native UDP engine was not built \(\/nonexistent\/udp_engine.node is missing/) });
  });

  it('a value that is not an engine is a usage error naming the flag (exit 2)', async () => {
    const run = execFileAsync(process.execPath, ['dist/main.js', '--port', '0', ...ZONES, '--udp-engine', 'uring']);
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--udp-engine.*one of auto, native, dgram.*"uring"/) });
  });

  it.runIf(nativeAvailable)('--workers 2 with the native engine: each worker reads its own socket on the one port, and both answer', async () => {
    const cli = await startCli(['--workers', '2', ...ZONES, '--udp-engine', 'native']);
    expect(cli.stderr()).toMatch(/"udpEngine":"native"[^\n]*"msg":"workers listening"/);
    const http = startLine(cli).http.port;
    // A fresh source port per query: the kernel spreads SO_REUSEPORT sockets by a hash of the 4-tuple.
    const counts = await pollUntil(async () => {
      const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => sendUdp(cli.port, buildQuery('web.shop.svc.cluster.local', 'A', { id: i }))));
      expect(replies.map((r) => decodeReply(r!).answer)).toEqual(replies.map(() => ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']));
      const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
      const perWorker = [...text.matchAll(/^cluster_dns_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
      return perWorker.length === 2 && perWorker.every((n) => n > 0) ? { perWorker, text } : undefined;
    });
    expect(counts.text).toMatch(/^cluster_dns_udp_engine_info\{engine="native"\} 1$/m);
    expect(counts.text).toMatch(/^cluster_dns_udp_batched_datagrams_total [1-9]/m);
  });
});
