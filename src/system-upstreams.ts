/** The upstreams the CLI takes from /etc/resolv.conf when --upstream is not given, and what to warn about them. Pure. */
import { parseResolvConf } from './cli-args.js';
import type { UpstreamAddress } from './options.js';
import { upstreamIsSelf } from './upstream/self-address.js';

export interface SystemUpstreams {
  readonly upstream: readonly UpstreamAddress[] | 'none';
  /** One line each, for the start-up log: forwarding silently off, or a likely loop. */
  readonly warnings: readonly string[];
}

/** systemd-resolved's stub listeners (resolved.conf(5): 127.0.0.53 the stub, 127.0.0.54 the proxy). */
const RESOLVED_STUBS: ReadonlySet<string> = new Set(['127.0.0.53', '127.0.0.54']);

/**
 * The nameservers of resolv.conf `text` (undefined: the file could not be read), less this server
 * itself (`host:port`); none means forwarding is off, which is said, not silent.
 */
export function systemUpstreams(text: string | undefined, host: string, port: number, path = '/etc/resolv.conf'): SystemUpstreams {
  if (text === undefined) {
    return { upstream: 'none', warnings: [`forwarding is off: ${path} could not be read; names outside the cluster get REFUSED (pass --upstream IP[,IP] to forward)`] };
  }
  const named = parseResolvConf(text);
  const servers = named.filter((u) => !upstreamIsSelf(u, host, port));
  const warnings: string[] = [];
  if (servers.length === 0) {
    const why = named.length === 0 ? 'names no nameserver' : 'names only this server';
    warnings.push(`forwarding is off: ${path} ${why}; names outside the cluster get REFUSED (pass --upstream IP[,IP] to forward)`);
  }
  for (const stub of servers.filter((u) => RESOLVED_STUBS.has(u.address) && u.port === 53)) {
    // resolved sends names routed to us (~cluster.local, docs/system-setup.md) here, and we send the
    // rest back: fine, until resolved routes more than the cluster domain to us — then they loop
    // (each turn is caught and answered SERVFAIL, but the names do not resolve).
    warnings.push(
      `upstream ${stub.address} is systemd-resolved's stub: if resolved sends this server more than ~cluster.local (a global DNS= or ~. route), those names loop; pass --upstream with resolved's own servers (resolvectl dns) to be sure`,
    );
  }
  return { upstream: servers.length > 0 ? servers : 'none', warnings };
}
