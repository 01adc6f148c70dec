/**
 * A network namespace joined to this one by a veth pair on a private /30 of 198.18.0.0/15 (RFC 2544:
 * never routed beyond a test bed): a stand-in for a container, or for a client on another host.
 * Needs root (CAP_SYS_ADMIN); where `ip netns` is not permitted, says why instead.
 */
import { execFileSync } from 'node:child_process';

export interface VethNamespace {
  /** The namespace's name (`ip netns exec NAME …`). */
  readonly name: string;
  /** This namespace's end of the pair, and its address. */
  readonly hostEnd: string;
  readonly hostAddress: string;
  /** The other end, inside the namespace, and its address. */
  readonly peerEnd: string;
  readonly peerAddress: string;
  remove(): void;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A /30 no interface here uses yet; `seed` spreads parallel test files over different ones. */
function freeSubnet(seed: number): [string, string] {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 64; i++) {
    const n = (seed + i) % 16384;
    const base = `198.18.${Math.floor(n / 64)}.`;
    const fourth = (n % 64) * 4;
    if (!used.includes(`${base}${fourth + 1}/`) && !used.includes(`${base}${fourth + 2}/`)) return [`${base}${fourth + 1}`, `${base}${fourth + 2}`];
  }
  throw new Error('no free /30 in 198.18.0.0/15');
}

/** `tag`: a few letters naming the test (interface names are at most 15 characters). */
export function createVethNamespace(tag: string): VethNamespace | { unavailable: string } {
  const id = process.pid % 100_000;
  const name = `cd${tag}-${id}`;
  try {
    run('ip', ['netns', 'add', name]);
  } catch (error) {
    return { unavailable: `ip netns is not permitted here (${String((error as { stderr?: string }).stderr ?? error).trim()})` };
  }
  const hostEnd = `${tag}h${id}`;
  const peerEnd = `${tag}p${id}`;
  const [hostAddress, peerAddress] = freeSubnet(id * 7 + [...tag].reduce((sum, c) => sum + c.charCodeAt(0) * 97, 0));
  run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peerEnd]);
  run('ip', ['link', 'set', peerEnd, 'netns', name]);
  run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostEnd]);
  run('ip', ['link', 'set', hostEnd, 'up']);
  run('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${peerAddress}/30`, 'dev', peerEnd]);
  run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', peerEnd, 'up']);
  run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    hostEnd,
    hostAddress,
    peerEnd,
    peerAddress,
    remove() {
      try {
        run('ip', ['link', 'del', hostEnd]);
      } catch {
        // Gone with the namespace already.
      }
      run('ip', ['netns', 'del', name]);
    },
  };
}
