// setup-resolver's pure generator: exactly the files and commands per OS, the port limits said plainly.
import { describe, expect, it } from 'vitest';
import { formatResolverPlan, parseSystemdVersion, planResolverSetup } from '../../../src/commands/resolver-plan.js';

const HEADER = '# Written by cluster-dns setup-resolver; `cluster-dns setup-resolver --undo` removes it.';
const zones = ['cluster.local', 'example.test'];

describe('planResolverSetup', () => {
  it('linux (systemd ≥ 246): a dummy link of its own via systemd-networkd, routing-only domains, no default route', () => {
    const plan = planResolverSetup({ os: 'linux', zones, address: '127.0.0.1', port: 1053, systemdVersion: 252 });
    expect(plan.files).toEqual([
      { path: '/etc/systemd/network/50-cluster-dns.netdev', content: `${HEADER}\n[NetDev]\nName=cluster-dns\nKind=dummy\n` },
      {
        path: '/etc/systemd/network/50-cluster-dns.network',
        content: [
          HEADER,
          '# Routes cluster.local, example.test to cluster-dns and nothing else: "~" makes them routing-only domains,',
          '# and a link that is no default route gets no other names.',
          '[Match]', 'Name=cluster-dns', '', '[Link]', 'RequiredForOnline=no', '',
          '[Network]', 'Address=198.18.53.53/32', 'DNS=127.0.0.1:1053', 'Domains=~cluster.local ~example.test', 'DNSDefaultRoute=no', '',
        ].join('\n'),
      },
    ]);
    expect(plan.commands).toEqual(['networkctl reload']);
    expect(plan.undoCommands).toEqual(['ip link del cluster-dns', 'networkctl reload']);
    expect(plan.blocker).toBeUndefined();
    expect(plan.notes).toEqual([
      '".local" is also multicast DNS (RFC 6762): with nss-mdns, `mdns4_minimal [NOTFOUND=return]` in /etc/nsswitch.conf stops glibc before DNS; a zone not ending in .local avoids it',
      'the files need systemd-networkd (`systemctl is-active systemd-networkd`); without it, these commands do the same until reboot: ip link add cluster-dns type dummy; ip addr add 198.18.53.53/32 dev cluster-dns; ip link set cluster-dns up; resolvectl dns cluster-dns 127.0.0.1:1053; resolvectl domain cluster-dns ~cluster.local ~example.test; resolvectl default-route cluster-dns false',
      'only takes effect where systemd-resolved is the resolver (/etc/resolv.conf names 127.0.0.53); check with `resolvectl status cluster-dns`',
    ]);
  });

  it('linux before systemd 246: no port in DNS=, so another port than 53 is a blocker that says what to do', () => {
    const old = planResolverSetup({ os: 'linux', zones: ['cluster.internal'], address: '127.0.0.1', port: 1053, systemdVersion: 245 });
    expect(old.blocker).toBe('systemd 245 takes no port in DNS= (address:port needs systemd 246); run cluster-dns on port 53 (--port 53, which needs CAP_NET_BIND_SERVICE or root) and run this again');
    const on53 = planResolverSetup({ os: 'linux', zones: ['cluster.internal'], address: '::1', port: 53, systemdVersion: 245 });
    expect(on53.blocker).toBeUndefined();
    expect(on53.files[1]!.content).toContain('\nDNS=::1\nDomains=~cluster.internal\n');
    expect(planResolverSetup({ os: 'linux', zones, address: '::1', port: 5353 }).files[1]!.content).toContain('\nDNS=[::1]:5353\n');
  });

  it('macos: one /etc/resolver file per zone with nameserver and port; the .local trap named', () => {
    const plan = planResolverSetup({ os: 'macos', zones, address: '127.0.0.1', port: 1053 });
    expect(plan.files).toEqual([
      { path: '/etc/resolver/cluster.local', content: `${HEADER}\n# Names under cluster.local go to cluster-dns; everything else is untouched.\nnameserver 127.0.0.1\nport 1053\n` },
      { path: '/etc/resolver/example.test', content: `${HEADER}\n# Names under example.test go to cluster-dns; everything else is untouched.\nnameserver 127.0.0.1\nport 1053\n` },
    ]);
    expect(plan.notes[1]).toBe('macOS sends ".local" names to multicast DNS first and apps may ask for Local Network permission (kubernetes/minikube#22654); a zone not ending in .local avoids both');
  });

  it('windows: NRPT rules per zone with our comment, undone by that comment; port 53 only', () => {
    const plan = planResolverSetup({ os: 'windows', zones, address: '127.0.0.1', port: 53 });
    expect(plan.files).toEqual([]);
    expect(plan.commands).toEqual([
      'Add-DnsClientNrptRule -Namespace ".cluster.local" -NameServers "127.0.0.1" -Comment "cluster-dns"',
      'Add-DnsClientNrptRule -Namespace ".example.test" -NameServers "127.0.0.1" -Comment "cluster-dns"',
    ]);
    expect(plan.undoCommands).toEqual(['Get-DnsClientNrptRule | Where-Object Comment -eq "cluster-dns" | Remove-DnsClientNrptRule -Force']);
    expect(planResolverSetup({ os: 'windows', zones, address: '127.0.0.1', port: 1053 }).blocker).toBe(
      'Windows NRPT rules take a name server address but no port, so queries go to port 53; run cluster-dns with --port 53 (and --host 127.0.0.1) and run this again',
    );
  });

  it('formats a plan as the files, then the commands, then the notes', () => {
    const text = formatResolverPlan(planResolverSetup({ os: 'windows', zones: ['cluster.internal'], address: '127.0.0.1', port: 1053 }));
    expect(text).toBe([
      '# cannot be set up as configured: Windows NRPT rules take a name server address but no port, so queries go to port 53; run cluster-dns with --port 53 (and --host 127.0.0.1) and run this again',
      '',
      '# run:',
      'Add-DnsClientNrptRule -Namespace ".cluster.internal" -NameServers "127.0.0.1" -Comment "cluster-dns"',
      '',
      '# to undo:',
      'Get-DnsClientNrptRule | Where-Object Comment -eq "cluster-dns" | Remove-DnsClientNrptRule -Force',
      '',
      '# note: run in an elevated PowerShell; check with `Get-DnsClientNrptPolicy` and `Resolve-DnsName`',
      '',
    ].join('\n'));
  });

  it('reads systemd versions as resolvectl prints them', () => {
    expect(parseSystemdVersion('systemd 252 (252.22-1~deb12u1)\n+PAM +AUDIT')).toBe(252);
    expect(parseSystemdVersion('resolvectl: command not found')).toBeUndefined();
  });
});
