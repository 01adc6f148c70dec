/**
 * The container recipe (docs/containers.md), checked with a network namespace standing in for a
 * container: a veth pair on a private /30 that exists only on this machine, the server listening on
 * the host end (as on a Docker bridge address, port 53: resolv.conf and compose's `dns:` take no
 * port), and /etc/netns/NAME/resolv.conf pointing at it with the search path a Pod would have.
 * Skips, saying why, where `ip netns` is not permitted (it needs root / CAP_SYS_ADMIN).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsServer, type DnsServer } from '../../src/server.js';

const id = process.pid % 100_000;
const NS = `cdns-${id}`;
const HOST_END = `cdh${id}`;
const CONTAINER_END = `cdc${id}`;
let unavailable: string | undefined;
let hostAddress = '';
let containerAddress = '';
let server: DnsServer | undefined;

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const runAsync = promisify(execFile);
/** Set-up commands may block; a client in the namespace must not, or this process's server could not answer it. */
const inContainer = async (args: string[]) => (await runAsync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' })).stdout;

/** A /30 of 198.18.0.0/15 (RFC 2544: never routed beyond a test bed) that no interface here uses yet. */
function freeSubnet(): [string, string] {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 64; i++) {
    const n = (id * 7 + i) % 16384;
    const third = Math.floor(n / 64);
    const fourth = (n % 64) * 4;
    const base = `198.18.${third}.`;
    if (!used.includes(`${base}${fourth + 1}/`) && !used.includes(`${base}${fourth + 2}/`)) return [`${base}${fourth + 1}`, `${base}${fourth + 2}`];
  }
  throw new Error('no free /30 in 198.18.0.0/15');
}

beforeAll(async () => {
  try {
    run('ip', ['netns', 'add', NS]);
  } catch (error) {
    unavailable = `ip netns is not permitted here (${String((error as { stderr?: string }).stderr ?? error).trim()})`;
    return;
  }
  [hostAddress, containerAddress] = freeSubnet();
  run('ip', ['link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', CONTAINER_END]);
  run('ip', ['link', 'set', CONTAINER_END, 'netns', NS]);
  run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', HOST_END]);
  run('ip', ['link', 'set', HOST_END, 'up']);
  run('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', `${containerAddress}/30`, 'dev', CONTAINER_END]);
  run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', CONTAINER_END, 'up']);
  run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  // `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc: the container's own resolver files.
  mkdirSync(`/etc/netns/${NS}`, { recursive: true });
  writeFileSync(`/etc/netns/${NS}/resolv.conf`, `nameserver ${hostAddress}\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
  // As in most images: no mDNS module, which would claim every name ending in .local.
  writeFileSync(`/etc/netns/${NS}/nsswitch.conf`, 'hosts: files dns\n');
  server = createDnsServer({
    zones: ['test/fixtures/equivalence/native.yaml', 'test/fixtures/ingress/hosts.yaml'],
    host: hostAddress,
    // Port 53 on an address only this test has: resolv.conf (and Docker's dns:) cannot name a port.
    port: 53,
    upstream: 'none',
    ingressZones: 'example.test',
    ingressAddress: hostAddress,
  });
  await server.start();
});

afterAll(async () => {
  await server?.stop();
  if (unavailable) return;
  rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  try {
    rmdirSync('/etc/netns'); // only when empty: another namespace's files stay
  } catch {
    // Not empty, or not ours.
  }
  try {
    run('ip', ['link', 'del', HOST_END]);
  } catch {
    // Gone with the namespace already.
  }
  run('ip', ['netns', 'del', NS]);
});

describe('a container resolving through a server on its bridge address', () => {
  it('getent hosts answers a short name through the search path, a full name, and an Ingress host', async (context) => {
    if (unavailable) return context.skip(unavailable);
    // web.shop has one dot (< ndots:5), so the search path turns it into web.shop.svc.cluster.local.
    expect(await inContainer(['getent', 'hosts', 'web.shop'])).toBe('fd00::10        web.shop.svc.cluster.local\n');
    expect((await inContainer(['getent', 'ahostsv4', 'web.shop'])).split('\n')[0]).toBe('10.96.0.10      STREAM web.shop.svc.cluster.local');
    expect(await inContainer(['getent', 'hosts', 'web.shop.svc.cluster.local'])).toBe('fd00::10        web.shop.svc.cluster.local\n');
    expect((await inContainer(['getent', 'ahostsv4', 'shop.example.test'])).split('\n')[0]).toBe('192.0.2.10      STREAM shop.example.test');
    // An Ingress without status answers --ingress-address: here the bridge address the container can reach.
    expect((await inContainer(['getent', 'ahostsv4', 'admin.example.test'])).split('\n')[0]).toBe(`${hostAddress.padEnd(15)} STREAM admin.example.test`);
  });

  it('a name nobody serves is an authoritative NXDOMAIN from the server in resolv.conf (dig inside the namespace)', async (context) => {
    if (unavailable) return context.skip(unavailable);
    const out = await inContainer(['dig', '+time=10', '+tries=1', 'nope.shop.svc.cluster.local']);
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(out).toMatch(/flags: qr aa rd;/);
    expect(out).toContain(`SERVER: ${hostAddress}#53(${hostAddress})`);
  });
});
