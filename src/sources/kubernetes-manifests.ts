/**
 * Kubernetes objects as `kubectl get -o yaml|json` prints them → slim registry input. Pure.
 * Namespace, Service, EndpointSlice, Endpoints, Pod, and List/*List wrappers; other kinds are
 * skipped with one warning per kind and file, so `kubectl get all -A -o yaml` dumps load.
 */
import type {
  EndpointGroupInput,
  EndpointInput,
  EndpointPort,
  NamespaceInput,
  PodInput,
  ServiceInput,
  ServicePort,
} from '../registry/model.js';
import {
  checkLabel,
  checkPortName,
  isRecord,
  parseDomainName,
  parseIp,
  parsePortNumber,
  parseProtocol,
  quote,
  type Problems,
} from './field-checks.js';
import type { FieldPath } from './source-document.js';

/** Mutable collector one file's documents are converted into. */
export interface InputCollector {
  readonly namespaces: NamespaceInput[];
  readonly services: ServiceInput[];
  readonly endpointGroups: EndpointGroupInput[];
  readonly pods: PodInput[];
  /** Kinds already warned about in this file. */
  readonly skippedKinds: Set<string>;
}

export function createCollector(): InputCollector {
  return { namespaces: [], services: [], endpointGroups: [], pods: [], skippedKinds: new Set() };
}

const TOLERATE_UNREADY = 'service.alpha.kubernetes.io/tolerate-unready-endpoints';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Converts one Kubernetes object (or List) found at `path` in its document. */
export function convertKubernetesObject(value: unknown, problems: Problems, out: InputCollector, inferredKind?: string): void {
  if (!isRecord(value)) {
    problems.error([], 'expected a Kubernetes object (a mapping with apiVersion and kind)');
    return;
  }
  const kind = typeof value.kind === 'string' ? value.kind : inferredKind;
  if (!kind) {
    problems.error(['kind'], 'missing kind');
    return;
  }
  if (kind === 'List' || kind.endsWith('List')) {
    const items = value.items;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) {
      problems.error(['items'], 'must be a list');
      return;
    }
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    items.forEach((item, i) => convertKubernetesObject(item, problems.at(['items', i]), out, itemKind));
    return;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  switch (kind) {
    case 'Namespace':
      return convertNamespace(metadata, problems, out);
    case 'Service':
      return convertService(value, metadata, problems, out);
    case 'EndpointSlice':
      return convertEndpointSlice(value, metadata, problems, out);
    case 'Endpoints':
      return convertEndpoints(value, metadata, problems, out);
    case 'Pod':
      return convertPod(value, metadata, problems, out);
    default:
      if (!out.skippedKinds.has(kind)) {
        out.skippedKinds.add(kind);
        problems.warning(['kind'], `${kind} is not used for DNS; skipped (further ${kind} objects in this file are skipped silently)`);
      }
  }
}

function objectName(metadata: Record<string, unknown>, problems: Problems): string | undefined {
  const problem = checkLabel(metadata.name, 'name');
  if (problem) {
    problems.error(['metadata', 'name'], problem);
    return undefined;
  }
  return (metadata.name as string).toLowerCase();
}

function objectNamespace(metadata: Record<string, unknown>, problems: Problems): string | undefined {
  if (metadata.namespace === undefined || metadata.namespace === null || metadata.namespace === '') return 'default';
  const problem = checkLabel(metadata.namespace, 'namespace');
  if (problem) {
    problems.error(['metadata', 'namespace'], problem);
    return undefined;
  }
  return (metadata.namespace as string).toLowerCase();
}

function convertNamespace(metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const name = objectName(metadata, problems);
  if (name) out.namespaces.push({ name, origin: problems.origin() });
}

