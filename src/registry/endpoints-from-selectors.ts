/**
 * Endpoints for Services with a selector and no EndpointSlices/Endpoints, derived from Pods the way
 * the EndpointSlice controller does (k8s.io/kubernetes pkg/controller/endpointslice). Pure.
 */
import { ipFamily, type IpFamily } from '../dns/ip.js';
import { matchesLabels } from './label-selector.js';
import type { EndpointGroupInput, EndpointInput, EndpointPort, PodInput, ServiceInput } from './model.js';

/**
 * One group per distinct set of resolved ports, as the controller puts endpoints with different
 * port sets into different slices. `services` must carry their final clusterIPs (after allocation).
 * Pods are taken in name order so the result does not depend on the order they arrived in.
 */
export function deriveEndpointsFromSelectors(services: readonly ServiceInput[], pods: readonly PodInput[]): EndpointGroupInput[] {
  const selecting = services.filter((s) => s.selector !== undefined && s.kind !== 'ExternalName');
  if (selecting.length === 0) return [];
  // Pods indexed by namespace and label (`ns\0key=value`), so a selector looks at its smallest candidate list.
  const podsByLabel = new Map<string, PodInput[]>();
  const sorted = [...pods].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const pod of sorted) {
    for (const [key, value] of Object.entries(pod.labels ?? {})) {
      const index = `${pod.namespace}\0${key}=${value}`;
      let list = podsByLabel.get(index);
      if (!list) podsByLabel.set(index, (list = []));
      list.push(pod);
    }
  }
  const candidates = (svc: ServiceInput): readonly PodInput[] => {
    let best: readonly PodInput[] | undefined;
    for (const [key, value] of Object.entries(svc.selector!)) {
      const list = podsByLabel.get(`${svc.namespace}\0${key}=${value}`) ?? [];
      if (!best || list.length < best.length) best = list;
    }
    return best ?? [];
  };

  const groups: EndpointGroupInput[] = [];
  for (const svc of selecting) {
    const families = addressFamilies(svc);
    const bySignature = new Map<string, { ports: EndpointPort[]; endpoints: EndpointInput[]; fromPods: PodInput[] }>();
    for (const pod of candidates(svc)) {
      if (!matchesLabels(svc.selector!, pod.labels ?? {})) continue;
      if (!shouldBeInEndpoints(pod, svc)) continue;
      const addresses = pod.ips.filter((ip) => families.has(ipFamily(ip)!));
      if (addresses.length === 0) continue;
      const ports = resolvePorts(svc, pod);
      const signature = ports.map((p) => `${p.name ?? ''}/${p.protocol}/${p.port}`).join(',');
      let group = bySignature.get(signature);
      if (!group) bySignature.set(signature, (group = { ports, endpoints: [], fromPods: [] }));
      group.fromPods.push(pod);
      // Hostname only when the Pod names this Service as its subdomain (endpointslice utils podToEndpoint).
      const hostname = pod.hostname && pod.subdomain === svc.name ? pod.hostname : undefined;
      // "ready" is never true for a terminating Pod unless publishNotReadyAddresses overrides readiness.
      group.endpoints.push({ addresses, hostname, ready: (pod.ready ?? false) && !pod.terminating });
    }
    for (const { ports, endpoints, fromPods } of bySignature.values()) {
      groups.push({ namespace: svc.namespace, service: svc.name, source: 'EndpointSlice', ports, endpoints, origin: svc.origin, fromPods });
    }
  }
  return groups;
}

/**
 * podutil ShouldPodBeInEndpoints: not Succeeded/Failed, has an address; a terminating Pod only when
 * the Service publishes not-ready addresses (otherwise it would be not ready and not served anyway).
 */
function shouldBeInEndpoints(pod: PodInput, svc: ServiceInput): boolean {
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return false;
  if (pod.ips.length === 0) return false;
  return !pod.terminating || svc.publishNotReadyAddresses;
}

/**
 * Address families the controller makes slices for (getAddressTypesForService): `ipFamilies` when
 * set; else the families of the ClusterIPs; else (headless) both, so a dual-stack Pod's every address.
 */
function addressFamilies(svc: ServiceInput): ReadonlySet<IpFamily> {
  if (svc.ipFamilies && svc.ipFamilies.length > 0) return new Set(svc.ipFamilies);
  if (svc.kind === 'ClusterIP' && svc.clusterIPs.length > 0) return new Set(svc.clusterIPs.map((ip) => ipFamily(ip)!));
  return new Set<IpFamily>([4, 6]);
}

/**
 * Each service port as the Pod serves it: a numeric targetPort as is (absent: the service port), a
 * named one through the Pod's container ports of the same protocol (FindPort); a Pod without that
 * named port is left out of that port, as the controller logs and skips it.
 */
function resolvePorts(svc: ServiceInput, pod: PodInput): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const port of svc.ports) {
    const target = port.targetPort ?? port.port;
    if (typeof target === 'number') {
      ports.push({ name: port.name, protocol: port.protocol, port: target });
      continue;
    }
    const found = pod.containerPorts?.find((c) => c.name === target && c.protocol === port.protocol);
    if (found) ports.push({ name: port.name, protocol: port.protocol, port: found.port });
  }
  return ports;
}
