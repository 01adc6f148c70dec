// `cluster-dns setup-resolver` through the built CLI: print, --apply into a temporary root, --undo removes exactly what it wrote.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/main.js', 'setup-resolver', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'cluster-dns-root-'));
  roots.push(root);
  // A system that already has /etc with a file of its own, which nothing may touch.
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  return root;
}

const NETDEV = 'etc/systemd/network/50-cluster-dns.netdev';
const NETWORK = 'etc/systemd/network/50-cluster-dns.network';
const flags = ['--os', 'linux', '--port', '1053', '--ingress-zones', 'example.test'];

describe('setup-resolver', () => {
  it('prints the plan for the chosen OS and exits 0; a port the OS cannot take exits 1 saying why', () => {
    const mac = cli(['--os', 'macos', '--port', '1053', '--cluster-domain', 'cluster.internal']);
    expect(mac.status).toBe(0);
    expect(mac.stdout).toContain('# /etc/resolver/cluster.internal\n');
    expect(mac.stdout).toContain('nameserver 127.0.0.1\nport 1053\n');
    const win = cli(['--os', 'windows', '--port', '1053']);
    expect(win.status).toBe(1);
    expect(win.stdout.split('\n')[0]).toBe('# cannot be set up as configured: Windows NRPT rules take a name server address but no port, so queries go to port 53; run cluster-dns with --port 53 (and --host 127.0.0.1) and run this again');
    const bad = cli(['--os', 'bsd']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('cluster-dns: --os: "bsd" must be linux, macos or windows');
  });

  it('--apply writes the networkd files and a record; --undo removes exactly those and the directories it made', () => {
    const root = tempRoot();
    const applied = cli([...flags, '--apply', '--root', root]);
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    expect(applied.stdout).toBe(`wrote ${join(root, NETDEV)}\nwrote ${join(root, NETWORK)}\nnot run for --root ${root}:\n  networkctl reload\n`);
    expect(readFileSync(join(root, NETDEV), 'utf8')).toBe('# Written by cluster-dns setup-resolver; `cluster-dns setup-resolver --undo` removes it.\n[NetDev]\nName=cluster-dns\nKind=dummy\n');
    expect(readFileSync(join(root, NETWORK), 'utf8')).toContain('\n[Network]\nAddress=198.18.53.53/32\nDNS=127.0.0.1:1053\nDomains=~cluster.local ~example.test\nDNSDefaultRoute=no\n');
    const record = JSON.parse(readFileSync(join(root, 'etc/cluster-dns/setup-resolver.json'), 'utf8')) as { files: { path: string }[]; createdDirs: string[] };
    expect(record.files.map((f) => f.path)).toEqual(['/etc/systemd/network/50-cluster-dns.netdev', '/etc/systemd/network/50-cluster-dns.network']);
    expect(record.createdDirs).toEqual(['/etc/systemd', '/etc/systemd/network', '/etc/cluster-dns']);
    // Applying again replaces our own file (it is in the record) and changes nothing else.
    expect(cli([...flags, '--apply', '--root', root]).status).toBe(0);

    const undone = cli(['--undo', '--root', root]);
    expect(undone.status).toBe(0);
    expect(undone.stdout).toBe(`removed ${join(root, NETDEV)}\nremoved ${join(root, NETWORK)}\nnot run for --root ${root}:\n  ip link del cluster-dns\n  networkctl reload\n`);
    for (const gone of ['etc/systemd', 'etc/cluster-dns']) expect(existsSync(join(root, gone))).toBe(false);
    expect(readFileSync(join(root, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    expect(cli(['--undo', '--root', root]).stdout).toBe(`nothing to undo: no ${join(root, 'etc/cluster-dns/setup-resolver.json')} (setup-resolver --apply writes it)\n`);
  });

  it('never overwrites a file it did not write, and --undo leaves one changed since', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'etc/systemd/network'), { recursive: true });
    writeFileSync(join(root, NETWORK), '[Match]\nName=cluster-dns\n');
    const refused = cli([...flags, '--apply', '--root', root]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`setup-resolver --apply: ${join(root, NETWORK)} exists and was not written by setup-resolver; left as it is (move it away, or merge by hand)\n`);
    expect(readFileSync(join(root, NETWORK), 'utf8')).toBe('[Match]\nName=cluster-dns\n');
    expect(existsSync(join(root, NETDEV))).toBe(false);

    const other = tempRoot();
    expect(cli([...flags, '--apply', '--root', other]).status).toBe(0);
    writeFileSync(join(other, NETWORK), 'edited by hand\n');
    const undone = cli(['--undo', '--root', other]);
    expect(undone.status).toBe(1);
    expect(undone.stderr).toBe(`setup-resolver: ${join(other, NETWORK)} changed since setup-resolver wrote it; left in place\n`);
    expect(readFileSync(join(other, NETWORK), 'utf8')).toBe('edited by hand\n');
    expect(existsSync(join(other, NETDEV))).toBe(false);
  });

  it('--apply without the rights refuses and names the directory it needs', (context) => {
    const root = tempRoot();
    chmodSync(root, 0o755);
    chmodSync(join(root, 'etc'), 0o755);
    // As an unprivileged user (nobody); where setpriv cannot switch users the check cannot be made.
    try {
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true'], { stdio: 'ignore' });
    } catch {
      context.skip('setpriv cannot run a command as nobody here (not root, or no setpriv)');
    }
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'dist/main.js', 'setup-resolver', ...flags, '--apply', '--root', root], { encoding: 'utf8' });
    expect(r.stderr).toBe(`setup-resolver --apply: cannot write ${join(root, 'etc')} (needs root: run it with sudo)\n`);
    expect(r.status).toBe(1);
    expect(existsSync(join(root, 'etc/systemd'))).toBe(false);
  });
});
