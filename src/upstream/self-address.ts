/** Is an upstream this server itself? Then forwarding to it would be a loop. */
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

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
 * for a wildcard bind, any address of this machine (0.0.0.0 covers IPv4, `::` covers both families
 * on a dual-stack socket). The unspecified address as a destination means "this host" too.
 */
export function upstreamIsSelf(upstream: SocketAddressLike, host: string, port: number): boolean {
  if (upstream.port !== port) return false;
  const to = canonicalIp(upstream.address);
  const listen = canonicalIp(host);
  if (to === listen) return true;
  if (listen !== '0.0.0.0' && listen !== '::') return (to === '0.0.0.0' || to === '::') && isLoopback(listen);
  if (listen === '0.0.0.0' && isIPv6(to)) return false;
  if (to === '0.0.0.0' || to === '::' || isLoopback(to)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => canonicalIp(i.address.split('%')[0]!) === to));
}

/** The first upstream that would be this server itself, listening on any of `listening`. */
export function findSelfUpstream<T extends SocketAddressLike>(upstreams: readonly T[], listening: readonly SocketAddressLike[]): T | undefined {
  return upstreams.find((u) => listening.some((l) => upstreamIsSelf(u, l.address, l.port)));
}
