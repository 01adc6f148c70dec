/** Is an upstream this server itself? Then forwarding to it would be a loop. */
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ConfigError } from '../errors.js';

export interface SocketAddressLike {
  readonly address: string;
  readonly port: number;
}

/** The canonical text of an IP: IPv6 compressed and lowercase, IPv4-mapped IPv6 as plain IPv4. */
export function canonicalIp(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!hexMapped) return canonical;
  const hi = parseInt(hexMapped[1]!, 16);
  const lo = parseInt(hexMapped[2]!, 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * True when sending to `upstream` reaches a server listening on `host:port`: the same address, or,
 * for a wildcard bind, an address configured on one of this machine's interfaces (0.0.0.0 covers
 * IPv4, `::` both families on a dual-stack socket). The unspecified address as a destination means
 * "this host" too. Other loopback addresses (127.0.0.11, 127.0.0.53) are not assumed to be us:
 * Docker's embedded resolver at 127.0.0.11:53 is reached through a NAT rule inside the container,
 * and a real loop through one of them is still caught when it happens (see loop-token.ts).
 */
export function upstreamIsSelf(upstream: SocketAddressLike, host: string, port: number): boolean {
  if (upstream.port !== port) return false;
  const to = canonicalIp(upstream.address);
  const listen = canonicalIp(host);
  if (to === listen) return true;
  const unspecified = to === '0.0.0.0' || to === '::';
  if (listen !== '0.0.0.0' && listen !== '::') return unspecified && isLoopback(listen);
  if (listen === '0.0.0.0' && isIPv6(to)) return false;
  if (unspecified) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => canonicalIp(i.address.split('%')[0]!) === to));
}

/** The first upstream that would be this server itself, listening on any of `listening`. */
export function findSelfUpstream<T extends SocketAddressLike>(upstreams: readonly T[], listening: readonly SocketAddressLike[]): T | undefined {
  return upstreams.find((u) => listening.some((l) => upstreamIsSelf(u, l.address, l.port)));
}

/**
 * The one place a self-upstream becomes an error: throws a ConfigError naming the first upstream
 * that is this server itself (forwarding to it would loop), checked at creation for a fixed port
 * and again once the real port is bound.
 */
export function rejectSelfUpstream(upstreams: readonly SocketAddressLike[], listening: readonly SocketAddressLike[]): void {
  const self = findSelfUpstream(upstreams, listening);
  if (!self) return;
  const address = canonicalIp(self.address);
  const where = isIPv6(address) ? `[${address}]:${self.port}` : `${address}:${self.port}`;
  throw new ConfigError(`upstream: ${where} is this server's own address (a forwarding loop)`);
}
