/**
 * Kubernetes objects as `kubectl get -o yaml|json` prints them, or as people write them for
 * `kubectl apply` → slim registry input. Pure, one object at a time (the live API source reuses it).
 * Namespace, Service, EndpointSlice, Endpoints, Pod, StatefulSet, Deployment, ReplicaSet, Ingress,
 * Gateway, HTTPRoute, GRPCRoute, TLSRoute (host-manifests.ts), and List/*List wrappers; other kinds are skipped with one warning per kind and file, so
 * `kubectl get all -A -o yaml` dumps load, and a kind that looks like a typo says so.
 */
import type {
  EndpointGroupInput,
  EndpointInput,
  HostObjectInput,
  EndpointPort,
  IpFamilyPolicy,
  LabelRequirement,
  LabelSelector,
  NamespaceInput,
  OwnerRef,
  PodInput,
  PodTemplateInput,
  ServiceInput,
  ServicePort,
  WorkloadInput,
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
import { convertHostObject, convertLoadBalancer } from './host-manifests.js';
import { suggestKind } from './kind-suggestion.js';
import type { FieldPath } from './source-document.js';

/** Mutable collector one file's documents are converted into. */
export interface InputCollector {
  readonly namespaces: NamespaceInput[];
  readonly services: ServiceInput[];
  readonly endpointGroups: EndpointGroupInput[];
  readonly pods: PodInput[];
  readonly workloads: WorkloadInput[];
  readonly hostObjects: HostObjectInput[];
  /** Kinds already warned about in this file. */
  readonly skippedKinds: Set<string>;
}

export function createCollector(): InputCollector {
  return { namespaces: [], services: [], endpointGroups: [], pods: [], workloads: [], hostObjects: [], skippedKinds: new Set() };
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
    case 'StatefulSet':
    case 'Deployment':
    case 'ReplicaSet':
      return convertWorkload(kind, value, metadata, problems, out);
    case 'Ingress':
    case 'Gateway':
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TLSRoute':
      return convertHostObject(kind, value, objectName(metadata, problems), objectNamespace(metadata, problems), problems, out.hostObjects);
    default:
      return skipKind(kind, problems, out);
  }
}

/** Kinds whose Pods DNS could use but which we do not simulate: their Pods count only when listed. */
const UNSIMULATED_WORKLOADS: Readonly<Record<string, string>> = {
  DaemonSet: 'a DaemonSet runs one Pod per node, and there are no nodes here; list its Pods to serve them',
  Job: 'a Job\'s Pods run to completion; list its Pods to serve them',
  CronJob: 'a CronJob\'s Pods run to completion; list its Pods to serve them',
};

/** One warning per skipped kind and file; a kind that is one typo away from ours is a likely typo. */
function skipKind(kind: string, problems: Problems, out: InputCollector): void {
  if (out.skippedKinds.has(kind)) return;
  out.skippedKinds.add(kind);
  const suggestion = suggestKind(kind);
  if (suggestion) {
    problems.warning(['kind'], `unknown kind ${quote(kind)}: did you mean ${suggestion}? (skipped)`, { likelyTypo: true });
    return;
  }
  const why = UNSIMULATED_WORKLOADS[kind];
  problems.warning(['kind'], `${kind} ${why ? `is not simulated (${why})` : 'is not used for DNS'}; skipped (further ${kind} objects in this file are skipped silently)`);
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
  // No clusterIP at all, as people write it for `kubectl apply`: allocated before the registry is built.
  const clusterIPs: string[] = [];
  if (!headless) {
    for (const { raw, path } of rawIps) {
      const ip = parseIp(raw);
      if (ip) clusterIPs.push(ip);
      else problems.error(path, `${quote(raw)} is not an IP address`);
    }
  }
  const ipFamilies = serviceIpFamilies(spec.ipFamilies, problems);
  const ipFamilyPolicy = serviceIpFamilyPolicy(spec.ipFamilyPolicy, problems);
  const selector = serviceSelector(spec.selector, problems);
  if (!name || !namespace || problems.diagnostics.length > before) return;
  out.services.push({
    namespace,
    name,
    kind: headless ? 'Headless' : 'ClusterIP',
    clusterIPs,
    externalName: undefined,
    ports,
    publishNotReadyAddresses,
    origin,
    ...(ipFamilies.length ? { ipFamilies } : {}),
    ...(ipFamilyPolicy ? { ipFamilyPolicy } : {}),
    ...(selector ? { selector } : {}),
  });
  // A LoadBalancer also publishes hostnames outside the cluster zone (k8s_gateway, external-dns).
  if (type === 'LoadBalancer') convertLoadBalancer(value, name, namespace, problems, out.hostObjects);
}

const IP_FAMILY_POLICIES: readonly IpFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

