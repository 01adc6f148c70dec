/**
 * What routes the cluster zone (and the ingress zones) to this server on one OS, and nothing else:
 * a systemd-resolved link of its own (systemd-networkd files), macOS /etc/resolver files, or Windows NRPT rules. Pure: files,
 * commands and notes as values; setup-resolver.ts prints, writes or removes them.
 */

export type ResolverOs = 'linux' | 'macos' | 'windows';

export interface ResolverPlanInput {
  readonly os: ResolverOs;
  /** Lowercase zones without the trailing dot, cluster domain first. */
  readonly zones: readonly string[];
  /** The address clients reach the server on (a wildcard listen address means loopback). */
  readonly address: string;
  readonly port: number;
  /** systemd's version on Linux (`resolvectl --version`); undefined when unknown. */
  readonly systemdVersion?: number | undefined;
}

export interface PlannedFile {
  /** Absolute path on the target system (setup-resolver.ts puts --root in front). */
  readonly path: string;
  readonly content: string;
}

export interface ResolverPlan {
  readonly os: ResolverOs;
  /** Files `--apply` writes (Linux, macOS). */
  readonly files: readonly PlannedFile[];
  /** Commands to run after writing them (Linux: restart resolved), or instead of files (Windows). */
  readonly commands: readonly string[];
  /** Commands that undo `commands` where no file is involved (Windows). */
  readonly undoCommands: readonly string[];
  /** Limitations and traps, one sentence each. */
  readonly notes: readonly string[];
  /** Set when this OS's resolver cannot reach the server as configured (a port it cannot take). */
  readonly blocker?: string;
}

/** systemd-resolved takes `address:port` in DNS= from this version on (systemd v246 NEWS). */
export const RESOLVED_PORT_VERSION = 246;
export const NETWORKD_DIR = '/etc/systemd/network';
/** The dummy link resolved routes the zones over, and the address it needs to count as up. */
export const RESOLVED_LINK = 'cluster-dns';
export const RESOLVED_LINK_ADDRESS = '198.18.53.53';
/** Comment on Windows NRPT rules, so undo removes exactly ours. */
export const NRPT_COMMENT = 'cluster-dns';

const HEADER = '# Written by cluster-dns setup-resolver; `cluster-dns setup-resolver --undo` removes it.';

export function planResolverSetup(input: ResolverPlanInput): ResolverPlan {
  switch (input.os) {
    case 'linux':
      return planSystemdResolved(input);
    case 'macos':
      return planMacos(input);
    case 'windows':
      return planWindows(input);
  }
}

