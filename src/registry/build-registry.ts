/** buildRegistry: merges source inputs into one validated, fully indexed Registry snapshot. Pure. */
import type { DomainName, PTRRecord } from '../dns/types.js';
import type { Cidr } from '../dns/cidr.js';
import { buildHostIndex, type HostIndexOptions } from './build-host-index.js';
import { deriveControlPlane } from './derive-control-plane.js';
import type { Diagnostic } from './diagnostics.js';
import type { EndpointGroupInput, RegistryInput, ServiceInput } from './model.js';
import type { NameNode, Registry, ServiceSummary } from './registry.js';
import { serviceNames, structureNode } from './service-names.js';

export interface BuildOptions {
  /** Cluster domain, any case, with or without the trailing dot. */
  readonly clusterDomain: string;
  readonly ttl: number;
  /** SOA serial of the result; callers pass a clock-derived value. */
  readonly serial: number;
  /** ClusterIPs for Services written without one come from here. Default `10.96.0.0/12`, `fd00:10:96::/108`. */
  readonly serviceCidrs?: readonly Cidr[];
  /** Simulated workload Pods get addresses from here. Default `10.244.0.0/16`, `fd00:10:244::/56`. */
  readonly podCidrs?: readonly Cidr[];
  /** Zones and default address for Ingress, Gateway and LoadBalancer hostnames. Default: no zones (none served). */
  readonly hosts?: HostIndexOptions;
}

/**
 * One source's contribution, tagged with the source's id by the publisher (`registrations`, `files`,
 * `kubernetes`). Inputs come in precedence order: a service from an earlier source shadows a later
 * one's, and a service's endpoints are taken only from its own source.
 */
export interface SourcedInput extends RegistryInput {
  readonly source?: string;
}

export interface BuildResult {
  readonly registry: Registry;
  readonly diagnostics: readonly Diagnostic[];
}

/** Namespaces every Kubernetes cluster has, so `<ns>.svc.<zone>` and pod names in them exist. */
export const BUILT_IN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Normalises a cluster domain: lowercase, no leading/trailing dots. */
export function normalizeZone(domain: string): DomainName {
  return domain.toLowerCase().replace(/^\.+|\.+$/g, '');
}

/**
 * Builds the snapshot: derivation first (derive-control-plane.ts), then services win by first origin (a duplicate is an error naming both places),
 * EndpointSlices win over v1 Endpoints for the same service, and every name, record set and
 * reverse entry is computed here so that queries only look things up.
 */
