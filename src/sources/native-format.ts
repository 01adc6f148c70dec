/**
 * The native registry format: one document per namespace, a few lines per service. Pure.
 *
 *   namespace: shop
 *   services:
 *     web: { clusterIP: 10.96.0.10, ports: [http:80, dns:53/udp] }
 *     db:
 *       headless: true
 *       ports: [postgres:5432]
 *       endpoints: [db-0=10.244.1.10, 10.244.1.11, { hostname: db-2, ip: 10.244.1.12, ready: false }]
 *     payments: { externalName: payments.example.org }
 *   pods:
 *     api-7f9c: 10.244.2.7
 */
import { didYouMean } from '../did-you-mean.js';
import type { EndpointInput, EndpointPort, ServiceInput, ServicePort } from '../registry/model.js';
import { checkLabel, checkPortName, isRecord, parseDomainName, parseIp, parsePortNumber, parseProtocol, quote, type Problems } from './field-checks.js';
import type { InputCollector } from './kubernetes-manifests.js';
import type { FieldPath } from './source-document.js';

const DOCUMENT_KEYS = ['namespace', 'services', 'pods'];
const SERVICE_KEYS = ['clusterIP', 'clusterIPs', 'headless', 'externalName', 'ports', 'endpoints', 'publishNotReadyAddresses'];
const PORT_KEYS = ['name', 'port', 'protocol', 'targetPort'];
const ENDPOINT_KEYS = ['ip', 'ips', 'hostname', 'ready'];
/** `http:80`, `dns:53/udp`, `9090`, `http:80->8080` (service port → endpoint port). */
const PORT_TEXT = /^(?:([A-Za-z0-9-]+):)?(\d+)(?:->(\d+))?(?:\/([A-Za-z]+))?$/;

/** True when a document looks like the native format rather than a Kubernetes object. */
export function isNativeDocument(value: unknown): boolean {
  return isRecord(value) && !('kind' in value) && !('apiVersion' in value) && ('namespace' in value || 'services' in value || 'pods' in value);
}

interface NativePort extends ServicePort {
  readonly targetPort: number;
}

export function convertNativeDocument(value: Record<string, unknown>, problems: Problems, out: InputCollector): void {
  unknownKeys(value, DOCUMENT_KEYS, [], problems);
  let namespace = 'default';
  if (value.namespace !== undefined) {
    const problem = checkLabel(value.namespace, 'namespace');
    if (problem) return problems.error(['namespace'], problem);
    namespace = (value.namespace as string).toLowerCase();
  }
  out.namespaces.push({ name: namespace, origin: problems.origin(['namespace']) });

  if (value.services !== undefined && value.services !== null) {
    if (!isRecord(value.services)) problems.error(['services'], 'must be a mapping of service name → service');
    else for (const [name, spec] of Object.entries(value.services)) convertService(namespace, name, spec, ['services', name], problems, out);
  }
  if (value.pods !== undefined && value.pods !== null) {
    if (!isRecord(value.pods)) problems.error(['pods'], 'must be a mapping of pod name → IP (or list of IPs)');
    else for (const [name, raw] of Object.entries(value.pods)) {
      const path: FieldPath = ['pods', name];
      const nameProblem = checkLabel(name, 'pod name');
      if (nameProblem) {
        problems.error(path, nameProblem);
        continue;
      }
      const list = Array.isArray(raw) ? raw : [raw];
      const ips = list.map((r) => parseIp(r));
      const bad = list.findIndex((_, i) => ips[i] === undefined);
      if (bad >= 0) {
        problems.error(Array.isArray(raw) ? [...path, bad] : path, `${quote(list[bad])} is not an IP address`);
        continue;
      }
      out.pods.push({ namespace, name, ips: ips as string[], origin: problems.origin(path) });
    }
  }
}

