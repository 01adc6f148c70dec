/**
 * Answers names inside the --ingress-zones from the snapshot's hostname index (Ingress, Gateway
 * API routes, LoadBalancer Services), authoritatively as k8s_gateway does: SOA and NS at the apex,
 * NXDOMAIN and NODATA with the zone's SOA (RFC 2308), a wildcard host matching one label. Pure.
 */
import { ipFamily } from '../dns/ip.js';
import { answered, nodata, nxdomain } from '../dns/outcomes.js';
import { RecordType } from '../dns/types.js';
import type { DomainName, RecordsAnswer, ResourceRecord, SOARecord } from '../dns/types.js';
import type { HostEntry } from '../registry/build-host-index.js';
import type { Registry } from '../registry/registry.js';

/** The ingress zone `lowerName` is in (the longest that matches), or undefined. */
export function hostZoneOf(zones: readonly DomainName[], lowerName: DomainName): DomainName | undefined {
  let best: DomainName | undefined;
  for (const zone of zones) {
    if ((lowerName === zone || lowerName.endsWith(`.${zone}`)) && (best === undefined || zone.length > best.length)) best = zone;
  }
  return best;
}

/** An ingress zone's SOA, shaped as the cluster zone's (cluster-answers.ts soaRecord). */
export function hostZoneSoa(registry: Registry, zone: DomainName): SOARecord {
  return { type: 'SOA', name: zone, ttl: registry.ttl, mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: registry.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: registry.ttl };
}

/**
 * The entry that answers `lowerName`: its own, or the wildcard `*.<parent>` when the name has
 * no entry and is no empty non-terminal (RFC 4592 §2.2: a wildcard covers only names that do not exist).
 */
export function findHost(registry: Registry, lowerName: DomainName): { entry: HostEntry; host: DomainName } | undefined {
  const index = registry.hosts;
  if (!index) return undefined;
  const own = index.hosts.get(lowerName);
  if (own) return { entry: own, host: lowerName };
  if (index.nonTerminals.has(lowerName)) return undefined;
  const dot = lowerName.indexOf('.');
  if (dot < 0) return undefined;
  const wildcard = `*${lowerName.slice(dot)}`;
  const entry = index.hosts.get(wildcard);
  return entry ? { entry, host: wildcard } : undefined;
}

/** The records of a host entry owned by `name`: A/AAAA for its addresses, or its CNAME. */
export function hostRecords(registry: Registry, name: DomainName, entry: HostEntry): ResourceRecord[] {
  const ttl = registry.ttl;
  if (entry.cname) return [{ type: 'CNAME', name, ttl, target: entry.cname }];
  return entry.addresses.map((address) => (ipFamily(address) === 4 ? { type: 'A', name, ttl, address } : { type: 'AAAA', name, ttl, address }));
}

/** The answer for `lowerName` in `zone` (an ingress zone it is in) and `qtype`. */
export function answerHostName(registry: Registry, zone: DomainName, nameServerAddresses: readonly string[], lowerName: DomainName, qtype: number): RecordsAnswer {
  const soa = hostZoneSoa(registry, zone);
  const ttl = registry.ttl;
  const nsName = `ns.dns.${zone}`;
  const nsAddresses = (): ResourceRecord[] =>
    nameServerAddresses.map((address) => (ipFamily(address) === 4 ? { type: 'A', name: nsName, ttl, address } : { type: 'AAAA', name: nsName, ttl, address }));
  const found = findHost(registry, lowerName);
  const own = found ? hostRecords(registry, lowerName, found.entry) : [];

  if (lowerName === zone) {
    const ns: ResourceRecord = { type: 'NS', name: zone, ttl, target: nsName };
    if (qtype === RecordType.SOA) return answered([soa]);
    if (qtype === RecordType.NS) return answered([ns], nsAddresses());
    if (qtype === RecordType.ANY) return answered([soa, ns, ...own.filter((r) => r.type !== 'CNAME')]);
    // A CNAME cannot live beside the apex SOA and NS (RFC 1034 §3.6.2), so an apex host answers addresses only.
    const apex = own.filter((r) => r.type === typeName(qtype));
    return apex.length ? answered(apex) : nodata(soa);
  }
  // The name server the apex NS names, so that a resolver following the delegation finds us.
  if (lowerName === nsName && !found) {
    const records = nsAddresses().filter((r) => r.type === typeName(qtype) || qtype === RecordType.ANY);
    return records.length ? answered(records) : nodata(soa);
  }
  if (lowerName === `dns.${zone}` && !found) return nodata(soa);
  if (!found) return registry.hosts?.nonTerminals.has(lowerName) ? nodata(soa) : nxdomain(soa);
  // A CNAME answers every type but itself-less ones (RFC 1034 §3.6.2); its target is the client's to resolve.
  if (found.entry.cname) return answered(own);
  if (qtype === RecordType.ANY) return answered(own);
  const records = own.filter((r) => r.type === typeName(qtype));
  return records.length ? answered(records) : nodata(soa);
}

function typeName(qtype: number): 'A' | 'AAAA' | undefined {
  return qtype === RecordType.A ? 'A' : qtype === RecordType.AAAA ? 'AAAA' : undefined;
}
