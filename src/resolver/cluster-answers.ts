/**
 * Answers any name under the cluster domain from one registry snapshot, exactly as the Kubernetes
 * DNS specification (schema 1.1.0) and CoreDNS's kubernetes plugin do. Pure: no I/O, no clock.
 */
import { ipFamily } from '../dns/ip.js';
import { answered, ExtendedError, nodata, nxdomain, servfail } from '../dns/outcomes.js';
import { RecordType } from '../dns/types.js';
import type { CNAMERecord, DomainName, RecordsAnswer, ResourceRecord, SOARecord } from '../dns/types.js';
import type { NameNode, Registry } from '../registry/registry.js';
import { parseDashedIp } from './pod-name.js';

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface ClusterZoneOptions {
  readonly podMode: PodMode;
  /** Addresses for `ns.dns.<zone>`, the name server the apex NS record names. */
  readonly nameServerAddresses: readonly string[];
}

export const SCHEMA_VERSION = '1.1.0';
/** CNAMEs one answer may carry; a longer chain is SERVFAIL. */
export const MAX_CNAME_CHAIN = 8;
/** The TTL CoreDNS gives `dns-version.<zone>` TXT: the schema version changes with the software, not the data. */
export const DNS_VERSION_TTL = 28800;

/** The zone's SOA, as CoreDNS writes it; the TTL and minimum are the record TTL (RFC 2308 §4). */
export function soaRecord(registry: Registry): SOARecord {
  const zone = registry.zone;
  return {
    type: 'SOA',
    name: zone,
    ttl: registry.ttl,
    mname: `ns.dns.${zone}`,
    rname: `hostmaster.${zone}`,
    serial: registry.serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: registry.ttl,
  };
}

const sharedNegatives = new WeakMap<Registry, { nxdomain: RecordsAnswer; nodata: RecordsAnswer }>();

/**
 * The plain NXDOMAIN and NODATA answers of a snapshot: the same objects for every name, so their
 * wire bytes are encoded once (they carry only the SOA, which does not depend on the name).
 */
export function negativeAnswers(registry: Registry): { nxdomain: RecordsAnswer; nodata: RecordsAnswer } {
  let shared = sharedNegatives.get(registry);
  if (!shared) {
    const soa = soaRecord(registry);
    shared = { nxdomain: nxdomain(soa), nodata: nodata(soa) };
    sharedNegatives.set(registry, shared);
  }
  return shared;
}

/** True when `lowerName` is the zone apex or below it. */
export function isInZone(lowerName: DomainName, zone: DomainName): boolean {
  if (zone === '') return true;
  return lowerName === zone || (lowerName.endsWith(zone) && lowerName.charCodeAt(lowerName.length - zone.length - 1) === 46);
}

/**
 * The answer for `lowerName` (which must be in the zone) and `qtype`. Names that exist but lack
 * the type get NODATA; names that do not exist get NXDOMAIN; both carry the SOA (RFC 2308).
 * In-zone CNAME targets (an ExternalName pointing back into the cluster) are followed.
 */
export function answerClusterName(registry: Registry, options: ClusterZoneOptions, lowerName: DomainName, qtype: number): RecordsAnswer {
  const chain: ResourceRecord[] = [];
  let name = lowerName;
  for (;;) {
    const found = lookupName(registry, options, name);
    if (found === undefined) return chain.length ? nxdomain(soaRecord(registry), chain) : negativeAnswers(registry).nxdomain;
    if (found.cname && qtype !== RecordType.CNAME && qtype !== RecordType.ANY) {
      const target = found.cname.target;
      // A chain that comes back to a name already in it, or runs past the limit, has no answer (RFC 1034 §3.6.2).
      if (target === lowerName || chain.some((r) => (r as CNAMERecord).target === target)) return cnameLoop;
      chain.push(found.cname);
      if (chain.length > MAX_CNAME_CHAIN) return cnameTooLong;
      if (!isInZone(target, registry.zone)) return answered(chain);
      name = target;
      continue;
    }
    const records = selectRecords(found, qtype);
    if (records.length === 0) return chain.length ? nodata(soaRecord(registry), chain) : negativeAnswers(registry).nodata;
    const additional = additionalFor(registry, options, records);
    // ANY already carries the name's own addresses in the answer; do not repeat them (the bare-name SRV).
    const extra = qtype === RecordType.ANY && additional.length > 0 ? additional.filter((r) => r.name !== name) : additional;
    return answered(chain.length ? [...chain, ...records] : records, extra);
  }
}

const cnameLoop = servfail({ code: ExtendedError.OTHER, text: 'CNAME loop' });
const cnameTooLong = servfail({ code: ExtendedError.OTHER, text: `CNAME chain longer than ${MAX_CNAME_CHAIN}` });