function serviceIpFamilies(raw: unknown, problems: Problems): (4 | 6)[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.error(['spec', 'ipFamilies'], 'must be a list of IPv4 and/or IPv6');
    return [];
  }
  const families: (4 | 6)[] = [];
  raw.forEach((f, i) => {
    const family = f === 'IPv4' ? 4 : f === 'IPv6' ? 6 : undefined;
    if (!family) problems.error(['spec', 'ipFamilies', i], `${quote(f)} is not IPv4 or IPv6`);
    else if (families.includes(family)) problems.error(['spec', 'ipFamilies', i], `${quote(f)} is listed twice`);
    else families.push(family);
  });
  return families;
}

function serviceIpFamilyPolicy(raw: unknown, problems: Problems): IpFamilyPolicy | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string' && (IP_FAMILY_POLICIES as readonly string[]).includes(raw)) return raw as IpFamilyPolicy;
  problems.error(['spec', 'ipFamilyPolicy'], `${quote(raw)} is not one of ${IP_FAMILY_POLICIES.join(', ')}`);
  return undefined;
}

/** A Service's selector is a plain label map; empty means none (the Service's endpoints are managed by hand). */
function serviceSelector(raw: unknown, problems: Problems): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const labels = labelMap(raw, ['spec', 'selector'], problems);
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
}

/** `metadata.labels`, a selector's `matchLabels`: string keys to string values, as the API requires. */
function labelMap(raw: unknown, path: FieldPath, problems: Problems): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) {
    problems.error(path, 'must be a mapping of label → value');
    return undefined;
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    // `version: 1` is a number in YAML; the API rejects it, so say so here rather than match "1".
    if (typeof value !== 'string') problems.error([...path, key], `label values must be strings (quote ${quote(value)})`);
    else labels[key] = value;
  }
  return labels;
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
    if (!port) return;
    const targetPort = targetPortOf((p as Record<string, unknown>).targetPort, ['spec', 'ports', i, 'targetPort'], problems);
    ports.push(targetPort === undefined ? port : { ...port, targetPort });
  });
  return ports;
}

/** IntOrString: a number (or digits) is a port, anything else a container port name. */
function targetPortOf(raw: unknown, path: FieldPath, problems: Problems): number | string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const number = parsePortNumber(raw);
  if (number !== undefined) return number;
  const problem = checkPortName(raw);
  if (problem) {
    problems.error(path, typeof raw === 'number' ? `${quote(raw)} is not a port number (1-65535)` : problem);
    return undefined;
  }
  return (raw as string).toLowerCase();
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
  const spec = isRecord(value.spec) ? value.spec : {};
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
  const labels = labelMap(metadata.labels, ['metadata', 'labels'], problems);
  const hostname = optionalLabel(spec.hostname, ['spec', 'hostname'], 'hostname', problems);
  const subdomain = optionalLabel(spec.subdomain, ['spec', 'subdomain'], 'subdomain', problems);
  const containerPorts = podContainerPorts(spec, ['spec'], problems);
  const owner = controllerOf(metadata);
  if (!name || !namespace || problems.diagnostics.length > before || !labels) return;
  // A Pod without an address still counts: it is a real Pod of its workload, which is then not simulated.
  out.pods.push({
    namespace,
    name,
    ips,
    origin: problems.origin(),
    labels,
    ready: isPodReady(status),
    // Written for `kubectl apply` (no status at all): the cluster would schedule it and give it an address.
    ...(isRecord(value.status) ? {} : { asApplied: true }),
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    terminating: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
    ...(hostname ? { hostname } : {}),
    ...(subdomain ? { subdomain } : {}),
    containerPorts,
    ...(owner ? { owner } : {}),
  });
}

/**
 * The Pod's `Ready` condition is True (k8s.io/kubernetes pkg/api/v1/pod IsPodReady). A hand-written
 * status without any conditions counts as ready while Running (or without a phase): the kubelet
 * always reports conditions, so only a person leaves them out.
 */
function isPodReady(status: Record<string, unknown>): boolean {
  if (!Array.isArray(status.conditions)) return status.phase === undefined || status.phase === 'Running';
  return status.conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

function optionalLabel(raw: unknown, path: FieldPath, what: string, problems: Problems): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const problem = checkLabel(raw, what);
  if (problem) {
    problems.error(path, problem);
    return undefined;
  }
  return (raw as string).toLowerCase();
}

/**
 * Named container ports, from `containers` and restartable init containers (sidecars), the ones a
 * Service's named targetPort can resolve to (k8s.io/kubernetes pkg/api/v1/pod FindPort).
 */
