/**
 * ClusterIP allocation as the API server does it for a Service written without `spec.clusterIP`,
 * made deterministic: the address follows from namespace/name, not from arrival order. Pure.
 */
import type { Cidr } from '../dns/cidr.js';
import { ipFamily, type IpFamily } from '../dns/ip.js';
import { createAddressPool, type AddressPool } from './address-pool.js';
import type { Diagnostic } from './diagnostics.js';
import type { ServiceInput } from './model.js';

export interface ClusterIpAllocation {
  /** Every service that gets addresses → its clusterIPs, primary family first. */
  readonly assigned: ReadonlyMap<ServiceInput, readonly string[]>;
  /** Services the API server would reject (no range of an asked-for family, a full range): left out. */
  readonly rejected: ReadonlySet<ServiceInput>;
  /** `namespace/name` → the addresses allocated, for `records` and the log. */
  readonly allocated: ReadonlyMap<string, readonly string[]>;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Explicit addresses of every service are reserved first, so they are never handed out again. Then
 * the services that need an address are served in key order (namespace/name): a service's address
 * only moves when another generated candidate collides with it and sorts first, never because an
 * unrelated service came or went. Each family has its own range; a dual-stack service gets one of each.
 */
export function allocateClusterIps(services: readonly ServiceInput[], serviceCidrs: readonly Cidr[]): ClusterIpAllocation {
  const assigned = new Map<ServiceInput, readonly string[]>();
  const rejected = new Set<ServiceInput>();
  const allocated = new Map<string, readonly string[]>();
  const diagnostics: Diagnostic[] = [];

  const wanting: { svc: ServiceInput; key: string; families: readonly IpFamily[] }[] = [];
  for (const svc of services) {
    // Only Services written without any ClusterIP: addresses as written (or as the API server gave
    // them, in a dump) are never added to, so a cluster's own output is served exactly.
    if (svc.kind !== 'ClusterIP' || svc.clusterIPs.length > 0) continue;
    const families = wantedFamilies(svc, serviceCidrs);
    if (!Array.isArray(families)) {
      const { field, message } = families as FamilyProblem;
      rejected.add(svc);
      diagnostics.push(problem(svc, field, message));
      continue;
    }
    wanting.push({ svc, key: `${svc.namespace}/${svc.name}`.toLowerCase(), families });
  }
  if (wanting.length === 0) return { assigned, rejected, allocated, diagnostics };

  const pools = new Map<IpFamily, AddressPool>();
  for (const cidr of serviceCidrs) if (!pools.has(cidr.family)) pools.set(cidr.family, createAddressPool(cidr, { staticBand: true }));
  for (const svc of services) if (svc.kind === 'ClusterIP') for (const ip of svc.clusterIPs) pools.get(ipFamily(ip)!)?.reserve(ip);

  wanting.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const byKey = new Map<string, readonly string[]>(); // a service defined twice gets the same answer twice
  for (const { svc, key, families } of wanting) {
    let full: Cidr | undefined;
    const ips: string[] = [];
    for (const family of families) {
      const previous = byKey.get(key)?.find((ip) => ipFamily(ip) === family);
      const pool = pools.get(family)!;
      const ip = previous ?? pool.allocate(key);
      if (!ip) {
        full = pool.cidr;
        break;
      }
      ips.push(ip);
    }
    if (full) {
      rejected.add(svc);
      diagnostics.push(problem(svc, 'spec.clusterIP', `no free address left in service CIDR ${full.text} (--service-cidr) for service "${svc.name}" in namespace "${svc.namespace}"`));
      continue;
    }
    byKey.set(key, ips);
    assigned.set(svc, ips);
    if (!allocated.has(key)) allocated.set(key, ips);
  }
  return { assigned, rejected, allocated, diagnostics };
}

/** Why a Service cannot get the families it asks for (the API server would reject it). */
export interface FamilyProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * The families a ClusterIP service gets, in order (the first is primary), as the API server
 * decides them from `ipFamilyPolicy` and `ipFamilies` (Kubernetes "IPv4/IPv6 dual-stack"):
 * SingleStack → the first asked-for family (else the cluster's primary, the first service CIDR);
 * PreferDualStack → both where ranges exist; RequireDualStack → both, or a problem text.
 */
export function wantedFamilies(svc: ServiceInput, serviceCidrs: readonly Cidr[]): readonly IpFamily[] | FamilyProblem {
  const available = serviceCidrs.map((c) => c.family);
  const asked = svc.ipFamilies ?? [];
  const present = svc.clusterIPs.map((ip) => ipFamily(ip)!);
  const primary = asked[0] ?? present[0] ?? available[0];
  if (primary === undefined) return { field: 'spec.clusterIP', message: 'no service CIDR to allocate from (--service-cidr)' };
  const policy = svc.ipFamilyPolicy ?? (asked.length > 1 || present.length > 1 ? 'PreferDualStack' : 'SingleStack');
  const other: IpFamily = primary === 4 ? 6 : 4;
  const families: IpFamily[] = policy === 'SingleStack' ? [primary] : [primary, other];
  for (const family of families) {
    if (present.includes(family) || available.includes(family)) continue;
    if (family === other && policy === 'PreferDualStack') return [primary];
    const field = asked.includes(family) ? 'spec.ipFamilies' : 'spec.ipFamilyPolicy';
    return { field, message: `IPv${family} needs an IPv${family} service CIDR (--service-cidr)` };
  }
  return families;
}

function problem(svc: ServiceInput, field: string, message: string): Diagnostic {
  return { severity: 'error', file: svc.origin.file, line: svc.origin.line, field, message };
}
