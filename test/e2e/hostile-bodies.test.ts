/**
 * Hostile registration bodies against the built server (dist/, where the trial-parse worker exists):
 * each is refused 4xx with a diagnostic, DNS answers every query sent meanwhile, and the heap after a
 * full GC is back near where it started. Leases beyond 7 days are refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, sendUdp } from '../helpers/dns-client.js';

const MiB = 1024 * 1024;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The server of test/helpers/measured-server.mjs: its ports, and its memory after a full GC. */
async function startMeasuredServer() {
  const child = spawn(process.execPath, ['--expose-gc', 'test/helpers/measured-server.mjs', 'test/fixtures/equivalence/native.yaml'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse((await lines.next()).value as string) as T;
  const ports = await next<{ dns: number; http: number }>();
  return {
    ...ports,
    async heapAfterGc(): Promise<number> {
      child.stdin!.write('gc\n');
      return (await next<NodeJS.MemoryUsage>()).heapUsed;
    },
  };
}

/** Queries one cluster name in a loop until stopped; a query unanswered in 10 s counts as lost. */
function sampleDns(port: number) {
  let sent = 0;
  let answered = 0;
  let running = true;
  const wrong: string[] = [];
  const loop = (async () => {
    while (running) {
      sent++;
      const raw = await sendUdp(port, buildQuery('web.shop.svc.cluster.local', 'A', { id: sent & 0xffff }), '127.0.0.1', 10_000);
      if (!raw) continue;
      answered++;
      const answer = decodeReply(raw).answer;
      if (answer.join() !== 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10') wrong.push(answer.join());
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { sent, answered, wrong };
    },
  };
}

describe('hostile registration bodies (built server)', () => {
  it('refuses deep, huge and oversized bodies with 4xx and a diagnostic while DNS keeps answering, and the heap comes back', async () => {
    const server = await startMeasuredServer();
    const post = async (body: string, query = '') => {
      const res = await fetch(`http://127.0.0.1:${server.http}/v1/registrations${query}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body });
      return { status: res.status, body: (await res.json()) as { error: string; diagnostics?: string[] } };
    };
    const heapBefore = await server.heapAfterGc();
    const sampler = sampleDns(server.dns);

    const deep = 'nesting deeper than 64 levels (collections inside collections); no registry object needs that';
    // 8 MB of JSON arrays inside arrays: refused by the scan, never parsed.
    expect(await post('['.repeat(4 * MiB) + ']'.repeat(4 * MiB))).toEqual({ status: 400, body: { error: 'registration rejected', diagnostics: [`body:1: ${deep}`] } });
    // YAML flow mappings nested 1.5 million deep, after a valid first line.
    expect(await post('namespace: dev\nservices: ' + '{a: '.repeat(1.5 * MiB) + '1')).toEqual({ status: 400, body: { error: 'registration rejected', diagnostics: [`body:2: ${deep}`] } });
    // Inline block sequences "- - - …".
    expect((await post('- '.repeat(3 * MiB) + 'x\n')).body.diagnostics).toEqual([`body:1: ${deep}`]);
    // Flat, but a million YAML nodes: the trial parse runs out of its capped heap in the worker.
    expect(await post('[' + 'a, '.repeat(350_000) + 'a]')).toEqual({
      status: 413,
      body: { error: 'body needs more than 64 MB of heap to parse; send it in smaller parts (JSON parses with the least memory)' },
    });
    expect(await post('x'.repeat(8 * MiB + 1))).toEqual({ status: 413, body: { error: 'body larger than 8388608 bytes' } });

    const { sent, answered, wrong } = await sampler.stop();
    expect({ answered, wrong }).toEqual({ answered: sent, wrong: [] });
    expect(sent).toBeGreaterThan(0);
    // What the refused bodies left behind is garbage: after a full GC the heap is near its start.
    const heapAfter = await server.heapAfterGc();
    expect(heapAfter - heapBefore).toBeLessThan(16 * MiB);
    console.log(`hostile bodies: ${answered}/${sent} DNS answers meanwhile; heap after GC ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB`);

    // A legitimate body above the trial-parse threshold still registers.
    let big = 'namespace: bulk\nservices:\n';
    for (let i = 0; i < 800; i++) big += `  svc-${i}:\n    clusterIP: 10.97.${i >> 8}.${i & 255}\n    ports: [http:80->8080]\n    endpoints: [10.244.${i >> 8}.${i & 255}]\n`;
    expect(big.length).toBeGreaterThan(64 * 1024);
    const posted = (await post(big)) as unknown as { status: number; body: { registered: { key: string }[] } };
    expect(posted.status).toBe(200);
    expect(posted.body.registered.map((r) => r.key)).toEqual(['namespace//bulk', ...Array.from({ length: 800 }, (_, i) => `service/bulk/svc-${i}`)]);
    expect(decodeReply((await sendUdp(server.dns, buildQuery('svc-799.bulk.svc.cluster.local', 'A'), '127.0.0.1', 10_000))!).answer).toEqual([
      'svc-799.bulk.svc.cluster.local. 5 IN A 10.97.3.31',
    ]);
  }, 300_000); // a runner's guard against a hang, not a bound on speed: nothing here asserts elapsed time

  it('refuses a lease longer than 7 days or not a positive number of seconds, and takes 7 days exactly', async () => {
    const server = await startMeasuredServer();
    const body = 'namespace: dev\nservices:\n  tmp: { clusterIP: 10.96.7.7 }\n';
    const post = async (lease: string) => {
      const res = await fetch(`http://127.0.0.1:${server.http}/v1/registrations?lease=${lease}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    // 34.7 days: a timer past 2^31-1 ms would fire at once, again and again.
    expect(await post('3000000')).toEqual({ status: 400, body: { error: 'lease: 3000000 seconds is longer than the maximum of 604800 (7 days); renew a registration instead' } });
    expect(await post('0')).toEqual({ status: 400, body: { error: 'lease: "0" is not a positive number of seconds' } });
    expect(await post('Infinity')).toEqual({ status: 400, body: { error: 'lease: "Infinity" is not a positive number of seconds' } });
    expect(await post('')).toEqual({ status: 400, body: { error: 'lease: "" is not a positive number of seconds' } });
    const accepted = await post('604800');
    expect(accepted.status).toBe(200);
  });
});
