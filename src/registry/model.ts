/** The slim registry model: only the fields DNS needs, reduced from manifests or the native format. */

/** Where an object came from, for diagnostics: `zones/shop.yaml:14`. */
export interface Origin {
  readonly file: string;
  readonly line: number;
  /** A live Kubernetes object's metadata.resourceVersion, for explain. */
  readonly resourceVersion?: string;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/** A named, numbered port: a service's port, an endpoint's port, a container's port. */
export interface EndpointPort {
  /** Port name as written (matched case-insensitively); unnamed ports get no SRV record. */
  readonly name: string | undefined;
  readonly protocol: PortProtocol;
  readonly port: number;
}

export interface ServicePort extends EndpointPort {
  /**
   * Where endpoints derived from a selector listen: a number, or a container port name resolved
   * per Pod (lowercase). Absent means `port`. Only used when endpoints are derived from a selector.
   */
  readonly targetPort?: number | string;
}

/** `spec.ipFamilyPolicy`; absent means SingleStack, as the API server defaults it. */
export type IpFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

/** Label selector (`matchLabels` and `matchExpressions`, or a Service's plain map). */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelRequirement[];
}

export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

/**
 * A Service. `kind` decides the answers: ClusterIP (and NodePort/LoadBalancer, served by their
 * ClusterIP) → its `clusterIPs`; Headless → ready endpoint addresses; ExternalName → a CNAME.
 */
export interface ServiceInput {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  /**
   * Canonical IP texts (RFC 5952 for IPv6); empty unless kind is ClusterIP. A ClusterIP service
   * written without any gets them allocated from the service CIDRs before the registry is built.
   */
  readonly clusterIPs: readonly string[];
  /** `spec.ipFamilies` as written (4 = IPv4, 6 = IPv6), in order; empty when unset. */
  readonly ipFamilies?: readonly (4 | 6)[];
  readonly ipFamilyPolicy?: IpFamilyPolicy;
  /** `spec.selector`; undefined or empty: no endpoints are derived (the Service is managed by hand). */
  readonly selector?: Readonly<Record<string, string>>;
  /** Lowercase, no trailing dot; set only for ExternalName. */
  readonly externalName: string | undefined;
  readonly ports: readonly ServicePort[];
  /** spec.publishNotReadyAddresses or the tolerate-unready-endpoints annotation: not-ready endpoints count as ready. */
  readonly publishNotReadyAddresses: boolean;
  readonly origin: Origin;
}

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
  /** Set on groups derived from a Service's selector (no slice exists): the Pods they came from, for explain. */
  readonly fromPods?: readonly PodInput[];
}

/** The controlling owner of an object (`metadata.ownerReferences` with `controller: true`, else the first). */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
}

export interface PodInput {
  readonly namespace: string;
  readonly name: string;
  /** `status.podIPs` (else `status.podIP`); empty for a Pod not yet scheduled. */
  readonly ips: readonly string[];
  readonly origin: Origin;
  /** The fields below feed endpoints derived from selectors; absent on native-format pods. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The `Ready` condition is True. */
  readonly ready?: boolean;
  /** `status.phase`, e.g. Running, Succeeded, Failed. */
  readonly phase?: string;
  /** `metadata.deletionTimestamp` is set. */
  readonly terminating?: boolean;
  readonly hostname?: string;
  readonly subdomain?: string;
  /** Container ports (named ones resolve a Service's named targetPort). */
  readonly containerPorts?: readonly EndpointPort[];
  readonly owner?: OwnerRef;
  /** Set on Pods that stand in for a workload's Pods the registry does not hold, or that got their address here. */
  readonly simulated?: boolean;
  /** A Pod as written for `kubectl apply`, without status: it gets a simulated address, ready and Running. */
  readonly asApplied?: boolean;
}

/** The Pod template of a workload, reduced to what its Pods need for DNS. */
export interface PodTemplateInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly hostname: string | undefined;
  readonly subdomain: string | undefined;
  readonly containerPorts: readonly EndpointPort[];
}