function convertService(value: Record<string, unknown>, metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const name = objectName(metadata, problems);
  const namespace = objectNamespace(metadata, problems);
  const spec = isRecord(value.spec) ? value.spec : undefined;
  if (!spec) {
    problems.error(['spec'], 'a Service needs a spec');
    return;
  }
  const before = problems.diagnostics.length;
  const ports = servicePorts(spec.ports, problems);
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const publishNotReadyAddresses = spec.publishNotReadyAddresses === true || String(annotations[TOLERATE_UNREADY]).toLowerCase() === 'true';
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  const origin = problems.origin();

  if (type === 'ExternalName') {
    const externalName = parseDomainName(spec.externalName);
    if (!externalName) problems.error(['spec', 'externalName'], `${quote(spec.externalName)} is not a DNS name`);
    if (!name || !namespace || problems.diagnostics.length > before || !externalName) return;
    out.services.push({ namespace, name, kind: 'ExternalName', clusterIPs: [], externalName, ports, publishNotReadyAddresses, origin });
    return;
  }
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) {
    problems.error(['spec', 'type'], `${quote(type)} is not a Service type (ClusterIP, NodePort, LoadBalancer, ExternalName)`);
    return;
  }
  // clusterIPs (dual-stack) wins over clusterIP when both are present, as in the API.
  const rawIps: { raw: unknown; path: FieldPath }[] = Array.isArray(spec.clusterIPs)
    ? spec.clusterIPs.map((raw, i) => ({ raw, path: ['spec', 'clusterIPs', i] }))
    : spec.clusterIP !== undefined && spec.clusterIP !== null && spec.clusterIP !== ''
      ? [{ raw: spec.clusterIP, path: ['spec', 'clusterIP'] }]
      : [];
  const headless = rawIps.some((ip) => ip.raw === 'None');
  const clusterIPs: string[] = [];
  if (!headless) {
    if (rawIps.length === 0) problems.error(['spec', 'clusterIP'], 'a ClusterIP service needs spec.clusterIP or spec.clusterIPs (use "None" for a headless service)');
    for (const { raw, path } of rawIps) {
      const ip = parseIp(raw);
      if (ip) clusterIPs.push(ip);
      else problems.error(path, `${quote(raw)} is not an IP address`);
    }
  }
  if (!name || !namespace || problems.diagnostics.length > before) return;
  out.services.push({ namespace, name, kind: headless ? 'Headless' : 'ClusterIP', clusterIPs, externalName: undefined, ports, publishNotReadyAddresses, origin });
}

function servicePorts(raw: unknown, problems: Problems): ServicePort[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.error(['spec', 'ports'], 'must be a list');
    return [];
  }
  const ports: ServicePort[] = [];
  raw.forEach((p, i) => {
    const port = portOf(p, ['spec', 'ports', i], problems);
    if (port) ports.push(port);
  });
  return ports;
}

/** One `{name, protocol, port}` entry, shared by Service, EndpointSlice and Endpoints ports. */
function portOf(p: unknown, path: FieldPath, problems: Problems): EndpointPort | undefined {
  if (!isRecord(p)) {
    problems.error(path, 'a port must be a mapping');
    return undefined;
  }
  let ok = true;
  let name: string | undefined;
  if (p.name !== undefined && p.name !== null && p.name !== '') {
    const problem = checkPortName(p.name);
    if (problem) {
      problems.error([...path, 'name'], problem);
      ok = false;
    } else name = (p.name as string).toLowerCase();
  }
  const protocol = parseProtocol(p.protocol);
  if (!protocol) {
    problems.error([...path, 'protocol'], `${quote(p.protocol)} is not TCP, UDP or SCTP`);
    ok = false;
  }
  const port = parsePortNumber(p.port);
  if (port === undefined) {
    problems.error([...path, 'port'], `${quote(p.port)} is not a port number (1-65535)`);
    ok = false;
  }
  return ok ? { name, protocol: protocol!, port: port! } : undefined;
}