function convertService(namespace: string, name: string, raw: unknown, path: FieldPath, problems: Problems, out: InputCollector): void {
  const before = problems.diagnostics.length;
  const nameProblem = checkLabel(name, 'service name');
  if (nameProblem) problems.error(path, nameProblem);
  const spec = raw === null || raw === undefined ? {} : raw;
  if (!isRecord(spec)) return problems.error(path, 'a service must be a mapping');
  unknownKeys(spec, SERVICE_KEYS, path, problems);

  const ports = (spec.ports === undefined ? [] : Array.isArray(spec.ports) ? spec.ports : [spec.ports])
    .map((p, i) => nativePort(p, [...path, 'ports', ...(Array.isArray(spec.ports) ? [i] : [])], problems))
    .filter((p): p is NativePort => p !== undefined);

  const externalName = spec.externalName === undefined ? undefined : parseDomainName(spec.externalName);
  if (spec.externalName !== undefined && !externalName) problems.error([...path, 'externalName'], `${quote(spec.externalName)} is not a DNS name`);

  const headless = spec.headless === true || spec.clusterIP === 'None';
  if (spec.headless !== undefined && typeof spec.headless !== 'boolean') problems.error([...path, 'headless'], 'must be true or false');
  const clusterIPs: string[] = [];
  const rawIps: { raw: unknown; at: FieldPath }[] = Array.isArray(spec.clusterIPs)
    ? spec.clusterIPs.map((r, i) => ({ raw: r, at: [...path, 'clusterIPs', i] }))
    : spec.clusterIP !== undefined && spec.clusterIP !== 'None'
      ? [{ raw: spec.clusterIP, at: [...path, 'clusterIP'] }]
      : [];
  for (const { raw: r, at } of rawIps) {
    const ip = parseIp(r);
    if (ip) clusterIPs.push(ip);
    else problems.error(at, `${quote(r)} is not an IP address`);
  }
  const kinds = [externalName !== undefined || spec.externalName !== undefined, headless, rawIps.length > 0].filter(Boolean).length;
  if (kinds > 1) problems.error(path, 'give exactly one of clusterIP/clusterIPs, headless: true, or externalName');
  if (kinds === 0) problems.error(path, 'needs clusterIP (or clusterIPs), headless: true, or externalName');

  const endpoints: EndpointInput[] = [];
  if (spec.endpoints !== undefined && spec.endpoints !== null) {
    if (!Array.isArray(spec.endpoints)) problems.error([...path, 'endpoints'], 'must be a list');
    else spec.endpoints.forEach((e, i) => {
      const ep = nativeEndpoint(e, [...path, 'endpoints', i], problems);
      if (ep) endpoints.push(ep);
    });
  }
  if (externalName !== undefined && endpoints.length > 0) problems.error([...path, 'endpoints'], 'an externalName service has no endpoints');
  if (spec.publishNotReadyAddresses !== undefined && typeof spec.publishNotReadyAddresses !== 'boolean') {
    problems.error([...path, 'publishNotReadyAddresses'], 'must be true or false');
  }
  if (problems.diagnostics.length > before) return;

  const origin = problems.origin(path);
  const servicePorts: ServicePort[] = ports.map(({ name: n, protocol, port }) => ({ name: n, protocol, port }));
  const service: ServiceInput = {
    namespace,
    name: name.toLowerCase(),
    kind: externalName !== undefined ? 'ExternalName' : headless ? 'Headless' : 'ClusterIP',
    clusterIPs,
    externalName,
    ports: servicePorts,
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
    origin,
  };
  out.services.push(service);
  if (endpoints.length > 0) {
    const endpointPorts: EndpointPort[] = ports.map(({ name: n, protocol, targetPort }) => ({ name: n, protocol, port: targetPort }));
    out.endpointGroups.push({ namespace, service: service.name, source: 'native', ports: endpointPorts, endpoints, origin });
  }
}

