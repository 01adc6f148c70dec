/**
 * Ingress, Gateway API (Gateway, HTTPRoute, GRPCRoute, TLSRoute) and LoadBalancer Service objects →
 * the hostnames they publish (HostObjectInput), as k8s_gateway reads them. Pure, one object at a time.
 */
import type { GatewayListener, GatewayRef, HostObjectInput, HostObjectKind, HostTarget } from '../registry/model.js';
import { isRecord, parseDomainName, parseIp, quote, type Problems } from './field-checks.js';
import type { FieldPath } from './source-document.js';

/** Hostname annotations a LoadBalancer Service publishes names with (comma-separated): external-dns's, and k8s_gateway's own. */
export const HOSTNAME_ANNOTATIONS: readonly string[] = ['external-dns.alpha.kubernetes.io/hostname', 'coredns.io/hostname'];

export const HOST_OBJECT_KINDS: ReadonlySet<string> = new Set(['Ingress', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute']);

/** `app.example.test` or `*.example.test` (a wildcard only as the whole first label, as Ingress and Gateway API allow). */
export function parseHostname(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim().toLowerCase().replace(/\.$/, '');
  if (text.startsWith('*.')) {
    const rest = parseDomainName(text.slice(2));
    return rest ? `*.${rest}` : undefined;
  }
  return parseDomainName(text);
}

/** Converts one Ingress, Gateway or route; invalid fields are errors at their own path. */
export function convertHostObject(kind: string, value: Record<string, unknown>, name: string | undefined, namespace: string | undefined, problems: Problems, out: HostObjectInput[]): void {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const spec = isRecord(value.spec) ? value.spec : undefined;
  if (!spec) {
    problems.error(['spec'], `a ${kind} needs a spec`);
    return;
  }
  const before = problems.diagnostics.length;
  const hostnames: string[] = [];
  const addHost = (raw: unknown, path: FieldPath) => {
    if (raw === undefined || raw === null || raw === '') return;
    const host = parseHostname(raw);
    if (!host) problems.error(path, `${quote(raw)} is not a host name (RFC 1123, a wildcard only as "*." in front)`);
    else if (!hostnames.includes(host)) hostnames.push(host);
  };
  let targets: HostTarget[] | undefined;
  let parents: GatewayRef[] | undefined;
  let listeners: GatewayListener[] | undefined;
  switch (kind) {
    case 'Ingress':
      // spec.rules[].host and spec.tls[].hosts; a rule without host matches every host and names none.
      eachItem(spec.rules, ['spec', 'rules'], problems, (rule, path) => addHost(rule.host, [...path, 'host']));
      eachItem(spec.tls, ['spec', 'tls'], problems, (tls, path) => {
        if (tls.hosts === undefined || tls.hosts === null) return;
        if (!Array.isArray(tls.hosts)) return problems.error([...path, 'hosts'], 'must be a list of host names');
        tls.hosts.forEach((h, i) => addHost(h, [...path, 'hosts', i]));
      });
      targets = loadBalancerTargets(value.status, problems);
      break;
    case 'Gateway':
      listeners = [];
      eachItem(spec.listeners, ['spec', 'listeners'], problems, (listener, path) => {
        addHost(listener.hostname, [...path, 'hostname']);
        const allowed = isRecord(listener.allowedRoutes) && isRecord(listener.allowedRoutes.namespaces) ? listener.allowedRoutes.namespaces.from : undefined;
        if (allowed !== undefined && allowed !== 'Same' && allowed !== 'All' && allowed !== 'Selector') {
          problems.error([...path, 'allowedRoutes', 'namespaces', 'from'], `${quote(allowed)} is not Same, All or Selector`);
        }
        listeners!.push({
          name: typeof listener.name === 'string' ? listener.name : '',
          hostname: parseHostname(listener.hostname),
          allowedNamespaces: allowed === 'All' || allowed === 'Selector' ? allowed : 'Same',
        });
      });
      targets = gatewayTargets(value.status, problems);
      break;
    default: {
      // HTTPRoute, GRPCRoute, TLSRoute: spec.hostnames, addresses from the parent Gateways.
      if (spec.hostnames !== undefined && spec.hostnames !== null) {
        if (!Array.isArray(spec.hostnames)) problems.error(['spec', 'hostnames'], 'must be a list of host names');
        else spec.hostnames.forEach((h, i) => addHost(h, ['spec', 'hostnames', i]));
      }
      parents = [];
      eachItem(spec.parentRefs, ['spec', 'parentRefs'], problems, (ref, path) => {
        // Only Gateways (the default kind of a parentRef) carry addresses.
        if (ref.kind !== undefined && ref.kind !== 'Gateway') return;
        if (typeof ref.name !== 'string' || ref.name === '') return problems.error([...path, 'name'], 'a parentRef needs the name of a Gateway');
        const refNamespace = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace.toLowerCase() : namespace ?? 'default';
        parents!.push({ namespace: refNamespace, name: ref.name.toLowerCase(), sectionName: typeof ref.sectionName === 'string' ? ref.sectionName : undefined });
      });
    }
  }
  if (!name || !namespace || problems.diagnostics.length > before) return;
  out.push({
    kind: kind as HostObjectKind,
    namespace,
    name,
    hostnames,
    targets,
    ...(parents ? { parents } : {}),
    ...(listeners ? { listeners } : {}),
    createdAt: typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : undefined,
    origin: problems.origin(),
  });
}

/**
 * A LoadBalancer Service's published names: its `external-dns.alpha.kubernetes.io/hostname` and
 * `coredns.io/hostname` annotations (comma-separated, as k8s_gateway reads them); `<name>.<namespace>.<zone>` is added per zone by the index, as k8s_gateway does.
 */
export function convertLoadBalancer(value: Record<string, unknown>, name: string, namespace: string, problems: Problems, out: HostObjectInput[]): void {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const hostnames: string[] = [];
  const before = problems.diagnostics.length;
  for (const key of HOSTNAME_ANNOTATIONS) {
    const annotation = annotations[key];
    if (annotation === undefined || annotation === null || annotation === '') continue;
    const path: FieldPath = ['metadata', 'annotations', key];
    if (typeof annotation !== 'string') problems.error(path, 'must be a comma-separated list of host names');
    else for (const part of annotation.split(',').map((p) => p.trim()).filter(Boolean)) {
      const host = parseHostname(part);
      if (!host) problems.error(path, `${quote(part)} is not a host name`);
      else if (!hostnames.includes(host)) hostnames.push(host);
    }
  }
  const targets = loadBalancerTargets(value.status, problems);
  if (problems.diagnostics.length > before) return;
  out.push({
    kind: 'Service',
    namespace,
    name,
    hostnames,
    targets,
    createdAt: typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : undefined,
    origin: problems.origin(),
  });
}

/** `status.loadBalancer.ingress[]`: `ip` → A/AAAA, `hostname` → CNAME. None at all: undefined (no controller has set one). */
function loadBalancerTargets(status: unknown, problems: Problems): HostTarget[] | undefined {
  const lb = isRecord(status) && isRecord(status.loadBalancer) ? status.loadBalancer : undefined;
  const ingress = lb?.ingress;
  if (!Array.isArray(ingress) || ingress.length === 0) return undefined;
  const targets: HostTarget[] = [];
  ingress.forEach((entry, i) => {
    const path: FieldPath = ['status', 'loadBalancer', 'ingress', i];
    if (!isRecord(entry)) return problems.error(path, 'must be a mapping with ip or hostname');
    if (entry.ip !== undefined && entry.ip !== null && entry.ip !== '') {
      const ip = parseIp(entry.ip);
      if (!ip) return problems.error([...path, 'ip'], `${quote(entry.ip)} is not an IP address`);
      targets.push({ ip });
    } else if (entry.hostname !== undefined && entry.hostname !== null && entry.hostname !== '') {
      const hostname = parseDomainName(entry.hostname);
      if (!hostname) return problems.error([...path, 'hostname'], `${quote(entry.hostname)} is not a host name`);
      targets.push({ hostname });
    }
  });
  return targets.length > 0 ? targets : undefined;
}

/** A Gateway's `status.addresses[]` (`type` IPAddress, the default, or Hostname). */
function gatewayTargets(status: unknown, problems: Problems): HostTarget[] | undefined {
  const addresses = isRecord(status) ? status.addresses : undefined;
  if (!Array.isArray(addresses) || addresses.length === 0) return undefined;
  const targets: HostTarget[] = [];
  addresses.forEach((entry, i) => {
    const path: FieldPath = ['status', 'addresses', i];
    if (!isRecord(entry)) return problems.error(path, 'must be a mapping with type and value');
    if (entry.type === 'Hostname') {
      const hostname = parseDomainName(entry.value);
      if (!hostname) return problems.error([...path, 'value'], `${quote(entry.value)} is not a host name`);
      targets.push({ hostname });
    } else if (entry.type === undefined || entry.type === 'IPAddress') {
      const ip = parseIp(entry.value);
      if (!ip) return problems.error([...path, 'value'], `${quote(entry.value)} is not an IP address`);
      targets.push({ ip });
    }
    // Implementation-specific address types name no address DNS could give.
  });
  return targets.length > 0 ? targets : undefined;
}

function eachItem(raw: unknown, path: FieldPath, problems: Problems, visit: (item: Record<string, unknown>, path: FieldPath) => void): void {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) return problems.error(path, 'must be a list');
  raw.forEach((item, i) => {
    if (!isRecord(item)) return problems.error([...path, i], 'must be a mapping');
    visit(item, [...path, i]);
  });
}
