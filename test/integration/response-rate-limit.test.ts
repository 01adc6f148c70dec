/**
 * Response rate limiting over real UDP with an injected clock: a burst beyond --rrl-rate is dropped
 * but for every second reply, sent truncated; TCP is not limited; the counter says what happened.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.js';
import { buildQuery, decodeReply, queryTcp, type DecodedReply } from '../helpers/dns-client.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];

/**
 * Sends queries with ids 1…n at once from one socket; once `repliesFirst` replies are back (the server
 * has handled all n), calls `between` and sends id n+1. Resolves with every reply by id when n+1's arrives.
 */
function burstThenOne(port: number, n: number, repliesFirst: number, between: () => void): Promise<Map<number, DecodedReply>> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const replies = new Map<number, DecodedReply>();
    const send = (id: number) => socket.send(buildQuery('web.shop.svc.cluster.local', 'A', { id }), port, '127.0.0.1');
    socket.on('error', reject);
    socket.on('message', (msg) => {
      const r = decodeReply(msg);
      replies.set(r.id, r);
      if (r.id === n + 1) {
        socket.close();
        resolve(replies);
      } else if (replies.size === repliesFirst) {
        between();
        send(n + 1);
      }
    });
    for (let id = 1; id <= n; id++) send(id);
  });
}

describe('--rrl-rate', () => {
  it('drops UDP replies beyond the rate, sends every second one truncated, and counts them; TCP still answers', async () => {
    const clock = { ms: 1_700_000_000_000 };
    const { server, port } = await startServer({ zones, rrlRate: 3, now: () => clock.ms, http: '127.0.0.1:0' });
    // Ids 1–9 in the same instant: 3 answers, then drop, slip, drop, slip, drop, slip. Once 9's
    // slip is back the server has handled all nine; a second later id 10 is answered in full.
    const replies = await burstThenOne(port, 9, 6, () => {
      clock.ms += 1000;
    });
    const full = [...replies.values()].filter((r) => !r.bits.tc).map((r) => r.id);
    const slipped = [...replies.values()].filter((r) => r.bits.tc);
    expect(full.sort((a, b) => a - b)).toEqual([1, 2, 3, 10]);
    expect(slipped.map((r) => r.id).sort((a, b) => a - b)).toEqual([5, 7, 9]);
    expect(slipped.map((r) => [r.question, r.answer, r.authority, r.additional])).toEqual(
      Array(3).fill([['web.shop.svc.cluster.local. IN A'], [], [], []]),
    );
    expect(replies.get(1)!.answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);

    // The prefix is out of tokens again, but TCP (where a slipped client goes) is not limited.
    expect((await queryTcp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']);

    const metrics = await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/metrics`)).text();
    expect(metrics.split('\n').filter((l) => l.startsWith('cluster_dns_rrl_limited_total'))).toEqual([
      'cluster_dns_rrl_limited_total{action="drop"} 3',
      'cluster_dns_rrl_limited_total{action="slip"} 3',
    ]);
  });

  it('is on by default beyond loopback only', () => {
    expect(resolveOptions({ host: '127.0.0.1' }).rrlRate).toBe(0);
    expect(resolveOptions({ host: '0.0.0.0' }).rrlRate).toBe(1000);
    expect(resolveOptions({ host: '0.0.0.0', rrlRate: 0 }).rrlRate).toBe(0);
  });
});
