/** The slim registry model: only the fields DNS needs, reduced from manifests or the native format. */

/** Where an object came from, for diagnostics: `zones/shop.yaml:14`. */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface ServicePort {
  /** Port name as written (matched case-insensitively); unnamed ports get no SRV record. */
  readonly name: string | undefined;
  readonly protocol: PortProtocol;
  readonly port: number;
}

/**
 * A Service. `kind` decides the answers: ClusterIP (and NodePort/LoadBalancer, served by their
 * ClusterIP) → its `clusterIPs`; Headless → ready endpoint addresses; ExternalName → a CNAME.
 */
export interface ServiceInput {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  /** Canonical IP texts (RFC 5952 for IPv6); empty unless kind is ClusterIP. */
  readonly clusterIPs: readonly string[];
  /** Lowercase, no trailing dot; set only for ExternalName. */
  readonly externalName: string | undefined;
  readonly ports: readonly ServicePort[];
  /** spec.publishNotReadyAddresses or the tolerate-unready-endpoints annotation: not-ready endpoints count as ready. */
  readonly publishNotReadyAddresses: boolean;
  readonly origin: Origin;
}

/** An endpoint's port: the same shape as a service port, with the number the endpoint listens on. */
export type EndpointPort = ServicePort;

export interface EndpointInput {
  /** Canonical IP texts. One endpoint may have several (an EndpointSlice endpoint, or dual-stack native). */
  readonly addresses: readonly string[];
  readonly hostname: string | undefined;
  readonly ready: boolean;
}

/**
 * A group of endpoints for one service with the ports they share: one EndpointSlice, one subset of
 * a v1 Endpoints, or the endpoints of a native service. A service may have several groups.
 */
export interface EndpointGroupInput {
  readonly namespace: string;
  readonly service: string;
  /** EndpointSlice groups win over v1 Endpoints groups for the same service, as in the cluster. */
  readonly source: 'EndpointSlice' | 'Endpoints' | 'native';
  readonly ports: readonly EndpointPort[];
  readonly endpoints: readonly EndpointInput[];
  readonly origin: Origin;
}

export interface PodInput {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
  readonly origin: Origin;
}

export interface NamespaceInput {
  readonly name: string;
  readonly origin: Origin;
}

/** Everything one source (a file, an API call) contributes. Pure data, merged by buildRegistry. */
export interface RegistryInput {
  readonly namespaces: readonly NamespaceInput[];
  readonly services: readonly ServiceInput[];
  readonly endpointGroups: readonly EndpointGroupInput[];
  readonly pods: readonly PodInput[];
}

export function emptyRegistryInput(): RegistryInput {
  return { namespaces: [], services: [], endpointGroups: [], pods: [] };
}