/** A StatefulSet, Deployment or ReplicaSet: it stands for its Pods when the registry holds none of them. */
export interface WorkloadInput {
  readonly kind: 'StatefulSet' | 'Deployment' | 'ReplicaSet';
  readonly namespace: string;
  readonly name: string;
  /** `spec.replicas`, default 1. */
  readonly replicas: number;
  /** `spec.selector`; an empty selector falls back to the template's labels. */
  readonly selector: LabelSelector;
  readonly template: PodTemplateInput;
  /** StatefulSet `spec.serviceName`: the governing (headless) Service, the Pods' subdomain. */
  readonly serviceName: string | undefined;
  /** A ReplicaSet's owning Deployment. */
  readonly owner: OwnerRef | undefined;
  readonly origin: Origin;
}

export interface NamespaceInput {
  readonly name: string;
  readonly origin: Origin;
}

/** Where a published hostname points, from an object's status: an IP (A/AAAA) or a hostname (CNAME). */
export type HostTarget = { readonly ip: string } | { readonly hostname: string };

/** The kinds that publish hostnames outside the cluster zone, in k8s_gateway's lookup order. */
export type HostObjectKind = 'HTTPRoute' | 'TLSRoute' | 'GRPCRoute' | 'Gateway' | 'Ingress' | 'Service';

/** A Gateway listener as routes attach to it. */
export interface GatewayListener {
  readonly name: string;
  /** Undefined: the listener takes any host. */
  readonly hostname: string | undefined;
  /**
   * `allowedRoutes.namespaces.from`: `Same` (the default) admits routes of the Gateway's namespace
   * only, `All` every namespace, `Selector` namespaces by label (not checked here: admitted).
   */
  readonly allowedNamespaces: 'Same' | 'All' | 'Selector';
}

/** A Gateway API route's `parentRefs` entry that names a Gateway. */
export interface GatewayRef {
  readonly namespace: string;
  readonly name: string;
  /** A listener name; undefined attaches to every listener. */
  readonly sectionName: string | undefined;
}

/**
 * An object that publishes hostnames (what k8s_gateway and minikube ingress-dns answer): an Ingress
 * (`spec.rules[].host`, `spec.tls[].hosts`), a Gateway (`spec.listeners[].hostname`), an
 * HTTPRoute/GRPCRoute/TLSRoute (`spec.hostnames`, addresses of the Gateways in `parentRefs`) or a
 * LoadBalancer Service (`external-dns.alpha.kubernetes.io/hostname`, and `<name>.<namespace>.<zone>`).
 */
export interface HostObjectInput {
  readonly kind: HostObjectKind;
  readonly namespace: string;
  readonly name: string;
  /** Lowercase, no trailing dot; a wildcard is `*.example.test`. */
  readonly hostnames: readonly string[];
  /**
   * From status (`status.loadBalancer.ingress[]`, a Gateway's `status.addresses[]`). Undefined: the
   * object has none (written without status, or no controller yet) and answers with --ingress-address.
   * Always undefined on routes: they answer with their Gateways' addresses.
   */
  readonly targets: readonly HostTarget[] | undefined;
  /** Routes: the Gateways they attach to. */
  readonly parents?: readonly GatewayRef[];
  /** Gateways: each listener's name and hostname (undefined: any host), for routes' sectionName. */
  readonly listeners?: readonly GatewayListener[];
  /** `metadata.creationTimestamp` (RFC 3339): of two objects claiming one host, the older wins. */
  readonly createdAt: string | undefined;
  readonly origin: Origin;
}

/** Everything one source (a file, an API call) contributes. Pure data, merged by buildRegistry. */
export interface RegistryInput {
  readonly namespaces: readonly NamespaceInput[];
  readonly services: readonly ServiceInput[];
  readonly endpointGroups: readonly EndpointGroupInput[];
  readonly pods: readonly PodInput[];
  /** Optional so that sources without workloads need not say so. */
  readonly workloads?: readonly WorkloadInput[];
  /** Ingresses, Gateways, routes and LoadBalancer Services' hostnames (build-host-index.ts); optional likewise. */
  readonly hostObjects?: readonly HostObjectInput[];
}

export function emptyRegistryInput(): RegistryInput {
  return { namespaces: [], services: [], endpointGroups: [], pods: [], workloads: [], hostObjects: [] };
}
