/** IP address helpers: canonical text (RFC 5952), dashed labels and reverse (PTR) names. Pure. */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export function ipFamily(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text) && !text.includes('%')) return 6;
  return undefined;
}

/** Expands an IPv6 address to its 8 groups as numbers. The input must be a valid IPv6 text. */
function ipv6Groups(text: string): number[] {
  let t = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    t = `${t.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = t.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  if (right === undefined) return l;
  const r = groups(right);
  return [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
}

/** Canonical text: dotted quad for IPv4, RFC 5952 §4 for IPv6 (lowercase, longest zero run as ::). */
export function canonicalIp(text: string): string | undefined {
  const family = ipFamily(text);
  if (family === 4) return text.split('.').map((o) => String(Number(o))).join('.');
  if (family !== 6) return undefined;
  const groups = ipv6Groups(text.toLowerCase());
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The 16 bytes of an IPv6 address or the 4 of an IPv4 one. The input must be valid. */
export function ipBytes(text: string): Uint8Array {
  if (ipFamily(text) === 4) return Uint8Array.from(text.split('.').map(Number));
  const out = new Uint8Array(16);
  ipv6Groups(text.toLowerCase()).forEach((g, i) => { out[i * 2] = g >> 8; out[i * 2 + 1] = g & 0xff; });
  return out;
}

/**
 * The DNS label for an address, as Kubernetes uses for endpoints and pods:
 * `10.244.1.5` → `10-244-1-5`, `fd00::5` → `fd00--5`, `fd00::` → `fd00--0`.
 * A label may not end in "-" (RFC 952, RFC 1123 §2.1), so an address ending in `::` gets a `0`,
 * as CoreDNS's endpointHostname does (plugin/kubernetes/kubernetes.go); the `0` reads back as the
 * same address (`fd00::0` = `fd00::`).
 */
export function dashedIp(canonical: string): string {
  const dashed = canonical.replace(/[.:]/g, '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

/** Reverse name (RFC 1035 §3.5, RFC 3596 §2.5): `5.1.244.10.in-addr.arpa`, nibbles under `ip6.arpa`. */
export function reverseName(canonical: string): string {
  if (!canonical.includes(':')) {
    const [a, b, c, d] = canonical.split('.');
    return `${d}.${c}.${b}.${a}.in-addr.arpa`;
  }
  const bytes = ipBytes(canonical);
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const b = bytes[i]!;
    nibbles.push((b & 0xf).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}
