/** buildRegistry: merges source inputs into one validated, fully indexed Registry snapshot. Pure. */
import { dashedIp, ipFamily, reverseName } from '../dns/ip.js';
import type { AAAARecord, ARecord, CNAMERecord, DomainName, PTRRecord, SRVRecord } from '../dns/types.js';
import type { Cidr } from '../dns/cidr.js';
import { buildHostIndex, type HostIndexOptions } from './build-host-index.js';
import { deriveControlPlane } from './derive-control-plane.js';
import type { Diagnostic } from './diagnostics.js';
import type { EndpointGroupInput, RegistryInput, ServiceInput } from './model.js';
import type { NameNode, NameRole, Registry, ServiceSummary } from './registry.js';

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

/** A name node while building; record arrays are created only when a name gets records. */
interface MutableNode {
  role: NameRole;
  a: ARecord[] | readonly never[];
  aaaa: AAAARecord[] | readonly never[];
  cname: CNAMERecord | undefined;
  srv: SRVRecord[] | readonly never[];
}

const noRecords: readonly never[] = Object.freeze([]);

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
        const from = serviceSource.get(key);
        const shadowed = from !== input.source;
        diagnostics.push({
          severity: shadowed ? 'warning' : 'error',
          file: svc.origin.file,
          line: svc.origin.line,
          field: 'metadata.name',
          message: shadowed
            ? `service "${svc.name}" in namespace "${svc.namespace}" is shadowed by the ${from ?? 'other'} source (${previous.origin.file}:${previous.origin.line})`
            : `service "${svc.name}" in namespace "${svc.namespace}" is already defined at ${previous.origin.file}:${previous.origin.line}`,
        });
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

  const names = new Map<DomainName, MutableNode>();
  const reverse = new Map<DomainName, PTRRecord[]>();
  const summaries: ServiceSummary[] = [];
  let endpointCount = 0;

  let lastProtocolName = '';
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
    let list = reverse.get(owner);
    if (!list) reverse.set(owner, (list = []));
    if (!list.some((r) => r.target === target)) list.push({ type: 'PTR', name: owner, ttl, target });
  };

  node(`svc.${zone}`, 'structure');
  node(`pod.${zone}`, 'structure');
  for (const ns of namespaces) {
    node(`${ns}.svc.${zone}`, 'structure');
    node(`${ns}.pod.${zone}`, 'structure');
  }

  for (const [key, svc] of services) {
    if (++work % STEP === 0) yield;
    const ns = svc.namespace.toLowerCase();
    const svcName: DomainName = `${svc.name.toLowerCase()}.${ns}.svc.${zone}`;
    // A service that shadows another source's takes its endpoints from its own source only.
    const from = serviceSource.get(key);
    // Derived groups (endpoints from selectors) carry no source and go with whichever service won.
    const groups = preferredGroups((groupsByService.get(key) ?? []).filter((g) => g.from === from || g.from === undefined).map((g) => g.group));

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
    endpointCount += ready.length;
    summaries.push({
      namespace: ns,
      name: svc.name.toLowerCase(),
      kind: svc.kind,
      readyEndpoints: ready.length,
      fingerprint: fingerprintOf(svc, ready),
    });

    if (svc.kind === 'ExternalName') {
      const target = svc.externalName ?? '';
      node(svcName, 'service').cname = { type: 'CNAME', name: svcName, ttl, target };
      addServiceSrv(svc, svcName, target);
      continue;
    }

    // A headless service with no ready endpoints has no names at all (spec 2.4.1: NXDOMAIN).
    if (svc.kind === 'Headless' && ready.length === 0) continue;

    const svcNode = node(svcName, 'service');
    if (svc.kind === 'ClusterIP') {
      for (const ip of svc.clusterIPs) {
        addAddress(svcNode, svcName, ip);
        addPtr(ip, svcName);
      }
      addServiceSrv(svc, svcName, svcName);
      for (const port of svc.ports) addBareSrv(svcNode, svcName, port.port, svcName);
    } else {
      for (const ep of ready) addAddress(svcNode, svcName, ep.address);
    }

    for (const ep of ready) {
      const epName = `${ep.label}.${svcName}`;
      addAddress(node(epName, 'endpoint'), epName, ep.address);
      addPtr(ep.address, epName);
      if (svc.kind === 'Headless') for (const port of ep.ports) addBareSrv(svcNode, svcName, port.port, epName);
    }

    if (svc.kind === 'Headless') {
      // Spec 2.4.2: one SRV per ready endpoint and named port, with the endpoint's port number.
      const seen = new Set<string>();
      for (const ep of ready) {
        for (const port of ep.ports) {
          if (!port.name) continue;
          const owner = srvOwner(port.name, port.protocol, svcName);
          const target = `${ep.label}.${svcName}`;
          const dedupe = `${owner} ${port.port} ${target}`;
          if (seen.has(dedupe)) continue;
          seen.add(dedupe);
          addSrv(owner, svcName, port.protocol, port.port, target);
        }
      }
    }
  }

  function addServiceSrv(svc: ServiceInput, svcName: DomainName, target: DomainName): void {
    for (const port of svc.ports) {
      if (!port.name) continue;
      addSrv(srvOwner(port.name, port.protocol, svcName), svcName, port.protocol, port.port, target);
    }
  }

  /**
   * SRV at the bare service name, one per port, named or not (CoreDNS answers `<svc>.<ns>.svc` SRV
   * with every port: ClusterIP → the service name, headless → each ready endpoint's name).
   */
  function addBareSrv(n: MutableNode, svcName: DomainName, port: number, target: DomainName): void {
    if (n.srv === noRecords) n.srv = [];
    if (!n.srv.some((r) => r.port === port && r.target === target)) {
      (n.srv as SRVRecord[]).push({ type: 'SRV', name: svcName, ttl, priority: 0, weight: 0, port, target });
    }
  }

  function addSrv(owner: DomainName, svcName: DomainName, protocol: string, port: number, target: DomainName): void {
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
  }

  // Sort for deterministic answers and give SRV sets equal weights (RFC 2782; CoreDNS splits 100).
  // The building nodes become the snapshot's nodes as they are: no second copy of 100k objects.
  for (const n of names.values()) {
    if (++work % (STEP * 8) === 0) yield;
    if (n.a.length > 1) (n.a as ARecord[]).sort((x, y) => compareIp(x.address, y.address));
    if (n.aaaa.length > 1) (n.aaaa as AAAARecord[]).sort((x, y) => compareIp(x.address, y.address));
    if (n.srv.length > 0) {
      // The records were made by this build (addSrv, addBareSrv): set the weight in place, no copies.
      const weight = Math.max(1, Math.floor(100 / n.srv.length));
      for (const r of n.srv as { weight: number }[]) r.weight = weight;
      if (n.srv.length > 1) (n.srv as SRVRecord[]).sort((x, y) => (x.target === y.target ? x.port - y.port : x.target < y.target ? -1 : 1));
    }
  }
  const frozen: ReadonlyMap<DomainName, NameNode> = names;
  yield;
  for (const list of reverse.values()) list.sort((x, y) => (x.target < y.target ? -1 : x.target > y.target ? 1 : 0));

  yield;
  summaries.sort((x, y) => (x.namespace === y.namespace ? cmp(x.name, y.name) : cmp(x.namespace, y.namespace)));

  // Hostnames outside the cluster zone are their own index (build-host-index.ts), built from the same inputs.
  const hostIndex = buildHostIndex(inputs, options.hosts ?? { zones: [], defaultAddresses: [] });
  diagnostics.push(...hostIndex.diagnostics);

  const registry: Registry = {
    zone,
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

/** A cheap string that changes whenever the service's DNS-visible data changes. */
function fingerprintOf(svc: ServiceInput, ready: readonly { label: string; address: string; ports: EndpointGroupInput['ports'] }[]): string {
  let out = `${svc.clusterIPs.join(',')}|${svc.externalName ?? ''}|`;
  for (const p of svc.ports) out += `${p.name ?? ''}/${p.protocol}/${p.port},`;
  for (const e of ready) {
    out += `|${e.label}=${e.address}`;
    for (const p of e.ports) out += `:${p.name ?? ''}/${p.protocol}/${p.port}`;
  }
  return out;
}

function serviceKey(namespace: string, name: string): string {
  return `${namespace.toLowerCase()}/${name.toLowerCase()}`;
}

/** `_http._tcp.web.shop.svc.cluster.local`; port names and protocols match case-insensitively. */
function srvOwner(portName: string, protocol: string, svcName: DomainName): DomainName {
  return `_${portName.toLowerCase()}._${protocol.toLowerCase()}.${svcName}`;
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

function compareIp(a: string, b: string): number {
  if (ipFamily(a) === 4 && ipFamily(b) === 4) return ipv4Number(a) - ipv4Number(b);
  return cmp(a, b);
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
