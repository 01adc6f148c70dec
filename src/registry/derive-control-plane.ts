/**
 * What the control plane would add to the objects as written, before the registry is built:
 * ClusterIPs for Services without one, Pods for workloads without Pods, endpoints from selectors.
 * Pure and deterministic: the same objects give the same result, whatever order they came in.
 */
import { parseCidr, type Cidr } from '../dns/cidr.js';
import { allocateClusterIps } from './allocate-cluster-ips.js';
import type { Diagnostic } from './diagnostics.js';
import { deriveEndpointsFromSelectors } from './endpoints-from-selectors.js';
import type { PodInput, RegistryInput, ServiceInput } from './model.js';
import { simulateWorkloadPods } from './simulate-workload-pods.js';
import { findUnmatchedSelectors } from './unmatched-selectors.js';
import { findUnmatchedTargetPorts } from './unmatched-target-ports.js';

export interface DeriveOptions {
  /** Ranges ClusterIPs are allocated from, the first is the primary family. Default `10.96.0.0/12`, `fd00:10:96::/108`. */
  readonly serviceCidrs?: readonly Cidr[];
  /** Ranges simulated Pods get addresses from. Default `10.244.0.0/16`, `fd00:10:244::/56`. */
  readonly podCidrs?: readonly Cidr[];
}

/** How an address came about, when the control plane would have made it: `records` marks these. */
export type DerivedAddressKind = 'allocated' | 'simulated';

export interface DerivedInputs {
  /** The inputs with allocated ClusterIPs filled in (rejected services left out), plus one input of derived objects. */
  readonly inputs: readonly RegistryInput[];
  /** `namespace/name` → ClusterIPs allocated here. */
  readonly allocatedClusterIps: ReadonlyMap<string, readonly string[]>;
  /** Every allocated ClusterIP and simulated Pod address. */
  readonly derivedAddresses: ReadonlyMap<string, DerivedAddressKind>;
  readonly simulatedPods: number;
  readonly diagnostics: readonly Diagnostic[];
}

/** The defaults of `--service-cidr` and `--pod-cidr` (kubeadm's service range, flannel's pod range). */
export const DEFAULT_SERVICE_CIDRS: readonly Cidr[] = ['10.96.0.0/12', 'fd00:10:96::/108'].map((t) => parseCidr(t)!);
const DEFAULT_POD_CIDRS: readonly Cidr[] = ['10.244.0.0/16', 'fd00:10:244::/56'].map((t) => parseCidr(t)!);

/**
 * Order matters between the three steps: simulated Pods feed selectors, and a Service's address
 * families (known after allocation) decide which Pod addresses become its endpoints.
 * A registry written entirely as the control plane's output (every Service with its ClusterIP, its
 * EndpointSlices listed, no workloads) passes through untouched and almost for free.
 */
export function deriveControlPlane(inputs: readonly RegistryInput[], options: DeriveOptions = {}): DerivedInputs {
  const serviceCidrs = options.serviceCidrs ?? DEFAULT_SERVICE_CIDRS;
  const podCidrs = options.podCidrs ?? DEFAULT_POD_CIDRS;
  const services: ServiceInput[] = [];
  const workloads = inputs.flatMap((i) => i.workloads ?? []);
  let needed = workloads.length > 0 || inputs.some((i) => i.pods.some((p) => p.asApplied));
  for (const input of inputs) {
    for (const svc of input.services) {
      services.push(svc);
      if (svc.selector || (svc.kind === 'ClusterIP' && svc.clusterIPs.length === 0)) needed = true;
    }
  }
  const none = { allocatedClusterIps: new Map(), derivedAddresses: new Map(), simulatedPods: 0, diagnostics: [] };
  if (!needed) return { inputs, ...none };

  // Real Pods, the first of each namespace/name (the builder's precedence order: earlier inputs win).
  const realPods = new Map<string, PodInput>();
  for (const input of inputs) for (const pod of input.pods) if (!realPods.has(`${pod.namespace}/${pod.name}`)) realPods.set(`${pod.namespace}/${pod.name}`, pod);
  const inUse = function* () {
    for (const pod of realPods.values()) yield* pod.ips;
    for (const input of inputs) for (const g of input.endpointGroups) for (const ep of g.endpoints) yield* ep.addresses;
  };
  const simulated = simulateWorkloadPods(workloads, [...realPods.values()], services, podCidrs, inUse());

  const allocation = allocateClusterIps(services, serviceCidrs);
  const finalServices = new Map<ServiceInput, ServiceInput>();
  for (const [svc, clusterIPs] of allocation.assigned) finalServices.set(svc, { ...svc, clusterIPs });
  const withAddresses = (svc: ServiceInput) => finalServices.get(svc) ?? svc;
  const keep = (svc: ServiceInput) => !allocation.rejected.has(svc);

  // Selectors apply only where the registry holds no EndpointSlices/Endpoints for the service:
  // those are the controller's own output and win.
  const withGroups = new Set<string>();
  for (const input of inputs) for (const g of input.endpointGroups) withGroups.add(`${g.namespace}/${g.service}`);
  const selecting = services.filter((s) => s.selector && keep(s) && !withGroups.has(`${s.namespace}/${s.name}`)).map(withAddresses);
  const placedPod = (pod: PodInput) => simulated.placed.get(pod) ?? pod;
  const allPods = [...[...realPods.values()].map(placedPod), ...simulated.pods];
  const endpointGroups = deriveEndpointsFromSelectors(selecting, allPods);

  const derivedAddresses = new Map<string, DerivedAddressKind>();
  for (const ips of allocation.allocated.values()) for (const ip of ips) derivedAddresses.set(ip, 'allocated');
  for (const pod of [...simulated.pods, ...simulated.placed.values()]) for (const ip of pod.ips) derivedAddresses.set(ip, 'simulated');

  const changed = finalServices.size > 0 || allocation.rejected.size > 0;
  const next: RegistryInput[] = inputs.map((input) => {
    let out = input;
    if (changed && input.services.some((s) => finalServices.has(s) || !keep(s))) out = { ...out, services: input.services.filter(keep).map(withAddresses) };
    if (simulated.placed.size > 0 && input.pods.some((p) => simulated.placed.has(p))) out = { ...out, pods: input.pods.map(placedPod) };
    return out;
  });
  if (simulated.pods.length > 0 || endpointGroups.length > 0) {
    next.push({ namespaces: [], services: [], endpointGroups, pods: simulated.pods, workloads: [] });
  }
  return {
    inputs: next,
    allocatedClusterIps: allocation.allocated,
    derivedAddresses,
    simulatedPods: simulated.pods.length + simulated.placed.size,
    diagnostics: [...allocation.diagnostics, ...simulated.diagnostics, ...findUnmatchedSelectors(selecting, allPods), ...findUnmatchedTargetPorts(selecting, allPods)],
  };
}