function podContainerPorts(spec: Record<string, unknown>, path: FieldPath, problems: Problems): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const field of ['containers', 'initContainers'] as const) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (!isRecord(c) || !Array.isArray(c.ports)) return;
      if (field === 'initContainers' && c.restartPolicy !== 'Always') return;
      c.ports.forEach((p, j) => {
        const at: FieldPath = [...path, field, i, 'ports', j];
        if (!isRecord(p)) return problems.error(at, 'a container port must be a mapping');
        if (p.name === undefined || p.name === null || p.name === '') return;
        const nameProblem = checkPortName(p.name);
        if (nameProblem) return problems.error([...at, 'name'], nameProblem);
        const port = parsePortNumber(p.containerPort);
        if (port === undefined) return problems.error([...at, 'containerPort'], `${quote(p.containerPort)} is not a port number (1-65535)`);
        const protocol = parseProtocol(p.protocol);
        if (!protocol) return problems.error([...at, 'protocol'], `${quote(p.protocol)} is not TCP, UDP or SCTP`);
        ports.push({ name: (p.name as string).toLowerCase(), protocol, port });
      });
    });
  }
  return ports;
}

/** The controlling owner reference (`controller: true`), else the first one. */
function controllerOf(metadata: Record<string, unknown>): OwnerRef | undefined {
  if (!Array.isArray(metadata.ownerReferences)) return undefined;
  const refs = metadata.ownerReferences.filter((r): r is Record<string, unknown> => isRecord(r) && typeof r.kind === 'string' && typeof r.name === 'string');
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  return ref ? { kind: ref.kind as string, name: (ref.name as string).toLowerCase() } : undefined;
}

/** StatefulSet, Deployment, ReplicaSet: replicas, selector, and the Pod template's labels, hostname and ports. */
function convertWorkload(kind: WorkloadInput['kind'], value: Record<string, unknown>, metadata: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  const name = objectName(metadata, problems);
  const namespace = objectNamespace(metadata, problems);
  const spec = isRecord(value.spec) ? value.spec : undefined;
  if (!spec) {
    problems.error(['spec'], `a ${kind} needs a spec`);
    return;
  }
  const before = problems.diagnostics.length;
  let replicas = 1;
  if (spec.replicas !== undefined && spec.replicas !== null) {
    if (typeof spec.replicas === 'number' && Number.isInteger(spec.replicas) && spec.replicas >= 0) replicas = spec.replicas;
    else problems.error(['spec', 'replicas'], `${quote(spec.replicas)} is not a number of replicas (0 or more)`);
  }
  const template = isRecord(spec.template) ? spec.template : {};
  const templateMeta = isRecord(template.metadata) ? template.metadata : {};
  const templateSpec = isRecord(template.spec) ? template.spec : {};
  const at: FieldPath = ['spec', 'template'];
  const labels = labelMap(templateMeta.labels, [...at, 'metadata', 'labels'], problems);
  const podTemplate: PodTemplateInput = {
    labels: labels ?? {},
    hostname: optionalLabel(templateSpec.hostname, [...at, 'spec', 'hostname'], 'hostname', problems),
    subdomain: optionalLabel(templateSpec.subdomain, [...at, 'spec', 'subdomain'], 'subdomain', problems),
    containerPorts: podContainerPorts(templateSpec, [...at, 'spec'], problems),
  };
  const selector = labelSelector(spec.selector, ['spec', 'selector'], problems);
  let serviceName: string | undefined;
  if (kind === 'StatefulSet') serviceName = optionalLabel(spec.serviceName, ['spec', 'serviceName'], 'service name', problems);
  if (!name || !namespace || problems.diagnostics.length > before) return;
  const owner = controllerOf(metadata);
  out.workloads.push({ kind, namespace, name, replicas, selector, template: podTemplate, serviceName, owner, origin: problems.origin() });
}

const SELECTOR_OPERATORS: readonly LabelRequirement['operator'][] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A workload's `spec.selector` (`matchLabels`, `matchExpressions`). */
function labelSelector(raw: unknown, path: FieldPath, problems: Problems): LabelSelector {
  if (raw === undefined || raw === null) return { matchLabels: {}, matchExpressions: [] };
  if (!isRecord(raw)) {
    problems.error(path, 'must be a mapping with matchLabels and/or matchExpressions');
    return { matchLabels: {}, matchExpressions: [] };
  }
  const matchLabels = labelMap(raw.matchLabels, [...path, 'matchLabels'], problems) ?? {};
  const matchExpressions: LabelRequirement[] = [];
  if (raw.matchExpressions !== undefined && raw.matchExpressions !== null) {
    if (!Array.isArray(raw.matchExpressions)) problems.error([...path, 'matchExpressions'], 'must be a list');
    else raw.matchExpressions.forEach((e, i) => {
      const at: FieldPath = [...path, 'matchExpressions', i];
      if (!isRecord(e) || typeof e.key !== 'string') return problems.error(at, 'a requirement needs key and operator');
      const operator = e.operator as LabelRequirement['operator'];
      if (!SELECTOR_OPERATORS.includes(operator)) return problems.error([...at, 'operator'], `${quote(e.operator)} is not one of ${SELECTOR_OPERATORS.join(', ')}`);
      const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [];
      matchExpressions.push({ key: e.key, operator, values });
    });
  }
  return { matchLabels, matchExpressions };
}
