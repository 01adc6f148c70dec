import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { LOOP_OPTION_CODE } from '../../../src/upstream/loop-token.js';
import { createUpstreamClient, UpstreamError, type UpstreamClient, type UpstreamClientOptions } from '../../../src/upstream/upstream-client.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { reply, rr, startFakeUpstream, type Behaviour } from '../../helpers/fake-upstream.js';

const A = [192, 0, 2, 1];
const answerA: Behaviour = (q) => reply(q, { answer: [rr('example.org', 1, 300, A)] });
const at = (port: number) => ({ address: '127.0.0.1', port });

const clients: UpstreamClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));
function client(options: UpstreamClientOptions): UpstreamClient {
  const c = createUpstreamClient(options);
  clients.push(c);
  return c;
}

/** A UDP port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('upstream client', () => {
  it('returns the reply byte for byte with only the id restored, types nobody models included', async () => {
    let sent: Buffer | undefined;
    const upstream = await startFakeUpstream((q) => {
      sent = reply(q, { answer: [rr('example.org', 1, 300, A), rr('example.org', 65, 300, [0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32])] });
      return sent;
    });
    const c = client({ servers: [at(upstream.port)] });
    const got = Buffer.from(await c.exchange(buildQuery('example.org', 'A', { id: 0xbeef })));
    expect(got.readUInt16BE(0)).toBe(0xbeef);
    expect(got.subarray(2)).toEqual(sent!.subarray(2));
    expect(c.inFlight()).toBe(0);
  });

  it('sends a fresh random id on each try, never the client id (RFC 5452)', async () => {
    const ids: number[] = [];
    const upstream = await startFakeUpstream((q) => {
      ids.push(q.readUInt16BE(0));
      return answerA(q, 'udp');
    });
    const c = client({ servers: [at(upstream.port)] });
    for (let i = 0; i < 4; i++) await c.exchange(buildQuery('example.org', 'A', { id: 1 }));
    expect(new Set(ids).size).toBeGreaterThan(1);
    expect(ids.filter((id) => id === 1).length).toBeLessThan(2);
  });

  it('keeps the client EDNS and DO bit, and adds the loop marker to the OPT record', async () => {
    let received: Buffer | undefined;
    const upstream = await startFakeUpstream((q) => {
      received = q;
      return answerA(q, 'udp');
    });
    const c = client({ servers: [at(upstream.port)] });
    const query = buildQuery('example.org', 'A', { edns: { do: true, udpSize: 4096 } });
    await c.exchange(query);
    const optAt = query.length - 11;
    expect(received!.subarray(2, optAt + 9)).toEqual(query.subarray(2, optAt + 9)); // header flags .. OPT TTL
    expect(received!.readUInt16BE(optAt + 3)).toBe(4096);
    expect(received![optAt + 7]! & 0x80).toBe(0x80);
    expect(received!.readUInt16BE(query.length)).toBe(LOOP_OPTION_CODE);
    expect(c.isOwnQuery(received!)).toBe(true);
    expect(c.isOwnQuery(query)).toBe(false);
  });

  it('fetches a truncated reply again over TCP from the same upstream', async () => {
    const upstream = await startFakeUpstream((q, transport) => (transport === 'udp' ? reply(q, { tc: true }) : answerA(q, transport)));
    const c = client({ servers: [at(upstream.port)] });
    const got = Buffer.from(await c.exchange(buildQuery('example.org', 'A')));
    expect(got[2]! & 0x02).toBe(0);
    expect(got.readUInt16BE(6)).toBe(1);
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('ignores replies with a wrong id, another question, or garbage, and keeps waiting', async () => {
    const upstream = await startFakeUpstream((q) => [
      reply(q, { id: q.readUInt16BE(0) ^ 0xffff, answer: [rr('example.org', 1, 300, [6, 6, 6, 6])] }),
      reply(buildQuery('evil.example', 'A', { id: q.readUInt16BE(0) }), { answer: [rr('evil.example', 1, 300, [6, 6, 6, 6])] }),
      Buffer.from('not dns at all'),
      Buffer.from(q), // the query itself: QR=0
      answerA(q, 'udp') as Buffer,
    ]);
    const c = client({ servers: [at(upstream.port)] });
    const got = Buffer.from(await c.exchange(buildQuery('example.org', 'A')));
    expect([...got.subarray(got.length - 4)]).toEqual(A);
  });

  it('moves on when an upstream is silent, and starts with the one that answered next time', async () => {
    const dead = await startFakeUpstream(() => 'drop');
    const alive = await startFakeUpstream(answerA);
    const c = client({ servers: [at(dead.port), at(alive.port)], timeoutMs: 200 });
    const started = performance.now();
    await c.exchange(buildQuery('example.org', 'A'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    await c.exchange(buildQuery('example.org', 'A'));
    expect([dead.queries.length, alive.queries.length]).toEqual([1, 2]);
  });

  it('moves on at once from a closed port (ICMP unreachable on a connected socket)', async () => {
    const alive = await startFakeUpstream(answerA);
    // An hour's timeout: only the ICMP error can move it on before the test's own timeout.
    const c = client({ servers: [at(await closedPort()), at(alive.port)], timeoutMs: 3_600_000 });
    await c.exchange(buildQuery('example.org', 'A'));
    expect(alive.queries).toHaveLength(1);
  });

  it('fails with UPSTREAM_TIMEOUT within timeout × upstreams when all are silent or slow', async () => {
    const dead = await startFakeUpstream(() => 'drop');
    const events: string[] = [];
    const slow = await startFakeUpstream(async (q) => {
      await new Promise((r) => setTimeout(r, 600));
      events.push('slow upstream answers');
      return answerA(q, 'udp');
    });
    const c = client({ servers: [at(dead.port), at(slow.port)], timeoutMs: 200 });
    const started = performance.now();
    const error = await failure(c.exchange(buildQuery('example.org', 'A')));
    events.push('exchange failed');
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toMatch(/^no upstream answered: 127\.0\.0\.1:\d+ timed out; 127\.0\.0\.1:\d+ timed out$/);
    // The 200 ms deadline of the second try expires before the 600 ms answer: the order of timers,
    // not the speed of the machine, decides this.
    await expect.poll(() => events).toEqual(['exchange failed', 'slow upstream answers']);
  });

  it('counts a TCP retry inside the same per-try deadline', async () => {
    const events: string[] = [];
    const upstream = await startFakeUpstream(async (q, transport) => {
      if (transport === 'udp') return reply(q, { tc: true });
      await new Promise((r) => setTimeout(r, 1000));
      events.push('TCP answer sent');
      return answerA(q, transport);
    });
    const c = client({ servers: [at(upstream.port)], timeoutMs: 250 });
    expect((await failure(c.exchange(buildQuery('example.org', 'A')))).code).toBe('UPSTREAM_TIMEOUT');
    events.push('exchange failed');
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    // The TCP retry had what was left of the 250 ms, not a deadline of its own.
    expect(events).toEqual(['exchange failed']);
  });

  it('fails with UPSTREAM_UNREACHABLE when the ports are closed', async () => {
    const c = client({ servers: [at(await closedPort()), at(await closedPort())], timeoutMs: 2000 });
    const error = await failure(c.exchange(buildQuery('example.org', 'A')));
    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails fast with UPSTREAM_BUSY past the in-flight cap', async () => {
    const dead = await startFakeUpstream(() => 'drop');
    const c = client({ servers: [at(dead.port)], timeoutMs: 300, maxInFlight: 2 });
    const pending = [c.exchange(buildQuery('a.example.org', 'A')), c.exchange(buildQuery('b.example.org', 'A'))];
    expect(c.inFlight()).toBe(2);
    expect((await failure(c.exchange(buildQuery('c.example.org', 'A')))).code).toBe('UPSTREAM_BUSY');
    await Promise.allSettled(pending);
    expect(c.inFlight()).toBe(0);
  });

  it('close() ends tries at once, tries no further upstream, and refuses new exchanges', async () => {
    const dead1 = await startFakeUpstream(() => 'drop');
    const dead2 = await startFakeUpstream(() => 'drop');
    const c = createUpstreamClient({ servers: [at(dead1.port), at(dead2.port)], timeoutMs: 5000 });
    const pending = c.exchange(buildQuery('example.org', 'A'));
    await expect.poll(() => dead1.queries.length).toBe(1);
    // The try would wait 5 s; close() ends it, so the rejection is UPSTREAM_CLOSED, not a timeout.
    c.close();
    expect((await failure(pending)).code).toBe('UPSTREAM_CLOSED');
    expect(dead2.queries).toHaveLength(0);
    expect((await failure(c.exchange(buildQuery('example.org', 'A')))).code).toBe('UPSTREAM_CLOSED');
  });

  it('refuses an upstream that is one of its own listening addresses, and bad configuration', () => {
    const make = (options: UpstreamClientOptions) => () => createUpstreamClient(options);
    expect(make({ servers: [at(1053)], selfAddresses: [at(1053)] })).toThrow(ConfigError);
    expect(make({ servers: [at(53), at(1053)], selfAddresses: [{ address: '0.0.0.0', port: 1053 }] })).toThrow(
      "upstream: 127.0.0.1:1053 is this server's own address (a forwarding loop)",
    );
    expect(make({ servers: [{ address: '::1', port: 1053 }], selfAddresses: [{ address: '::', port: 1053 }] })).toThrow('[::1]:1053');
    expect(make({ servers: [at(1053)], selfAddresses: [at(1054)] })).not.toThrow();
    expect(make({ servers: [] })).toThrow(ConfigError);
    expect(make({ servers: [{ address: 'dns.example.org', port: 53 }] })).toThrow('is not an IP address');
    expect(make({ servers: [at(0)] })).toThrow('bad port');
  });
});
