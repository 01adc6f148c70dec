/**
 * The default recursion ACL beyond loopback (no --allow-recursion): forwarding for loopback and the
 * host's private networks only, REFUSED for other clients, cluster names for everyone; over real UDP
 * from 127.0.0.1 and from 127.0.0.2, which the injected interface table leaves out.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli-args.js';
import type { InterfaceTable } from '../../src/dns/local-networks.js';
import { recursionPolicy, resolveOptions } from '../../src/options.js';
import { buildQuery, decodeReply, type DecodedReply } from '../helpers/dns-client.js';
import { reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];
/** Only 127.0.0.1 itself is "this host": 127.0.0.2 stands in for a client on another network. */
const onlyLoopbackHost: InterfaceTable = { lo: [{ address: '127.0.0.1', cidr: '127.0.0.1/32', internal: true }] };

/** One UDP query sent from `source` (any 127/8 address works as a source on Linux). */
function queryFrom(source: string, port: number, name: string): Promise<DecodedReply> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', (e) => { socket.close(); reject(e); });
    socket.on('message', (msg) => { socket.close(); resolve(decodeReply(msg)); });
    socket.bind(0, source, () => socket.send(buildQuery(name, 'A', { edns: {} }), port, '127.0.0.1'));
  });
}

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('default recursion ACL beyond loopback', () => {
  it('forwards for this host, refuses a foreign client, answers cluster names to both, and says so at start', async () => {
    const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('example.org', 1, 300, [192, 0, 2, 1])] }));
    const log = captureLog();
    const { port } = await startServer({
      zones,
      host: '0.0.0.0',
      upstream: [{ address: '127.0.0.1', port: upstream.port }],
      upstreamTimeoutMs: 10_000,
      networkInterfaces: () => onlyLoopbackHost,
      logger: log.logger,
    });

    const local = await queryFrom('127.0.0.1', port, 'example.org');
    expect([local.rcode, local.answer]).toEqual(['NOERROR', ['example.org. 300 IN A 192.0.2.1']]);
    expect(upstream.queries).toHaveLength(1);

    const foreign = await queryFrom('127.0.0.2', port, 'example.org');
    expect([foreign.rcode, foreign.answer, foreign.edns?.ede]).toEqual(['REFUSED', [], { code: 18, text: 'recursion is not allowed for this client (--allow-recursion)' }]);
    expect(upstream.queries).toHaveLength(1);

    const cluster = await queryFrom('127.0.0.2', port, 'web.shop.svc.cluster.local');
    expect([cluster.rcode, cluster.answer]).toEqual(['NOERROR', ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10']]);

    const said = log.lines.find((l) => l.from === 'local networks');
    expect(said).toMatchObject({
      host: '0.0.0.0',
      allowRecursion: ['127.0.0.1/32'],
      msg: "forwarding only for this host's loopback and private networks (--allow-recursion to change); others get REFUSED",
    });
  });

  it('lets --allow-recursion open it to everyone when asked', async () => {
    const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('example.org', 1, 300, [192, 0, 2, 1])] }));
    const { port } = await startServer({
      zones,
      host: '0.0.0.0',
      upstream: [{ address: '127.0.0.1', port: upstream.port }],
      upstreamTimeoutMs: 10_000,
      allowRecursion: ['0.0.0.0/0', '::/0'],
      networkInterfaces: () => onlyLoopbackHost,
    });
    expect((await queryFrom('127.0.0.2', port, 'example.org')).answer).toEqual(['example.org. 300 IN A 192.0.2.1']);
  });
});

describe('the shipped examples stay safe as written', () => {
  /** The Dockerfile's ENV lines as CLUSTER_DNS_* variables. */
  function dockerfileEnv(): NodeJS.ProcessEnv {
    const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
    const env: NodeJS.ProcessEnv = {};
    for (const line of text.split('\n').filter((l) => l.startsWith('ENV '))) {
      for (const [, k, v] of line.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
    }
    return env;
  }

  it('the Docker image listens on 0.0.0.0 and forwards only for the container host\'s private networks', () => {
    const env = dockerfileEnv();
    expect(env.CLUSTER_DNS_HOST).toBe('0.0.0.0');
    const line = parseCommandLine(['serve'], env);
    // The image forwards to the nameservers of its resolv.conf (main.ts fills them in): with a docker
    // bridge as its only interface, the host publishing the port (172.17.0.1) may recurse, the world not.
    const options = resolveOptions({ ...line.options, zones: [], upstream: '192.0.2.53' });
    const bridge: InterfaceTable = {
      lo: [{ address: '127.0.0.1', cidr: '127.0.0.1/8', internal: true }],
      eth0: [{ address: '172.17.0.2', cidr: '172.17.0.2/16', internal: false }],
    };
    const policy = recursionPolicy(options, () => bridge);
    expect(policy.kind === 'listed' && policy.cidrs).toEqual(['127.0.0.0/8', '172.17.0.0/16']);
    if (policy.kind !== 'listed') return;
    expect(['172.17.0.1', '127.0.0.1', '198.51.100.7', '10.0.0.1'].map(policy.allowed)).toEqual([true, true, false, false]);
  });

  it('the Deployment forwards nothing (--upstream none), so it cannot be an open resolver', () => {
    const text = readFileSync('deploy/deployment.yaml', 'utf8');
    expect(text).toMatch(/- --upstream\n\s+- none\n/);
  });
});