function nativePort(raw: unknown, path: FieldPath, problems: Problems): NativePort | undefined {
  if (typeof raw === 'number' || typeof raw === 'string') {
    const m = PORT_TEXT.exec(String(raw).trim());
    if (!m) {
      problems.error(path, `${quote(raw)} is not a port (name:port[->targetPort][/protocol], e.g. http:80 or dns:53/udp)`);
      return undefined;
    }
    return nativePort({ name: m[1], port: Number(m[2]), targetPort: m[3] === undefined ? undefined : Number(m[3]), protocol: m[4] }, path, problems);
  }
  if (!isRecord(raw)) {
    problems.error(path, 'a port is "name:port[/protocol]" or a mapping {name, port, protocol, targetPort}');
    return undefined;
  }
  unknownKeys(raw, PORT_KEYS, path, problems);
  let ok = true;
  if (raw.name !== undefined) {
    const problem = checkPortName(raw.name);
    if (problem) {
      problems.error([...path, 'name'], problem);
      ok = false;
    }
  }
  const protocol = parseProtocol(raw.protocol);
  if (!protocol) {
    problems.error([...path, 'protocol'], `${quote(raw.protocol)} is not tcp, udp or sctp`);
    ok = false;
  }
  const port = parsePortNumber(raw.port);
  if (port === undefined) {
    problems.error([...path, 'port'], `${quote(raw.port)} is not a port number (1-65535)`);
    ok = false;
  }
  const targetPort = raw.targetPort === undefined ? port : parsePortNumber(raw.targetPort);
  if (targetPort === undefined && port !== undefined) {
    problems.error([...path, 'targetPort'], `${quote(raw.targetPort)} is not a port number (1-65535)`);
    ok = false;
  }
  if (!ok) return undefined;
  const name = typeof raw.name === 'string' ? raw.name.toLowerCase() : undefined;
  return { name, protocol: protocol!, port: port!, targetPort: targetPort! };
}

function nativeEndpoint(raw: unknown, path: FieldPath, problems: Problems): EndpointInput | undefined {
  if (typeof raw === 'string') {
    const eq = raw.indexOf('=');
    const hostname = eq >= 0 ? raw.slice(0, eq).trim() : undefined;
    const ipText = eq >= 0 ? raw.slice(eq + 1) : raw;
    return nativeEndpoint({ ip: ipText, ...(hostname !== undefined ? { hostname } : {}) }, path, problems);
  }
  if (!isRecord(raw)) {
    problems.error(path, 'an endpoint is "ip", "hostname=ip" or a mapping {ip|ips, hostname, ready}');
    return undefined;
  }
  unknownKeys(raw, ENDPOINT_KEYS, path, problems);
  const rawIps = raw.ips !== undefined ? (Array.isArray(raw.ips) ? raw.ips : [raw.ips]) : [raw.ip];
  const addresses: string[] = [];
  let ok = true;
  rawIps.forEach((r, i) => {
    const ip = parseIp(r);
    if (ip) addresses.push(ip);
    else {
      problems.error(raw.ips !== undefined ? [...path, 'ips', i] : typeof raw.ip === 'undefined' ? path : [...path, 'ip'], `${quote(r)} is not an IP address`);
      ok = false;
    }
  });
  let hostname: string | undefined;
  if (raw.hostname !== undefined) {
    const problem = checkLabel(raw.hostname, 'hostname');
    if (problem) {
      problems.error([...path, 'hostname'], problem);
      ok = false;
    } else hostname = (raw.hostname as string).toLowerCase();
  }
  if (raw.ready !== undefined && typeof raw.ready !== 'boolean') {
    problems.error([...path, 'ready'], 'must be true or false');
    ok = false;
  }
  return ok ? { addresses, hostname, ready: raw.ready !== false } : undefined;
}

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[], path: FieldPath, problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.error([...path, key], `unknown field${didYouMean(key, allowed) || ` (expected one of ${allowed.join(', ')})`}`);
  }
}
