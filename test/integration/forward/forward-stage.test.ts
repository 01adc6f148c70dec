import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Answer, Query, RelayedAnswer } from '../../../src/dns/types.js';
import { createForwardStage } from '../../../src/resolver/forward-stage.js';
import type { Next } from '../../../src/resolver/stage.js';
import { createUpstreamClient, type UpstreamClient, type UpstreamClientOptions } from '../../../src/upstream/upstream-client.js';
import { buildQuery, decodeReply } from '../../helpers/dns-client.js';
import { reply, rr, startFakeUpstream, type Behaviour } from '../../helpers/fake-upstream.js';
import { queryFromWire, queryObject } from '../../helpers/query-object.js';

const answerA: Behaviour = (q) => reply(q, { answer: [rr('example.org', 1, 300, [192, 0, 2, 1])] });
const at = (port: number) => ({ address: '127.0.0.1', port });
const unreachable: Next = () => {
  throw new Error('the forward stage must not call next');
};

const clients: UpstreamClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));
function client(options: UpstreamClientOptions): UpstreamClient {
  const c = createUpstreamClient(options);
  clients.push(c);
  return c;
}

function relayed(answer: Answer): Buffer {
  expect(answer.kind).toBe('relayed');
  return Buffer.from((answer as RelayedAnswer).bytes);
}

describe('forward stage', () => {
  it('relays the client query and returns the upstream reply as bytes', async () => {
    let received: Buffer | undefined;
    const upstream = await startFakeUpstream((q) => {
      received = q;
      return answerA(q, 'udp');
    });
    const forward = createForwardStage(client({ servers: [at(upstream.port)] }));
    const query = queryObject('Example.ORG', 'A', { id: 0x4242 });
    const bytes = relayed(await forward(query, unreachable));
    expect(received!.subarray(2)).toEqual(query.wire!.subarray(2));
    expect(decodeReply(bytes)).toMatchObject({ id: 0x4242, question: ['Example.ORG. IN A'], answer: ['example.org. 300 IN A 192.0.2.1'] });
  });

  it('builds the query itself when the wire bytes are missing', async () => {
    let received: Buffer | undefined;
    const upstream = await startFakeUpstream((q) => {
      received = q;
      return answerA(q, 'udp');
    });
    const forward = createForwardStage(client({ servers: [at(upstream.port)] }));
    const { wire, ...rest } = queryObject('example.org', 'A', { id: 9, cd: true });
    const bytes = relayed(await forward(rest as Query, unreachable));
    expect(received!.subarray(2)).toEqual(wire!.subarray(2));
    expect(bytes.readUInt16BE(0)).toBe(9);
  });

  it('shares one upstream exchange among identical concurrent queries, each answered with its own id and case', async () => {
    const upstream = await startFakeUpstream(async (q) => {
      await new Promise((r) => setTimeout(r, 100));
      return answerA(q, 'udp');
    });
    const forward = createForwardStage(client({ servers: [at(upstream.port)] }));
    const names = ['example.org', 'EXAMPLE.org', 'example.ORG', 'Example.Org', 'example.org'];
    const answers = await Promise.all(names.map((name, i) => forward(queryObject(name, 'A', { id: i + 1 }), unreachable)));
    expect(answers.map((a) => decodeReply(relayed(a))).map((r) => [r.id, r.question[0]])).toEqual(names.map((name, i) => [i + 1, `${name}. IN A`]));
    expect(upstream.queries).toHaveLength(1);
    // Different DO bit, type or class: separate exchanges.
    await Promise.all([
      forward(queryObject('example.org', 'A', { edns: { do: true } }), unreachable),
      forward(queryObject('example.org', 'AAAA'), unreachable),
      forward(queryObject('example.org', 'A', { cd: true }), unreachable),
    ]);
    expect(upstream.queries).toHaveLength(4);
  });

  it('answers SERVFAIL with extended error 22 within the timeouts when every upstream is silent', async () => {
    const dead1 = await startFakeUpstream(() => 'drop');
    const dead2 = await startFakeUpstream(() => 'drop');
    const forward = createForwardStage(client({ servers: [at(dead1.port), at(dead2.port)], timeoutMs: 150 }));
    const answer = await forward(queryObject('example.org', 'A', { edns: {} }), unreachable);
    expect([dead1.queries.length, dead2.queries.length]).toEqual([1, 1]);
    expect(answer).toMatchObject({ kind: 'records', rcode: 2, extendedError: { code: 22 } });
    expect(answer.kind === 'records' && answer.extendedError?.text).toMatch(/^no upstream answered: 127\.0\.0\.1:\d+ timed out; 127\.0\.0\.1:\d+ timed out$/);
  });

  it('answers SERVFAIL with extended error 23 when the upstream port is closed', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const forward = createForwardStage(client({ servers: [at(port)] }));
    expect(await forward(queryObject('example.org', 'A'), unreachable)).toMatchObject({ rcode: 2, extendedError: { code: 23 } });
  });

  it('answers SERVFAIL at once, and reports it, when one of its queries comes back (EDNS marker)', async () => {
    const loops: Query[] = [];
    let forward: ReturnType<typeof createForwardStage> | undefined;
    // An "upstream" that forwards every query straight back to us, with a new id, as a forwarder would.
    const upstream = await startFakeUpstream(async (q) => {
      const again = Buffer.from(q);
      again.writeUInt16BE(q.readUInt16BE(0) ^ 0x5555, 0);
      const answer = await forward!(queryFromWire(again, queryObject('loop.example.org', 'A', { edns: {} })), unreachable);
      return answer.kind === 'records' ? reply(q, { rcode: answer.rcode }) : 'drop';
    });
    // An hour's timeout: the SERVFAIL can only come from the loop check, never from a timeout.
    forward = createForwardStage(client({ servers: [at(upstream.port)], timeoutMs: 3_600_000 }), { onLoopDetected: (q) => loops.push(q) });
    const bytes = relayed(await forward(queryObject('loop.example.org', 'A', { edns: {} }), unreachable));
    expect(decodeReply(bytes).rcode).toBe('SERVFAIL');
    expect(loops.map((q) => q.lowerName)).toEqual(['loop.example.org']);
    expect(upstream.queries).toHaveLength(1);
  });

  it('recognises a query without EDNS that comes back with the id it was sent with', async () => {
    const loops: Query[] = [];
    let guard: ReturnType<typeof createForwardStage> | undefined;
    const upstream = await startFakeUpstream(async (q) => {
      const answer = await guard!(queryFromWire(q, queryObject('loop.example.org', 'A')), unreachable);
      return reply(q, { rcode: answer.kind === 'records' ? answer.rcode : 0 });
    });
    const c = client({ servers: [at(upstream.port)], timeoutMs: 2000 });
    // A second forward stage over the same client plays the server the query comes back to.
    guard = createForwardStage(c, { onLoopDetected: (q) => loops.push(q) });
    const forward = createForwardStage(c);
    const bytes = relayed(await forward(queryObject('loop.example.org', 'A'), unreachable));
    expect(decodeReply(bytes).rcode).toBe('SERVFAIL');
    expect(loops).toHaveLength(1);
    // The same question from a client with another id is no loop.
    expect(c.isOwnQuery(buildQuery('loop.example.org', 'A'))).toBe(false);
  });
});