function convertEndpointSlice(value: Record<string, unknown>, metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const namespace = objectNamespace(metadata, problems);
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  const service = labels[SERVICE_NAME_LABEL];
  if (typeof service !== 'string' || service === '') {
    problems.warning(['metadata', 'labels'], `EndpointSlice has no ${SERVICE_NAME_LABEL} label; skipped`);
    return;
  }
  const addressType = value.addressType;
  if (addressType === 'FQDN') {
    problems.warning(['addressType'], 'FQDN EndpointSlices are not served; skipped');
    return;
  }
  if (addressType !== undefined && addressType !== 'IPv4' && addressType !== 'IPv6') {
    problems.error(['addressType'], `${quote(addressType)} is not IPv4, IPv6 or FQDN`);
    return;
  }
  const before = problems.diagnostics.length;
  const ports: EndpointPort[] = [];
  if (value.ports !== undefined && value.ports !== null) {
    if (!Array.isArray(value.ports)) problems.error(['ports'], 'must be a list');
    else value.ports.forEach((p, i) => {
      const port = portOf(p, ['ports', i], problems);
      if (port) ports.push(port);
    });
  }
  const endpoints: EndpointInput[] = [];
  const rawEndpoints = value.endpoints ?? [];
  if (!Array.isArray(rawEndpoints)) problems.error(['endpoints'], 'must be a list');
  else rawEndpoints.forEach((ep, i) => {
    const path: FieldPath = ['endpoints', i];
    if (!isRecord(ep)) return problems.error(path, 'an endpoint must be a mapping');
    const addresses: string[] = [];
    if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) return problems.error([...path, 'addresses'], 'must be a non-empty list of IP addresses');
    ep.addresses.forEach((a, j) => {
      const ip = parseIp(a);
      if (ip) addresses.push(ip);
      else problems.error([...path, 'addresses', j], `${quote(a)} is not an IP address`);
    });
    const hostname = endpointHostname(ep.hostname, [...path, 'hostname'], problems);
    const conditions = isRecord(ep.conditions) ? ep.conditions : {};
    // EndpointSlice API: a nil ready condition means ready.
    const ready = conditions.ready === undefined || conditions.ready === null ? true : conditions.ready === true;
    endpoints.push({ addresses, hostname, ready });
  });
  if (!namespace || problems.diagnostics.length > before) return;
  out.endpointGroups.push({ namespace, service: service.toLowerCase(), source: 'EndpointSlice', ports, endpoints, origin: problems.origin() });
}

function endpointHostname(raw: unknown, path: FieldPath, problems: Problems): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const problem = checkLabel(raw, 'hostname');
  if (problem) {
    problems.error(path, problem);
    return undefined;
  }
  return (raw as string).toLowerCase();
}

function convertEndpoints(value: Record<string, unknown>, metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const service = objectName(metadata, problems);
  const namespace = objectNamespace(metadata, problems);
  const subsets = value.subsets ?? [];
  if (!Array.isArray(subsets)) {
    problems.error(['subsets'], 'must be a list');
    return;
  }
  subsets.forEach((subset, i) => {
    const path: FieldPath = ['subsets', i];
    if (!isRecord(subset)) return problems.error(path, 'a subset must be a mapping');
    const before = problems.diagnostics.length;
    const ports: EndpointPort[] = [];
    if (Array.isArray(subset.ports)) subset.ports.forEach((p, j) => {
      const port = portOf(p, [...path, 'ports', j], problems);
      if (port) ports.push(port);
    });
    const endpoints: EndpointInput[] = [];
    for (const [field, ready] of [['addresses', true], ['notReadyAddresses', false]] as const) {
      const list = subset[field];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        problems.error([...path, field], 'must be a list');
        continue;
      }
      list.forEach((a, j) => {
        const at: FieldPath = [...path, field, j];
        if (!isRecord(a)) return problems.error(at, 'an address must be a mapping with ip');
        const ip = parseIp(a.ip);
        if (!ip) return problems.error([...at, 'ip'], `${quote(a.ip)} is not an IP address`);
        endpoints.push({ addresses: [ip], hostname: endpointHostname(a.hostname, [...at, 'hostname'], problems), ready });
      });
    }
    if (!service || !namespace || problems.diagnostics.length > before) return;
    out.endpointGroups.push({ namespace, service, source: 'Endpoints', ports, endpoints, origin: problems.origin(path) });
  });
}

function convertPod(value: Record<string, unknown>, metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const name = objectName(metadata, problems);
  const namespace = objectNamespace(metadata, problems);
  const status = isRecord(value.status) ? value.status : {};
  const ips: string[] = [];
  const before = problems.diagnostics.length;
  if (Array.isArray(status.podIPs)) {
    status.podIPs.forEach((entry, i) => {
      const raw = isRecord(entry) ? entry.ip : entry;
      const ip = parseIp(raw);
      if (ip) ips.push(ip);
      else problems.error(['status', 'podIPs', i, 'ip'], `${quote(raw)} is not an IP address`);
    });
  } else if (status.podIP !== undefined && status.podIP !== null && status.podIP !== '') {
    const ip = parseIp(status.podIP);
    if (ip) ips.push(ip);
    else problems.error(['status', 'podIP'], `${quote(status.podIP)} is not an IP address`);
  }
  if (!name || !namespace || problems.diagnostics.length > before || ips.length === 0) return;
  out.pods.push({ namespace, name, ips, origin: problems.origin() });
}
