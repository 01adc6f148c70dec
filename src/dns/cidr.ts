/** CIDR ranges (RFC 4632, RFC 4291 §2.3): parsed and masked once, tested for membership by bytes. Pure. */
import { canonicalIp, ipBytes, ipFamily, type IpFamily } from './ip.js';

/**
 * One address range with its host bits cleared.
 * Example: `parseCidr('10.96.0.7/12')` → `{ family: 4, network: '10.96.0.0', prefix: 12, text: '10.96.0.0/12', bytes: [10, 96, 0, 0] }`.
 */
export interface Cidr {
  readonly family: IpFamily;
  /** The network address, canonical text (RFC 5952 for IPv6). */
  readonly network: string;
  readonly prefix: number;
  /** `network/prefix`. */
  readonly text: string;
  /** The network address: 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
}

/** `a.b.c.d/n` or `x::y/n` → a Cidr with host bits cleared, or undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = ipFamily(address);
  if (family === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  const bytes = ipBytes(canonicalIp(address)!);
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! & maskByte(prefix, i);
  const network = bytesToIp(bytes);
  return { family, network, prefix, text: `${network}/${prefix}`, bytes };
}

/** True when `address` (a byte array of the same family, as ipBytes returns) lies inside `cidr`. */
export function cidrContainsBytes(cidr: Cidr, address: Uint8Array): boolean {
  if (address.length !== cidr.bytes.length) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = maskByte(cidr.prefix, i);
    if (mask === 0) return true;
    if ((address[i]! & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}

/** True when the address text lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const family = ipFamily(address);
  return family === cidr.family && cidrContainsBytes(cidr, ipBytes(canonicalIp(address)!));
}

/** True when the two ranges share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.prefix <= b.prefix ? cidrContainsBytes(a, b.bytes) : cidrContainsBytes(b, a.bytes);
}

/** Canonical text of 4 or 16 address bytes. */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalIp(groups.join(':'))!;
}

/** The mask byte at `index` for a prefix length: 0xff while inside the prefix, 0 after it. */
function maskByte(prefix: number, index: number): number {
  const bits = Math.max(0, Math.min(8, prefix - index * 8));
  return (0xff << (8 - bits)) & 0xff;
}