/** What exists at a name: a registry node, an apex-level name, or a pod name. */
interface FoundName {
  readonly records: readonly ResourceRecord[];
  readonly cname: NameNode['cname'];
}

const EMPTY: FoundName = { records: [], cname: undefined };

function lookupName(registry: Registry, options: ClusterZoneOptions, name: DomainName): FoundName | undefined {
  const zone = registry.zone;
  if (name === zone) {
    return { records: [soaRecord(registry), { type: 'NS', name: zone, ttl: registry.ttl, target: `ns.dns.${zone}` }], cname: undefined };
  }
  const relative = name.slice(0, name.length - zone.length - (zone ? 1 : 0));
  // Pod names exist only when pod records are served at all; `pod.<zone>` itself exists in every mode.
  if (options.podMode === 'disabled' && relative.endsWith('.pod')) return undefined;

  const node = registry.names.get(name);
  if (node) return { records: [...node.a, ...node.aaaa, ...node.srv], cname: node.cname };

  switch (relative) {
    case 'dns-version':
      return { records: [{ type: 'TXT', name, ttl: DNS_VERSION_TTL, texts: [SCHEMA_VERSION] }], cname: undefined };
    case 'dns':
      return EMPTY;
    case 'ns.dns':
      return { records: options.nameServerAddresses.map((address) => addressRecord(name, registry.ttl, address)), cname: undefined };
  }
  return lookupPod(registry, options, name, relative);
}

/** `<a-b-c-d>.<ns>.pod.<zone>` (spec 2.6): insecure answers any address, verified only a known pod's. */
function lookupPod(registry: Registry, options: ClusterZoneOptions, name: DomainName, relative: string): FoundName | undefined {
  const labels = relative.split('.');
  if (labels.length !== 3 || labels[2] !== 'pod') return undefined;
  const [label, namespace] = labels as [string, string, string];
  if (!registry.namespaces.has(namespace)) return undefined;
  const address = parseDashedIp(label);
  if (address === undefined) return undefined;
  if (options.podMode === 'verified' && !registry.podIps.get(namespace)?.has(address)) return undefined;
  return { records: [addressRecord(name, registry.ttl, address)], cname: undefined };
}

/** True when a pod name would be answered, for short-form expansion. */
export function podNameExists(registry: Registry, options: ClusterZoneOptions, name: DomainName): boolean {
  if (options.podMode === 'disabled' || !isInZone(name, registry.zone)) return false;
  const relative = name.slice(0, name.length - registry.zone.length - (registry.zone ? 1 : 0));
  return lookupPod(registry, options, name, relative) !== undefined;
}

function addressRecord(name: DomainName, ttl: number, address: string): ResourceRecord {
  return ipFamily(address) === 4 ? { type: 'A', name, ttl, address } : { type: 'AAAA', name, ttl, address };
}

function selectRecords(found: FoundName, qtype: number): readonly ResourceRecord[] {
  if (qtype === RecordType.ANY) return found.cname ? [found.cname] : found.records;
  if (qtype === RecordType.CNAME) return found.cname ? [found.cname] : [];
  const type = typeName(qtype);
  if (type === undefined) return [];
  return found.records.filter((r) => r.type === type);
}

function typeName(qtype: number): ResourceRecord['type'] | undefined {
  switch (qtype) {
    case RecordType.A: return 'A';
    case RecordType.AAAA: return 'AAAA';
    case RecordType.SRV: return 'SRV';
    case RecordType.TXT: return 'TXT';
    case RecordType.SOA: return 'SOA';
    case RecordType.NS: return 'NS';
    case RecordType.PTR: return 'PTR';
    default: return undefined;
  }
}

/** The addresses of SRV targets and of the NS host, for the additional section (RFC 2782, RFC 1035 §6.3.2). */
function additionalFor(registry: Registry, options: ClusterZoneOptions, records: readonly ResourceRecord[]): readonly ResourceRecord[] {
  let extra: ResourceRecord[] | undefined;
  const seen = new Set<string>();
  for (const r of records) {
    let target: string;
    if (r.type === 'SRV' || r.type === 'NS') target = r.target;
    else continue;
    if (seen.has(target)) continue;
    seen.add(target);
    if (target === `ns.dns.${registry.zone}`) {
      (extra ??= []).push(...options.nameServerAddresses.map((a) => addressRecord(target, registry.ttl, a)));
      continue;
    }
    const node = registry.names.get(target);
    if (!node) continue;
    (extra ??= []).push(...node.a, ...node.aaaa);
  }
  return extra ?? [];
}
