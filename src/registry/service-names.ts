/**
 * The names one service owns: its own name, its endpoints' names, its SRV owners and `_tcp`-style
 * empty non-terminals, and the PTRs for its addresses. Pure; the whole build and the incremental
 * registry both call it, so a service's names are the same whichever way they were made.
 */
import { dashedIp, ipFamily, reverseName } from '../dns/ip.js';
import type { AAAARecord, ARecord, CNAMERecord, DomainName, SRVRecord } from '../dns/types.js';
import type { EndpointGroupInput, ServiceInput } from './model.js';
import type { NameNode, NameRole, ServiceSummary } from './registry.js';

/**
 * One service's part of the registry. Every name lies under `name` (`<svc>.<ns>.svc.<zone>`), so
 * the parts of two services never share a name and a change to one service replaces its part
 * alone. `ptrs` are (reverse owner, target) pairs; two services may share a reverse owner.
 */
export interface ServiceNames {
  readonly name: DomainName;
  readonly nodes: ReadonlyMap<DomainName, NameNode>;
  /** Flat (reverse owner, target) pairs: `[owner0, target0, owner1, target1, …]`, one array, no tuple per pair. */
  readonly ptrs: readonly DomainName[];
  readonly summary: ServiceSummary;
  /** Ready endpoint addresses counted (the registry's `endpoints` count). */
  readonly endpoints: number;
}

/** A name node while building; record arrays are created only when a name gets records. */
interface MutableNode {
  role: NameRole;
  a: ARecord[] | readonly never[];
  aaaa: AAAARecord[] | readonly never[];
  cname: CNAMERecord | undefined;
  srv: SRVRecord[] | readonly never[];
}

const noRecords: readonly never[] = Object.freeze([]);

/** `svc.<zone>`, `<ns>.svc.<zone>`, `_tcp.<svc>…`: names that exist without records (NODATA). One shared object. */
export const structureNode: NameNode = Object.freeze({ role: 'structure', a: noRecords, aaaa: noRecords, cname: undefined, srv: noRecords });

/**
 * The names of `svc` (already with its final ClusterIPs) given the endpoint groups that belong to
 * it (its own source's and derived ones, EndpointSlices preferred over Endpoints by the caller).
 */
