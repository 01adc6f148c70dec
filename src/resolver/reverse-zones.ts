/**
 * The reverse zones this server owns: `in-addr.arpa` / `ip6.arpa` names inside --service-cidr and
 * --pod-cidr, cut on label boundaries as CoreDNS's kubernetes plugin does for CIDR zones (a /12 is
 * sixteen /16 zones, a /108 one 27-nibble zone). Inside them every name is answered here: a known
 * address gets its PTR, an unknown one NXDOMAIN with the zone's SOA, an empty non-terminal NODATA
 * (RFC 8020: NXDOMAIN would deny everything below). Pure.
 */
import { cidrContainsBytes, type Cidr } from '../dns/cidr.js';
import { answered, nodata, nxdomain } from '../dns/outcomes.js';
import { RecordType } from '../dns/types.js';
import type { DomainName, RecordsAnswer, SOARecord } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';

const V4_SUFFIX = '.in-addr.arpa';
const V6_SUFFIX = '.ip6.arpa';
const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;

/** Where a reverse name sits: the apex of our zone holding it, and its address labels in network order. */
export interface OwnedReverseName {
  readonly apex: DomainName;
  readonly family: 4 | 6;
  /** Address labels, most significant first: octets (decimal text) or nibbles (hex digits). */
  readonly labels: readonly string[];
}

export interface ReverseZones {
  /** The zone of ours that holds `lowerName`, or undefined when the name is someone else's. */
  locate(lowerName: DomainName): OwnedReverseName | undefined;
}

/** Reverse zones for the given ranges; an empty list owns nothing. */
export function createReverseZones(cidrs: readonly Cidr[]): ReverseZones {
  return {
    locate(lowerName) {
      const v4 = lowerName.endsWith(V4_SUFFIX);
      if (!v4 && !lowerName.endsWith(V6_SUFFIX)) return undefined;
      const family = v4 ? 4 : 6;
      const labels = lowerName.slice(0, lowerName.length - (v4 ? V4_SUFFIX : V6_SUFFIX).length).split('.').reverse();
      for (const cidr of cidrs) {
        if (cidr.family !== family) continue;
        // Zones start on a label boundary at or below the prefix, so each zone lies inside the range.
        const zoneLabels = Math.ceil(cidr.prefix / (v4 ? 8 : 4));
        if (labels.length < zoneLabels) continue;
        const bytes = addressBytes(family, labels.slice(0, zoneLabels));
        if (!bytes || !cidrContainsBytes(cidr, bytes)) continue;
        const apex = `${labels.slice(0, zoneLabels).reverse().join('.')}${zoneLabels ? '.' : ''}${v4 ? V4_SUFFIX.slice(1) : V6_SUFFIX.slice(1)}`;
        return { apex, family, labels };
      }
      return undefined;
    },
  };
}

/** Address bytes for leading labels (the rest zero), or undefined when a label is not an octet / nibble. */
function addressBytes(family: 4 | 6, labels: readonly string[]): Uint8Array | undefined {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (family === 4) {
      if (!OCTET.test(label) || Number(label) > 255) return undefined;
      bytes[i] = Number(label);
    } else {
      if (!NIBBLE.test(label)) return undefined;
      bytes[i >> 1] = bytes[i >> 1]! | (parseInt(label, 16) << (i & 1 ? 0 : 4));
    }
  }
  return bytes;
}

/** The SOA of one of our reverse zones: the cluster zone's server and mailbox, the registry's serial. */
export function reverseSoa(registry: Registry, apex: DomainName): SOARecord {
  return {
    type: 'SOA',
    name: apex,
    ttl: registry.ttl,
    mname: `ns.dns.${registry.zone}`,
    rname: `hostmaster.${registry.zone}`,
    serial: registry.serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: registry.ttl,
  };
}

const negatives = new WeakMap<Registry, Map<DomainName, { nxdomain: RecordsAnswer; nodata: RecordsAnswer }>>();

/** The plain NXDOMAIN and NODATA of one reverse zone in one snapshot: shared objects, encoded once. */
export function reverseNegatives(registry: Registry, apex: DomainName): { nxdomain: RecordsAnswer; nodata: RecordsAnswer } {
  let byApex = negatives.get(registry);
  if (!byApex) negatives.set(registry, (byApex = new Map()));
  let shared = byApex.get(apex);
  if (!shared) {
    const soa = reverseSoa(registry, apex);
    shared = { nxdomain: nxdomain(soa), nodata: nodata(soa) };
    byApex.set(apex, shared);
  }
  return shared;
}

/**
 * The answer for a name inside one of our reverse zones. PTR (and ANY) at a known address → its PTRs;
 * the apex → its SOA (and NS: the cluster's name server); names that lead to a known address → NODATA;
 * everything else → NXDOMAIN. Never forwarded.
 */
export function answerOwnedReverse(registry: Registry, owned: OwnedReverseName, lowerName: DomainName, qtype: number, nameServerAddresses: readonly string[]): RecordsAnswer {
  const shared = reverseNegatives(registry, owned.apex);
  const ptrs = registry.reverse.get(lowerName);
  if (ptrs) return qtype === RecordType.PTR || qtype === RecordType.ANY ? answered(ptrs) : shared.nodata;
  if (lowerName === owned.apex) {
    if (qtype === RecordType.SOA) return answered([reverseSoa(registry, owned.apex)]);
    if (qtype === RecordType.NS) {
      const host = `ns.dns.${registry.zone}`;
      const glue = nameServerAddresses.map((address) =>
        address.includes(':') ? { type: 'AAAA' as const, name: host, ttl: registry.ttl, address } : { type: 'A' as const, name: host, ttl: registry.ttl, address },
      );
      return answered([{ type: 'NS', name: owned.apex, ttl: registry.ttl, target: host }], glue);
    }
    return shared.nodata;
  }
  return leadsToKnownAddress(registry, owned) ? shared.nodata : shared.nxdomain;
}

const knownKeys = new WeakMap<Registry, readonly string[]>();

/** True when some known reverse name lies below `owned` (it is an empty non-terminal). */
function leadsToKnownAddress(registry: Registry, owned: OwnedReverseName): boolean {
  const full = owned.family === 4 ? 4 : 32;
  if (owned.labels.length >= full) return false;
  const prefix = addressKey(owned.family, owned.labels);
  if (prefix === undefined) return false;
  let keys = knownKeys.get(registry);
  if (!keys) knownKeys.set(registry, (keys = sortedAddressKeys(registry)));
  // The first key at or after the prefix is the only candidate that can start with it.
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo < keys.length && keys[lo]!.startsWith(prefix);
}

/** `4` + two hex digits per octet, or `6` + one per nibble: a text whose prefixes are the address's. */
function addressKey(family: 4 | 6, labels: readonly string[]): string | undefined {
  let key = String(family);
  for (const label of labels) {
    if (family === 4) {
      if (!OCTET.test(label) || Number(label) > 255) return undefined;
      key += Number(label).toString(16).padStart(2, '0');
    } else {
      if (!NIBBLE.test(label)) return undefined;
      key += label;
    }
  }
  return key;
}

function sortedAddressKeys(registry: Registry): string[] {
  const keys: string[] = [];
  for (const owner of registry.reverse.keys()) {
    const v4 = owner.endsWith(V4_SUFFIX);
    const labels = owner.slice(0, owner.length - (v4 ? V4_SUFFIX : V6_SUFFIX).length).split('.').reverse();
    const key = addressKey(v4 ? 4 : 6, labels);
    if (key !== undefined) keys.push(key);
  }
  return keys.sort();
}
