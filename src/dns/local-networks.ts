/**
 * The clients forwarding serves by default off loopback: loopback and the private networks this host
 * is on, as BIND's default `allow-recursion { localhost; localnets; }` (ARM, "allow-recursion") but
 * without public networks, so a host on a public /24 is not an open resolver for its neighbours. Pure.
 */
import { cidrContainsBytes, parseCidr, type Cidr } from './cidr.js';

/** One address of one interface, the shape `os.networkInterfaces()` returns (only what is read here). */
export interface InterfaceAddress {
  readonly address: string;
  /** `address/prefix` (null when the OS gave no netmask). */
  readonly cidr: string | null;
  /** True for loopback. */
  readonly internal: boolean;
}

export type InterfaceTable = Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;

/**
 * Private ranges whose networks count as local: RFC 1918, RFC 4193 (ULA) and link-local
 * (RFC 3927, RFC 4291 §2.5.6). Anything else is public: only the host's own address counts there.
 */
const PRIVATE_RANGES: readonly Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'].map((c) => parseCidr(c)!);

/**
 * The CIDRs that may use forwarding when `--allow-recursion` is not given, in interface order,
 * without duplicates. Example: lo 127.0.0.1/8, eth0 192.168.1.5/24 and 203.0.113.9/24 →
 * `['127.0.0.0/8', '192.168.1.0/24', '203.0.113.9/32']`.
 */
export function localRecursionCidrs(interfaces: InterfaceTable): string[] {
  const out = new Set<string>();
  for (const addresses of Object.values(interfaces)) {
    for (const entry of addresses ?? []) {
      const network = entry.cidr ? parseCidr(entry.cidr) : undefined;
      const host = parseCidr(`${entry.address}/${entry.address.includes(':') ? 128 : 32}`);
      if (!host) continue;
      if (network && entry.internal) {
        out.add(network.text);
        continue;
      }
      const range = PRIVATE_RANGES.find((r) => cidrContainsBytes(r, host.bytes));
      if (network && range) {
        // A netmask wider than the private range it sits in (10.1.2.3/4) would take in public space.
        out.add(network.prefix >= range.prefix ? network.text : range.text);
        continue;
      }
      // A public address: the host asking itself through it, never its neighbours.
      out.add(host.text);
    }
  }
  return [...out];
}