export function serviceNames(svc: ServiceInput, groups: readonly EndpointGroupInput[], zone: DomainName, ttl: number): ServiceNames {
  const ns = svc.namespace.toLowerCase();
  const svcName: DomainName = `${svc.name.toLowerCase()}.${ns}.svc.${zone}`;
  const names = new Map<DomainName, MutableNode>();
  const ptrs: DomainName[] = [];
  const ptrSeen = new Set<string>();

  const node = (name: DomainName, role: NameRole): MutableNode => {
    let n = names.get(name);
    if (!n) {
      n = { role, a: noRecords, aaaa: noRecords, cname: undefined, srv: noRecords };
      names.set(name, n);
    } else if (n.role === 'structure' && role !== 'structure') {
      n.role = role;
    }
    return n;
  };
  const addAddress = (n: MutableNode, name: DomainName, address: string) => {
    if (ipFamily(address) === 4) {
      if (n.a === noRecords) n.a = [];
      if (!n.a.some((r) => r.address === address)) (n.a as ARecord[]).push({ type: 'A', name, ttl, address });
    } else {
      if (n.aaaa === noRecords) n.aaaa = [];
      if (!n.aaaa.some((r) => r.address === address)) (n.aaaa as AAAARecord[]).push({ type: 'AAAA', name, ttl, address });
    }
  };
  const addPtr = (address: string, target: DomainName) => {
    const owner = reverseName(address);
    const key = `${owner} ${target}`;
    if (ptrSeen.has(key)) return;
    ptrSeen.add(key);
    ptrs.push(owner, target);
  };
  let lastProtocolName = '';
  const addSrv = (owner: DomainName, protocol: string, port: number, target: DomainName) => {
    // `_tcp.<svc>` exists (NODATA, not NXDOMAIN) once any SRV owner under it does.
    const protocolName = `_${protocol.toLowerCase()}.${svcName}`;
    if (protocolName !== lastProtocolName) {
      node(protocolName, 'structure');
      lastProtocolName = protocolName;
    }
    const n = node(owner, 'port');
    if (n.srv === noRecords) n.srv = [];
    if (!n.srv.some((r) => r.port === port && r.target === target)) {
      (n.srv as SRVRecord[]).push({ type: 'SRV', name: owner, ttl, priority: 0, weight: 0, port, target });
    }
  };
  /**
   * SRV at the bare service name, one per port, named or not (CoreDNS answers `<svc>.<ns>.svc` SRV
   * with every port: ClusterIP → the service name, headless → each ready endpoint's name).
   */
  const addBareSrv = (n: MutableNode, port: number, target: DomainName) => {
    if (n.srv === noRecords) n.srv = [];
    if (!n.srv.some((r) => r.port === port && r.target === target)) {
      (n.srv as SRVRecord[]).push({ type: 'SRV', name: svcName, ttl, priority: 0, weight: 0, port, target });
    }
  };
  const addServiceSrv = (target: DomainName) => {
    for (const port of svc.ports) {
      if (!port.name) continue;
      addSrv(srvOwner(port.name, port.protocol, svcName), port.protocol, port.port, target);
    }
  };

  // Ready endpoints, each address under its hostname or dashed IP (spec 2.4, CoreDNS endpointHostname).
  const ready: { label: string; address: string; ports: EndpointGroupInput['ports'] }[] = [];
  for (const group of groups) {
    for (const ep of group.endpoints) {
      if (!ep.ready && !svc.publishNotReadyAddresses) continue;
      for (const address of ep.addresses) {
        ready.push({ label: (ep.hostname ?? dashedIp(address)).toLowerCase(), address, ports: group.ports });
      }
    }
  }
  const summary: ServiceSummary = {
    namespace: ns,
    name: svc.name.toLowerCase(),
    kind: svc.kind,
    readyEndpoints: ready.length,
    fingerprint: fingerprintOf(svc, ready),
  };

  if (svc.kind === 'ExternalName') {
    const target = svc.externalName ?? '';
    node(svcName, 'service').cname = { type: 'CNAME', name: svcName, ttl, target };
    addServiceSrv(target);
  } else if (svc.kind === 'ClusterIP' || ready.length > 0) {
    // A headless service with no ready endpoints has no names at all (spec 2.4.1: NXDOMAIN).
    const svcNode = node(svcName, 'service');
    if (svc.kind === 'ClusterIP') {
      for (const ip of svc.clusterIPs) {
        addAddress(svcNode, svcName, ip);
        addPtr(ip, svcName);
      }
      addServiceSrv(svcName);
      for (const port of svc.ports) addBareSrv(svcNode, port.port, svcName);
    } else {
      for (const ep of ready) addAddress(svcNode, svcName, ep.address);
    }
    for (const ep of ready) {
      const epName = `${ep.label}.${svcName}`;
      addAddress(node(epName, 'endpoint'), epName, ep.address);
      addPtr(ep.address, epName);
      if (svc.kind === 'Headless') for (const port of ep.ports) addBareSrv(svcNode, port.port, epName);
    }
    if (svc.kind === 'Headless') {
      // Spec 2.4.2: one SRV per ready endpoint and named port, with the endpoint's port number.
      for (const ep of ready) {
        for (const port of ep.ports) {
          if (!port.name) continue;
          addSrv(srvOwner(port.name, port.protocol, svcName), port.protocol, port.port, `${ep.label}.${svcName}`);
        }
      }
    }
  }

  // Sort for deterministic answers and give SRV sets equal weights (RFC 2782; CoreDNS splits 100).
  const nodes = new Map<DomainName, NameNode>();
  for (const [name, n] of names) {
    if (n.a.length > 1) (n.a as ARecord[]).sort((x, y) => compareIp(x.address, y.address));
    if (n.aaaa.length > 1) (n.aaaa as AAAARecord[]).sort((x, y) => compareIp(x.address, y.address));
    if (n.srv.length > 0) {
      // The records were made here (addSrv, addBareSrv): set the weight in place, no copies.
      const weight = Math.max(1, Math.floor(100 / n.srv.length));
      for (const r of n.srv as { weight: number }[]) r.weight = weight;
      if (n.srv.length > 1) (n.srv as SRVRecord[]).sort((x, y) => (x.target === y.target ? x.port - y.port : x.target < y.target ? -1 : 1));
    }
    // What the registry keeps: exact-length arrays (an array grown by push keeps room for 16), and
    // the one shared node for a name without records.
    const empty = n.role === 'structure' && n.a.length + n.aaaa.length + n.srv.length === 0 && n.cname === undefined;
    nodes.set(name, empty ? structureNode : { role: n.role, a: exact(n.a), aaaa: exact(n.aaaa), cname: n.cname, srv: exact(n.srv) });
  }
  return { name: svcName, nodes, ptrs: exact(ptrs), summary, endpoints: ready.length };
}

/** The same elements in an array of exactly their length (shared empty when none). */
function exact<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? noRecords : list.slice();
}

/**
 * A cheap string that changes whenever the service's DNS-visible data changes. Joined once, so it
 * is one flat string, not the chain of pieces `+=` would keep alive for as long as the service.
 */
function fingerprintOf(svc: ServiceInput, ready: readonly { label: string; address: string; ports: EndpointGroupInput['ports'] }[]): string {
  const out: string[] = [svc.clusterIPs.join(','), '|', svc.externalName ?? '', '|'];
  for (const p of svc.ports) out.push(`${p.name ?? ''}/${p.protocol}/${p.port},`);
  for (const e of ready) {
    out.push(`|${e.label}=${e.address}`);
    for (const p of e.ports) out.push(`:${p.name ?? ''}/${p.protocol}/${p.port}`);
  }
  return out.join('');
}

/** `_http._tcp.web.shop.svc.cluster.local`; port names and protocols match case-insensitively. */
function srvOwner(portName: string, protocol: string, svcName: DomainName): DomainName {
  return `_${portName.toLowerCase()}._${protocol.toLowerCase()}.${svcName}`;
}

/** Orders addresses numerically within IPv4, textually otherwise (canonical texts). */
export function compareIp(a: string, b: string): number {
  if (ipFamily(a) === 4 && ipFamily(b) === 4) return ipv4Number(a) - ipv4Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A canonical dotted quad as one number, without allocating (sorting runs it for every comparison). */
function ipv4Number(ip: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return value * 256 + octet;
}
