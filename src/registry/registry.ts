/** The immutable, indexed registry snapshot every query reads: names → record sets, built once. */
import type {
  AAAARecord,
  ARecord,
  CNAMERecord,
  DomainName,
  PTRRecord,
  SRVRecord,
} from '../dns/types.js';
import type { HostIndex } from './build-host-index.js';
import type { RegistryInput } from './model.js';

/**
 * What a name under the cluster zone is. `service`, `endpoint`, `port` (an SRV owner) and `pod`
 * names are what short forms may expand to; `structure` names (`svc.<zone>`, `<ns>.svc.<zone>`,
 * `_tcp.<svc>…`) exist only so that asking them gives NODATA rather than NXDOMAIN.
 */
export type NameRole = 'service' | 'endpoint' | 'port' | 'structure';

/** The record sets owned by one name. Absent sets are empty. */
export interface NameNode {
  readonly role: NameRole;
  readonly a: readonly ARecord[];
  readonly aaaa: readonly AAAARecord[];
  readonly cname: CNAMERecord | undefined;
  readonly srv: readonly SRVRecord[];
}

export interface RegistryCounts {
  readonly namespaces: number;
  readonly services: number;
  readonly endpoints: number;
  readonly pods: number;
}

/** Summary of one service, for listings and change reports. */
export interface ServiceSummary {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  readonly readyEndpoints: number;
  /** Changes whenever anything DNS-visible about the service changes (addresses, ports, target). */
  readonly fingerprint: string;
}

export interface Registry {
  /** Lowercase cluster domain without the trailing dot, e.g. `cluster.local`. */
  readonly zone: DomainName;
  readonly ttl: number;
  /** SOA serial: changes whenever the content changes (RFC 1035 §3.3.13). */
  readonly serial: number;
  readonly namespaces: ReadonlySet<string>;
  /**
   * `namespace/name` (lowercase) of the services that came from registrations (apply, HTTP /v1).
   * Absent in hand-made registries: none.
   */
  readonly registeredServices?: ReadonlySet<string>;
  /** Every name under the zone that exists, apex-level names excepted (the cluster stage owns those). */
  readonly names: ReadonlyMap<DomainName, NameNode>;
  /** Reverse names (`10.0.96.10.in-addr.arpa`) → PTR records. */
  readonly reverse: ReadonlyMap<DomainName, readonly PTRRecord[]>;
  /** Namespace → canonical pod IPs, for `--pods verified`. */
  readonly podIps: ReadonlyMap<string, ReadonlySet<string>>;
  readonly services: readonly ServiceSummary[];
  readonly counts: RegistryCounts;
  /** What was derived rather than read (derive-control-plane.ts), for `records` and the reload log. */
  readonly derived: DerivedSummary;
  /** Ingress, Gateway and LoadBalancer hostnames inside --ingress-zones (build-host-index.ts); absent in hand-made registries. */
  readonly hosts?: HostIndex;
  /**
   * The slim objects (with their origins, derived ones included) this snapshot was built from: a
   * reference, not a copy, so it costs queries nothing. Only `explain` reads it; absent in hand-made registries.
   */
  readonly inputs?: readonly RegistryInput[];
  /**
   * Set on views of the live registry (live-registry.ts), which share their maps and change per
   * batch: `version` counts the batches, and `changes` (one object for every view) says which names
   * changed since another view's version, so a memo drops only those. Absent on whole snapshots.
   */
  readonly version?: number;
  readonly changes?: RegistryChanges;
}

export interface RegistryChanges {
  /**
   * Names whose answers changed after `version` (changed services' names, whose subtrees changed
   * with them, and reverse owners), or undefined when that is too long ago to say.
   */
  since(version: number): readonly DomainName[] | undefined;
}

export interface DerivedSummary {
  /** `namespace/name` → ClusterIPs allocated for a Service written without one. */
  readonly allocatedClusterIps: ReadonlyMap<string, readonly string[]>;
  /** Allocated ClusterIPs → `allocated`; simulated workload Pods' addresses → `simulated`. */
  readonly addresses: ReadonlyMap<string, 'allocated' | 'simulated'>;
  readonly simulatedPods: number;
}
