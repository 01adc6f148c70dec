/** Every name the registry answers, as rows (name, type, TTL, data), for `records` and GET /v1/records. Pure. */
import { dashedIp, ipFamily, reverseName } from '../dns/ip.js';
import type { ResourceRecord } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';
import { hostRecords, hostZoneOf, hostZoneSoa } from './host-answers.js';
import { DNS_VERSION_TTL, SCHEMA_VERSION, soaRecord, type ClusterZoneOptions } from './cluster-answers.js';

export interface RecordRow {
  readonly name: string;
  readonly type: ResourceRecord['type'];
  readonly ttl: number;
  readonly data: string;
  /**
   * Set when the data was not read: an `allocated` ClusterIP, a `simulated` Pod's address, or
   * `ingress-address` for a hostname whose object has no status address (--ingress-address).
   */
  readonly note?: 'allocated' | 'simulated' | 'ingress-address';
}

export function recordData(r: ResourceRecord): string {
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return r.address;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return `${r.target}.`;
    case 'TXT':
      return r.texts.map((t) => JSON.stringify(t)).join(' ');
    case 'SRV':
      return `${r.priority} ${r.weight} ${r.port} ${r.target}.`;
    case 'SOA':
      return `${r.mname}. ${r.rname}. ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
    case 'OPAQUE':
      return opaqueData(r.rdata);
  }
}

/** RFC 3597 §5 generic RDATA: `\# <length> <hex>`. */
export function opaqueData(rdata: Uint8Array): string {
  const hex = Array.from(rdata, (b) => b.toString(16).padStart(2, '0')).join('');
  return `\\# ${rdata.length}${hex ? ` ${hex}` : ''}`;
}

export function listRecords(registry: Registry, options: ClusterZoneOptions): RecordRow[] {
  const rows: RecordRow[] = [];
  const derived = registry.derived.addresses;
  const derivedReverse = new Map<string, 'allocated' | 'simulated'>();
  for (const [address, kind] of derived) derivedReverse.set(reverseName(address), kind);
  const noteOf = (r: ResourceRecord) =>
    r.type === 'A' || r.type === 'AAAA' ? derived.get(r.address) : r.type === 'PTR' ? derivedReverse.get(r.name) : undefined;
  const add = (r: ResourceRecord) => {
    const note = derived.size > 0 ? noteOf(r) : undefined;
    rows.push({ name: `${r.name}.`, type: r.type, ttl: r.ttl, data: recordData(r), ...(note ? { note } : {}) });
  };
  const zone = registry.zone;
  add(soaRecord(registry));
  add({ type: 'NS', name: zone, ttl: registry.ttl, target: `ns.dns.${zone}` });
  add({ type: 'TXT', name: `dns-version.${zone}`, ttl: DNS_VERSION_TTL, texts: [SCHEMA_VERSION] });
  for (const address of options.nameServerAddresses) {
    add(ipFamily(address) === 4 ? { type: 'A', name: `ns.dns.${zone}`, ttl: registry.ttl, address } : { type: 'AAAA', name: `ns.dns.${zone}`, ttl: registry.ttl, address });
  }
  const names = [...registry.names.keys()].sort();
  for (const name of names) {
    const node = registry.names.get(name)!;
    if (node.cname) add(node.cname);
    node.a.forEach(add);
    node.aaaa.forEach(add);
    node.srv.forEach(add);
  }
  if (options.podMode !== 'disabled') {
    for (const [namespace, ips] of [...registry.podIps].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const ip of ips) {
        const name = `${dashedIp(ip)}.${namespace}.pod.${zone}`;
        add(ipFamily(ip) === 4 ? { type: 'A', name, ttl: registry.ttl, address: ip } : { type: 'AAAA', name, ttl: registry.ttl, address: ip });
      }
    }
  }
  for (const owner of [...registry.reverse.keys()].sort()) registry.reverse.get(owner)!.forEach(add);
  listHostRecords(registry, options, rows);
  return rows;
}

/** The --ingress-zones: each zone's SOA and NS, then every host (wildcards as `*.example.test`). */
function listHostRecords(registry: Registry, options: ClusterZoneOptions, rows: RecordRow[]): void {
  const index = registry.hosts;
  if (!index) return;
  for (const zone of index.zones) {
    const ns = `ns.dns.${zone}`;
    for (const r of [hostZoneSoa(registry, zone), { type: 'NS', name: zone, ttl: registry.ttl, target: ns } as const]) rows.push(rowOf(r));
    for (const address of options.nameServerAddresses) {
      rows.push(rowOf(ipFamily(address) === 4 ? { type: 'A', name: ns, ttl: registry.ttl, address } : { type: 'AAAA', name: ns, ttl: registry.ttl, address }));
    }
    for (const host of [...index.hosts.keys()].filter((h) => hostZoneOf(index.zones, h.startsWith('*.') ? h.slice(2) : h) === zone).sort()) {
      const entry = index.hosts.get(host)!;
      for (const r of hostRecords(registry, host, entry)) rows.push({ ...rowOf(r), ...(entry.assumed ? { note: 'ingress-address' as const } : {}) });
    }
  }
}

function rowOf(r: ResourceRecord): RecordRow {
  return { name: `${r.name}.`, type: r.type, ttl: r.ttl, data: recordData(r) };
}

/** A plain-text table: NAME TYPE TTL DATA, columns aligned; derived data ends with a zone-file comment (`; allocated`). */
export function formatRecordTable(rows: readonly RecordRow[]): string {
  const width = Math.min(56, Math.max(4, ...rows.map((r) => r.name.length)));
  const lines = [`${'NAME'.padEnd(width)}  TYPE   TTL  DATA`];
  for (const r of rows) lines.push(`${r.name.padEnd(width)}  ${r.type.padEnd(5)}  ${String(r.ttl).padStart(3)}  ${r.data}${r.note ? `  ; ${r.note}` : ''}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `/etc/hosts` lines (hosts(5)) for every A and AAAA name, for machines whose resolver cannot be
 * pointed at us: one line per address, its names after it. Only the names a query would use
 * literally; short forms are not listed (a hosts file has no search path of its own).
 */
export function formatHostsFile(rows: readonly RecordRow[]): string {
  const byAddress = new Map<string, string[]>();
  for (const r of rows) {
    // A hosts file has no wildcards (hosts(5)): `*.example.test` is left out.
    if ((r.type !== 'A' && r.type !== 'AAAA') || r.name.startsWith('*.')) continue;
    const name = r.name.endsWith('.') ? r.name.slice(0, -1) : r.name;
    const names = byAddress.get(r.data);
    if (names) {
      if (!names.includes(name)) names.push(name);
    } else byAddress.set(r.data, [name]);
  }
  const lines = ['# cluster-dns records --output hosts: cluster names as /etc/hosts lines (a snapshot; rerun after changes)'];
  for (const [address, names] of byAddress) lines.push(`${address}\t${names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
