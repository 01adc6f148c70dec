/**
 * The container recipe (docs/containers.md), checked with a network namespace standing in for a
 * container: a veth pair on a private /30 that exists only on this machine, the server listening on
 * the host end (as on a Docker bridge address, port 53: resolv.conf and compose's `dns:` take no
 * port), and /etc/netns/NAME/resolv.conf pointing at it with the search path a Pod would have.
 * Skips, saying why, where `ip netns` is not permitted (it needs root / CAP_SYS_ADMIN).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsServer, type DnsServer } from '../../src/server.js';
import { createVethNamespace, type VethNamespace } from '../helpers/veth-namespace.js';

let unavailable: string | undefined;
let container: VethNamespace | undefined;
let hostAddress = '';
let server: DnsServer | undefined;

const runAsync = promisify(execFile);
/** Set-up commands may block; a client in the namespace must not, or this process's server could not answer it. */
const inContainer = async (args: string[]) => (await runAsync('ip', ['netns', 'exec', container!.name, ...args], { encoding: 'utf8' })).stdout;

beforeAll(async () => {
  const created = createVethNamespace('ct');
  if ('unavailable' in created) {
    unavailable = created.unavailable;
    return;
  }
  container = created;
  hostAddress = created.hostAddress;
  const NS = created.name;
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
  if (!container) return;
  rmSync(`/etc/netns/${container.name}`, { recursive: true, force: true });
  try {
    rmdirSync('/etc/netns'); // only when empty: another namespace's files stay
  } catch {
    // Not empty, or not ours.
  }
  container.remove();
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