export function buildRegistry(written: readonly SourcedInput[], options: BuildOptions): BuildResult {
  const steps = buildRegistrySteps(written, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Objects handled between two pauses of buildRegistrySteps. */
const STEP = 256;

/**
 * buildRegistry as a generator that pauses every few hundred objects, so a caller can spread a
 * large build over several turns of the event loop (see build-in-slices.ts). Nothing is shared
 * until it returns: the snapshot is complete or not there at all.
 */
export function* buildRegistrySteps(written: readonly SourcedInput[], options: BuildOptions): Generator<void, BuildResult, void> {
  let work = 0;
  const zone = normalizeZone(options.clusterDomain);
  const ttl = options.ttl;
  // First what the control plane would add: allocated ClusterIPs, workload Pods, selector endpoints.
  const derived = deriveControlPlane(written, options);
  // Derivation keeps each input object (or a spread copy of it), so the source tags survive.
  const inputs: readonly SourcedInput[] = derived.inputs;
  const diagnostics: Diagnostic[] = [...derived.diagnostics];

  const namespaces = new Set<string>(BUILT_IN_NAMESPACES);
  const services = new Map<string, ServiceInput>();
  /** Which source each winning service came from; its endpoints must come from the same one. */
  const serviceSource = new Map<string, string | undefined>();
  const groupsByService = new Map<string, { group: EndpointGroupInput; from: string | undefined }[]>();
  const podIps = new Map<string, Set<string>>();
  let podCount = 0;

  for (const input of inputs) {
    for (const ns of input.namespaces) namespaces.add(ns.name.toLowerCase());
    for (const svc of input.services) {
      if (++work % STEP === 0) yield;
      const key = serviceKey(svc.namespace, svc.name);
      const previous = services.get(key);
      if (previous) {
        // Inputs come in precedence order: an earlier source shadows a later one (a warning);
        // two definitions within one source are a mistake (an error naming both places).
        diagnostics.push(duplicateServiceDiagnostic(svc, input.source, previous, serviceSource.get(key)));
        continue;
      }
      services.set(key, svc);
      serviceSource.set(key, input.source);
      namespaces.add(svc.namespace.toLowerCase());
    }
    for (const group of input.endpointGroups) {
      if (++work % STEP === 0) yield;
      const key = serviceKey(group.namespace, group.service);
      let list = groupsByService.get(key);
      if (!list) groupsByService.set(key, (list = []));
      list.push({ group, from: input.source });
    }
    for (const pod of input.pods) {
      if (++work % STEP === 0) yield;
      const ns = pod.namespace.toLowerCase();
      namespaces.add(ns);
      let set = podIps.get(ns);
      if (!set) podIps.set(ns, (set = new Set()));
      for (const ip of pod.ips) set.add(ip);
      podCount++;
    }
  }

  const names = new Map<DomainName, NameNode>();
  const reverse = new Map<DomainName, PTRRecord[]>();
  const summaries: ServiceSummary[] = [];
  let endpointCount = 0;

  const structure = (name: DomainName) => {
    if (!names.has(name)) names.set(name, structureNode);
  };
  structure(`svc.${zone}`);
  structure(`pod.${zone}`);
  for (const ns of namespaces) {
    structure(`${ns}.svc.${zone}`);
    structure(`${ns}.pod.${zone}`);
  }

  for (const [key, svc] of services) {
    if (++work % STEP === 0) yield;
    // A service that shadows another source's takes its endpoints from its own source only.
    const from = serviceSource.get(key);
    // Derived groups (endpoints from selectors) carry no source and go with whichever service won.
    const groups = preferredGroups((groupsByService.get(key) ?? []).filter((g) => g.from === from || g.from === undefined).map((g) => g.group));
    // Every name of one service lies under its own name, so the parts never overlap (service-names.ts).
    const part = serviceNames(svc, groups, zone, ttl);
    for (const [name, n] of part.nodes) names.set(name, n);
    for (let i = 0; i < part.ptrs.length; i += 2) {
      const owner = part.ptrs[i]!;
      const target = part.ptrs[i + 1]!;
      let list = reverse.get(owner);
      if (!list) reverse.set(owner, (list = []));
      if (!list.some((r) => r.target === target)) list.push({ type: 'PTR', name: owner, ttl, target });
    }
    summaries.push(part.summary);
    endpointCount += part.endpoints;
  }

  const frozen: ReadonlyMap<DomainName, NameNode> = names;
  yield;
  for (const list of reverse.values()) list.sort((x, y) => (x.target < y.target ? -1 : x.target > y.target ? 1 : 0));

  yield;
  summaries.sort((x, y) => (x.namespace === y.namespace ? cmp(x.name, y.name) : cmp(x.namespace, y.namespace)));

  // Hostnames outside the cluster zone are their own index (build-host-index.ts), built from the same inputs.
  const hostIndex = buildHostIndex(inputs, options.hosts ?? { zones: [], defaultAddresses: [] });
  diagnostics.push(...hostIndex.diagnostics);
  // Services from registrations (the API anyone on loopback may reach): short forms of theirs that
  // look like public names are not answered by default (short-form-stage.ts).
  const registeredServices = new Set<string>();
  for (const [key, source] of serviceSource) if (source === REGISTRATIONS_SOURCE_ID) registeredServices.add(key);

  const registry: Registry = {
    zone,
    registeredServices,
    ttl,
    serial: options.serial >>> 0,
    namespaces,
    names: frozen,
    reverse,
    podIps,
    services: summaries,
    counts: { namespaces: namespaces.size, services: services.size, endpoints: endpointCount, pods: podCount },
    derived: { allocatedClusterIps: derived.allocatedClusterIps, addresses: derived.derivedAddresses, simulatedPods: derived.simulatedPods },
    hosts: hostIndex.index,
    inputs,
  };
  return { registry, diagnostics };
}

/**
 * A second definition of one service: shadowed by an earlier source (a warning: precedence at
 * work), or defined twice within one source (an error naming both places). The whole build and the
 * live registry (live-registry.ts) report it in the same words.
 */
export function duplicateServiceDiagnostic(svc: ServiceInput, source: string | undefined, winner: ServiceInput, winnerSource: string | undefined): Diagnostic {
  const shadowed = winnerSource !== source;
  return {
    severity: shadowed ? 'warning' : 'error',
    file: svc.origin.file,
    line: svc.origin.line,
    field: 'metadata.name',
    message: shadowed
      ? `service "${svc.name}" in namespace "${svc.namespace}" is shadowed by the ${winnerSource ?? 'other'} source (${winner.origin.file}:${winner.origin.line})`
      : `service "${svc.name}" in namespace "${svc.namespace}" is already defined at ${winner.origin.file}:${winner.origin.line}`,
  };
}

/** The registrations source's id (sources/registrations-source.ts); registry/ does not import sources/. */
export const REGISTRATIONS_SOURCE_ID = 'registrations';

function serviceKey(namespace: string, name: string): string {
  return `${namespace.toLowerCase()}/${name.toLowerCase()}`;
}

/** EndpointSlices supersede v1 Endpoints for the same service, as the EndpointSlice mirroring does. */
export function preferredGroups(groups: readonly EndpointGroupInput[]): readonly EndpointGroupInput[] {
  if (!groups.some((g) => g.source === 'Endpoints')) return groups;
  if (!groups.some((g) => g.source !== 'Endpoints')) return groups;
  return groups.filter((g) => g.source !== 'Endpoints');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