/** `127.0.0.1:1053`, `[::1]:1053`; the bare address on port 53. */
function hostPort(address: string, port: number): string {
  if (port === 53) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A link of its own for systemd-resolved: a dummy interface whose only DNS domains are the zones as
 * routing-only domains (`~zone`) and which is no default route, so resolved sends those names to
 * cluster-dns and nothing else (systemd-resolved.service(8), "Protocols and Routing": a global
 * DNS= server would also get every name no routing domain matches). Persistent through
 * systemd-networkd files; the equivalent `resolvectl` commands (until reboot) are in the notes.
 */
function planSystemdResolved(input: ResolverPlanInput): ResolverPlan {
  const notes: string[] = [];
  const portSupported = input.systemdVersion === undefined || input.systemdVersion >= RESOLVED_PORT_VERSION;
  if (input.systemdVersion === undefined) notes.push(`systemd's version is unknown here: DNS= takes address:port only from systemd ${RESOLVED_PORT_VERSION}; check with \`resolvectl --version\``);
  const blocker = !portSupported && input.port !== 53
    ? `systemd ${input.systemdVersion} takes no port in DNS= (address:port needs systemd ${RESOLVED_PORT_VERSION}); run cluster-dns on port 53 (--port 53, which needs CAP_NET_BIND_SERVICE or root) and run this again`
    : undefined;
  const server = hostPort(input.address, input.port);
  const domains = input.zones.map((z) => `~${z}`).join(' ');
  const netdev = [HEADER, '[NetDev]', `Name=${RESOLVED_LINK}`, 'Kind=dummy', ''].join('\n');
  const network = [
    HEADER,
    `# Routes ${input.zones.join(', ')} to cluster-dns and nothing else: "~" makes them routing-only domains,`,
    '# and a link that is no default route gets no other names.',
    '[Match]',
    `Name=${RESOLVED_LINK}`,
    '',
    '[Link]',
    'RequiredForOnline=no',
    '',
    '[Network]',
    // resolved uses a link's DNS only while it has an address; one from 198.18.0.0/15 (RFC 2544) that nothing routes.
    `Address=${RESOLVED_LINK_ADDRESS}/32`,
    `DNS=${server}`,
    `Domains=${domains}`,
    'DNSDefaultRoute=no',
    '',
  ].join('\n');
  if (input.zones.some((z) => z === 'local' || z.endsWith('.local'))) {
    notes.push('".local" is also multicast DNS (RFC 6762): with nss-mdns, `mdns4_minimal [NOTFOUND=return]` in /etc/nsswitch.conf stops glibc before DNS; a zone not ending in .local avoids it');
  }
  notes.push('the files need systemd-networkd (`systemctl is-active systemd-networkd`); without it, these commands do the same until reboot: ' +
    [`ip link add ${RESOLVED_LINK} type dummy`, `ip addr add ${RESOLVED_LINK_ADDRESS}/32 dev ${RESOLVED_LINK}`, `ip link set ${RESOLVED_LINK} up`,
      `resolvectl dns ${RESOLVED_LINK} ${server}`, `resolvectl domain ${RESOLVED_LINK} ${domains}`, `resolvectl default-route ${RESOLVED_LINK} false`].join('; '));
  notes.push('only takes effect where systemd-resolved is the resolver (/etc/resolv.conf names 127.0.0.53); check with `resolvectl status ' + RESOLVED_LINK + '`');
  return {
    os: 'linux',
    files: [{ path: `${NETWORKD_DIR}/50-${RESOLVED_LINK}.netdev`, content: netdev }, { path: `${NETWORKD_DIR}/50-${RESOLVED_LINK}.network`, content: network }],
    commands: ['networkctl reload'],
    // networkd leaves a removed .netdev's link in place: delete it so resolved forgets its DNS.
    undoCommands: [`ip link del ${RESOLVED_LINK}`, 'networkctl reload'],
    notes,
    ...(blocker ? { blocker } : {}),
  };
}

/** One `/etc/resolver/<zone>` per zone (resolver(5)): nameserver and port, used for that zone only. */
function planMacos(input: ResolverPlanInput): ResolverPlan {
  const files = input.zones.map((zone) => ({
    path: `/etc/resolver/${zone}`,
    content: [HEADER, `# Names under ${zone} go to cluster-dns; everything else is untouched.`, `nameserver ${input.address}`, `port ${input.port}`, ''].join('\n'),
  }));
  const notes = ['check with `scutil --dns` (a "resolver" entry per zone); `dig` bypasses /etc/resolver, use `dscacheutil -q host -a name NAME` instead'];
  if (input.zones.some((z) => z === 'local' || z.endsWith('.local'))) {
    notes.push('macOS sends ".local" names to multicast DNS first and apps may ask for Local Network permission (kubernetes/minikube#22654); a zone not ending in .local avoids both');
  }
  return { os: 'macos', files, commands: ['dscacheutil -flushcache', 'killall -HUP mDNSResponder'], undoCommands: ['dscacheutil -flushcache', 'killall -HUP mDNSResponder'], notes };
}

/** Name Resolution Policy Table rules (Add-DnsClientNrptRule): an address per namespace, and no port. */
function planWindows(input: ResolverPlanInput): ResolverPlan {
  const blocker = input.port !== 53
    ? `Windows NRPT rules take a name server address but no port, so queries go to port 53; run cluster-dns with --port 53 (and --host ${input.address}) and run this again`
    : undefined;
  const commands = input.zones.map((zone) => `Add-DnsClientNrptRule -Namespace ".${zone}" -NameServers "${input.address}" -Comment "${NRPT_COMMENT}"`);
  return {
    os: 'windows',
    files: [],
    commands,
    undoCommands: [`Get-DnsClientNrptRule | Where-Object Comment -eq "${NRPT_COMMENT}" | Remove-DnsClientNrptRule -Force`],
    notes: ['run in an elevated PowerShell; check with `Get-DnsClientNrptPolicy` and `Resolve-DnsName`'],
    ...(blocker ? { blocker } : {}),
  };
}

/** The plan as text for a person: what to write where, what to run, and the traps. */
export function formatResolverPlan(plan: ResolverPlan): string {
  const lines: string[] = [];
  if (plan.blocker) lines.push(`# cannot be set up as configured: ${plan.blocker}`, '');
  for (const file of plan.files) lines.push(`# ${file.path}`, file.content.trimEnd(), '');
  if (plan.commands.length) lines.push(plan.files.length ? '# then run:' : '# run:', ...plan.commands, '');
  if (plan.undoCommands.length && plan.files.length === 0) lines.push('# to undo:', ...plan.undoCommands, '');
  for (const note of plan.notes) lines.push(`# note: ${note}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** `systemd 252 (252.22-1~deb12u1)` → 252. */
export function parseSystemdVersion(text: string): number | undefined {
  const m = /^systemd (\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}
