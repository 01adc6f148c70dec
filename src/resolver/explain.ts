/**
 * Explains a name: the answer the server would give for (name, type) and why — which rule, which
 * object from which file:line, and for a name that does not resolve the nearest names that do.
 * Pure: reads one registry snapshot and uses the same answer functions as the query stages, so
 * the explanation cannot drift from what a query gets. Never on the query path.
 */
import { canonicalIp, reverseName } from '../dns/ip.js';
import { RecordType } from '../dns/types.js';
import type { DomainName, RecordsAnswer, ResourceRecord } from '../dns/types.js';
import { nearestNames } from '../did-you-mean.js';
import { preferredGroups, type SourcedInput } from '../registry/build-registry.js';
import type { EndpointGroupInput, Origin, PodInput, ServiceInput, WorkloadInput } from '../registry/model.js';
import type { Registry } from '../registry/registry.js';
import { answerClusterName, isInZone, type ClusterZoneOptions } from './cluster-answers.js';
import { answerHostName, findHost, hostZoneOf } from './host-answers.js';
import { recordData } from './list-records.js';
import { moveAnswer, moveName } from './zone-alias-stage.js';
import { parseDashedIp } from './pod-name.js';
import { answerShortForm, expandShortForm } from './short-form-stage.js';

export interface ExplainOptions extends ClusterZoneOptions {
  readonly defaultNamespace: string;
  /** Further cluster zones (`--cluster-domain a,b`): a name in them is explained as the same name in the first. */
  readonly clusterAliases?: readonly string[];
  /** --ingress-zones: names in them are explained from the hostname index. Default: none. */
  readonly ingressZones?: readonly string[];
  /** As the short-form stage's option: registered services answer short forms ending in a public TLD. Default false. */
  readonly publicShortForms?: boolean;
  /** Upstreams as `IP:port` texts, or `none` when out-of-zone names are refused. */
  readonly upstreams: readonly string[] | 'none';
}

/** Which rule produced the answer. */
export type ExplainRule =
  | 'zone-apex'
  | 'schema-version'
  | 'name-server'
  | 'service'
  | 'endpoint'
  | 'srv'
  | 'structure'
  | 'pod'
  | 'ptr'
  | 'short-form'
  | 'ingress-host'
  | 'not-found'
  | 'forwarded'
  | 'refused';

/** An object of the registry that took part, with where it was defined (`zones/shop.yaml:3`). */
export interface ExplainedObject {
  readonly kind: 'Service' | 'EndpointSlice' | 'Endpoints' | 'Endpoints (native)' | 'Endpoints (from selector)' | 'Pod' | 'Namespace' | 'Ingress' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | WorkloadInput['kind'];
  readonly namespace: string;
  readonly name: string;
  readonly origin: string;
  readonly detail: string;
  /** The live object's resourceVersion (Kubernetes API source). */
  readonly resourceVersion?: string;
}

/** A name near the asked one that does exist, or a reason the asked one does not. */
export interface ExplainHint {
  readonly kind:
    | 'near-namespace'
    | 'near-service'
    | 'other-namespace'
    | 'default-namespace'
    | 'near-endpoint'
    | 'near-port'
    | 'missing-protocol'
    | 'headless-no-ready'
    | 'near-zone'
    | 'incomplete-zone'
    | 'address'
    | 'pods-off'
    | 'pod-unknown'
    | 'missing-svc-label'
    | 'forwarded'
    | 'public-short-form';
  readonly text: string;
  /** The existing name it points at, when there is one. */
  readonly name?: string;
}

/**
 * One explanation. For `web.shop` A with search suffix `shop.svc.cluster.local`:
 * `{ rcode: 'NOERROR', rule: 'short-form', via: { suffix: 'svc.cluster.local', clusterName: 'web.shop.svc.cluster.local', rule: 'service' },
 *    answer: ['web.shop. 5 IN CNAME web.shop.svc.cluster.local.', 'web.shop.svc.cluster.local. 5 IN A 10.96.0.10'], objects: [Service shop/web …] }`
 */
export interface Explanation {
  readonly name: string;
  readonly type: string;
  /** FORWARDED: the upstream's answer, whatever it is. */
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'FORWARDED';
  readonly rule: ExplainRule;
  readonly reason: string;
  /** For a short form: the search suffix that matched, the cluster name, and that name's rule. */
  readonly via?: { readonly suffix: string; readonly clusterName: string; readonly rule: ExplainRule };
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly objects: readonly ExplainedObject[];
  readonly hints: readonly ExplainHint[];
}

/** RR types by mnemonic, for `explain NAME TYPE`. */
export const EXPLAIN_TYPES: Readonly<Record<string, number>> = {
  A: RecordType.A,
  AAAA: RecordType.AAAA,
  SRV: RecordType.SRV,
  PTR: RecordType.PTR,
  CNAME: RecordType.CNAME,
  TXT: RecordType.TXT,
  SOA: RecordType.SOA,
  NS: RecordType.NS,
  ANY: RecordType.ANY,
};

/** The RR type mnemonic `explain` takes (`a`, `SRV`), upper-cased; undefined when it is not one we explain. */
export function explainType(text: string | undefined): string | undefined {
  const type = (text ?? 'A').toUpperCase();
  return type in EXPLAIN_TYPES ? type : undefined;
}

/** Explains `name` (any case, with or without the trailing dot) for the RR type `type` (a mnemonic). */
export function explainName(registry: Registry, options: ExplainOptions, name: string, type: string): Explanation {
  // An address is looked up by its PTR name (RFC 1035 §3.5, RFC 3596 §2.5), as `dig -x` does.
  const address = canonicalIp(name.trim());
  if (address !== undefined) {
    const ptrName = reverseName(address);
    const explained = explainName(registry, options, ptrName, 'PTR');
    const hint: ExplainHint = { kind: 'address', text: `${name.trim()} is an address: explained as its PTR name ${ptrName}. (dig -x ${name.trim()})`, name: `${ptrName}.` };
    return { ...explained, hints: [hint, ...explained.hints] };
  }
  const lowerName = name.toLowerCase().replace(/\.+$/, '');
  const qtype = EXPLAIN_TYPES[type.toUpperCase()] ?? RecordType.A;
  const typeText = type.toUpperCase();
  const index = indexInputs(registry);
  const base = { name: `${lowerName}.`, type: typeText };

  // The stage order of createResolver: cluster zone, reverse names, short forms, then out of zone.
  if (isInZone(lowerName, registry.zone)) {
    return { ...base, ...explainClusterName(registry, options, index, lowerName, qtype) };
  }
  const alias = options.clusterAliases?.map((z) => z.toLowerCase()).find((z) => isInZone(lowerName, z));
  if (alias !== undefined) {
    // Answered as the same name in the first cluster zone, names moved back (zone-alias-stage.ts).
    const primary = registry.zone;
    const inner = explainClusterName(registry, options, index, moveName(lowerName, alias, primary), qtype);
    const answer = moveAnswer(answerClusterName(registry, options, moveName(lowerName, alias, primary), qtype), primary, alias);
    return {
      ...base,
      ...inner,
      reason: `${alias} is another name of the cluster zone ${primary}: answered as ${moveName(lowerName, alias, primary)}. — ${inner.reason}`,
      answer: answer.answer.map(formatRecord),
      authority: answer.authority.map(formatRecord),
    };
  }
  const hostZone = hostZoneOf((options.ingressZones ?? []).map((z) => z.toLowerCase()), lowerName);
  if (hostZone !== undefined) return { ...base, ...explainHostName(registry, options, hostZone, lowerName, qtype) };
  const ptrs = qtype === RecordType.PTR || qtype === RecordType.ANY ? registry.reverse.get(lowerName) : undefined;
  if (ptrs) {
    const owners = ptrs.map((p) => p.target);
    const objects = owners.flatMap((owner) => explainClusterName(registry, options, index, owner, RecordType.A).objects);
    return {
      ...base,
      rcode: 'NOERROR',
      rule: 'ptr',
      reason: `reverse name of an address the registry serves: PTR to ${owners.map((o) => `${o}.`).join(', ')} (spec 2.3.4/2.4.3)`,
      answer: ptrs.map(formatRecord),
      authority: [],
      objects: dedupeObjects(objects),
      hints: [],
    };
  }
  const target = expandShortForm(registry, options, lowerName);
  if (target !== undefined) {
    const inner = explainClusterName(registry, options, index, target, qtype);
    const answer = answerShortForm(registry, options, lowerName, target, qtype);
    const suffix = target.slice(lowerName.length + 1);
    return {
      ...base,
      rcode: rcodeText(answer),
      rule: 'short-form',
      reason: `with the search suffix ${suffix} it is ${target}. (a pod in namespace ${options.defaultNamespace} would try it), answered as a CNAME to that name`,
      via: { suffix, clusterName: `${target}.`, rule: inner.rule },
      answer: answer.answer.map(formatRecord),
      authority: answer.authority.map(formatRecord),
      objects: inner.objects,
      hints: [],
    };
  }
  const hints = [...outOfZoneHints(registry, options, index, lowerName)];
  // A registered service this short form would reach, were it not for the public-TLD rule (short-form-stage.ts).
  const held = options.publicShortForms ? undefined : expandShortForm(registry, { ...options, publicShortForms: true }, lowerName);
  if (held !== undefined) {
    const tld = lowerName.slice(lowerName.lastIndexOf('.') + 1);
    hints.unshift({
      kind: 'public-short-form',
      text: `${held}. is a registered service's name, but a registration does not answer a short form ending in the public top-level domain "${tld}" (--public-short-forms to allow): ask for ${held}.`,
      name: `${held}.`,
    });
  }
  if (options.upstreams === 'none') {
    return {
      ...base,
      rcode: 'REFUSED',
      rule: 'refused',
      reason: `not under ${registry.zone}, not a reverse name we serve, not a short form of a cluster name; forwarding is off (--upstream none), so REFUSED`,
      answer: [],
      authority: [],
      objects: [],
      hints,
    };
  }
  return {
    ...base,
    rcode: 'FORWARDED',
    rule: 'forwarded',
    reason: `not under ${registry.zone}, not a reverse name we serve, not a short form of a cluster name: forwarded to ${options.upstreams.join(', ')}, whose answer is relayed`,
    answer: [],
    authority: [],
    objects: [],
    hints,
  };
}

/** The parts of an explanation for a name under the zone. */
type ZonePart = Omit<Explanation, 'name' | 'type'>;

/** A name in an --ingress-zone: the answer of host-answers.ts and the Ingress, route or Service that gave it. */
function explainHostName(registry: Registry, options: ExplainOptions, zone: DomainName, lowerName: DomainName, qtype: number): ZonePart {
  const answer = answerHostName(registry, zone, options.nameServerAddresses, lowerName, qtype);
  const records = { rcode: rcodeText(answer), answer: answer.answer.map(formatRecord), authority: answer.authority.map(formatRecord) };
  const found = findHost(registry, lowerName);
  if (!found) {
    const exists = lowerName === zone || lowerName === `ns.dns.${zone}` || lowerName === `dns.${zone}` || registry.hosts?.nonTerminals.has(lowerName);
    const near = nearestNames(lowerName, [...(registry.hosts?.hosts.keys() ?? [])]).slice(0, 3);
    return {
      ...records,
      rule: exists ? 'structure' : 'not-found',
      reason: exists
        ? `part of the ingress zone ${zone} (apex, name server, or a name above a published host): authoritative, no host of its own`
        : `no Ingress, Gateway route or LoadBalancer Service publishes this host in the ingress zone ${zone}: authoritative NXDOMAIN (names outside --ingress-zones are never answered from hostnames)`,
      objects: [],
      hints: near.map((name) => ({ kind: 'near-service' as const, text: `did you mean ${name}.?`, name: `${name}.` })),
    };
  }
  const { entry, host } = found;
  const o = entry.owner;
  const wildcard = host !== lowerName ? ` through the wildcard ${host} (one label)` : '';
  const via = o.via ? `, attached to Gateway ${o.via.namespace}/${o.via.name} whose addresses it answers with` : '';
  const from = entry.assumed
    ? 'the object has no address in its status (written without one, or no controller yet), so it answers --ingress-address'
    : entry.cname ? 'its status names a load balancer host name: a CNAME to it' : 'its status addresses';
  return {
    ...records,
    rule: 'ingress-host',
    reason: `host published by ${o.kind} ${o.namespace}/${o.name}${wildcard}${via}; ${from}`,
    objects: [{
      kind: o.kind === 'Service' ? 'Service' : o.kind,
      namespace: o.namespace,
      name: o.name,
      origin: `${o.origin.file}:${o.origin.line}`,
      detail: `${host}${entry.assumed ? ' → --ingress-address (no status)' : entry.cname ? ` → CNAME ${entry.cname}` : ` → ${entry.addresses.join(', ')}`}`,
    }],
    hints: [],
  };
}

function explainClusterName(registry: Registry, options: ExplainOptions, index: InputIndex, lowerName: DomainName, qtype: number): ZonePart {
  const answer = answerClusterName(registry, options, lowerName, qtype);
  const records = { rcode: rcodeText(answer), answer: answer.answer.map(formatRecord), authority: answer.authority.map(formatRecord) };
  const zone = registry.zone;
  const relative = lowerName === zone ? '' : lowerName.slice(0, lowerName.length - zone.length - 1);
  const labels = relative === '' ? [] : relative.split('.');
  const nodata = answer.rcode === 0 && answer.answer.length === 0 ? ` (the name exists, but has no ${typeLabel(qtype)} records: NODATA)` : '';

  if (relative === '') return { ...records, rule: 'zone-apex', reason: `the zone apex: SOA and NS of ${zone}${nodata}`, objects: [], hints: [] };
  if (relative === 'dns-version') return { ...records, rule: 'schema-version', reason: `the DNS schema version TXT (spec 2.1)${nodata}`, objects: [], hints: [] };
  if (relative === 'ns.dns') return { ...records, rule: 'name-server', reason: `the name server the apex NS names: this server's listen address${nodata}`, objects: [], hints: [] };

  const node = registry.names.get(lowerName);
  if (node) {
    const at = labels.lastIndexOf('svc');
    const ns = labels[at - 1] ?? '';
    const svcLabel = labels[at - 2] ?? '';
    const service = index.services.get(`${ns}/${svcLabel}`);
    const svcObjects = service ? [serviceObject(service, index)] : [];
    switch (node.role) {
      case 'service': {
        const kind = service?.kind ?? 'ClusterIP';
        const what =
          kind === 'ExternalName'
            ? `an ExternalName service: a CNAME to ${service?.externalName ?? '?'}. (spec 2.5)`
            : kind === 'Headless'
              ? 'a headless service: the addresses of its ready endpoints (spec 2.4.1)'
              : 'a ClusterIP service: its cluster IPs (spec 2.3.1)';
        return { ...records, rule: 'service', reason: `service ${ns}/${svcLabel}, ${what}${nodata}`, objects: [...svcObjects, ...groupObjects(index, ns, svcLabel)], hints: [] };
      }
      case 'endpoint': {
        const address = node.a[0]?.address ?? node.aaaa[0]?.address ?? '';
        const groups = groupObjects(index, ns, svcLabel, address);
        return {
          ...records,
          rule: 'endpoint',
          reason: `endpoint ${labels[0]} of the ${service?.kind === 'Headless' ? 'headless ' : ''}service ${ns}/${svcLabel}: a ready endpoint's address under its hostname or dashed IP (spec 2.4.1)${nodata}`,
          objects: [...svcObjects, ...groups],
          hints: [],
        };
      }
      case 'port':
        return {
          ...records,
          rule: 'srv',
          reason: `SRV for port ${labels[0]} over ${labels[1]} of service ${ns}/${svcLabel} (spec 2.3.2/2.4.2)${nodata}`,
          objects: svcObjects,
          hints: [],
        };
      case 'structure':
        return { ...records, rule: 'structure', reason: `a name on the way to cluster names (${relative}.${zone}): it exists, so it has no records but is not NXDOMAIN${nodata}`, objects: [], hints: [] };
    }
  }

  if (answer.rcode === 0 && labels.length === 3 && labels[2] === 'pod') {
    const address = parseDashedIp(labels[0]!) ?? '';
    const pod = index.podsByIp.get(`${labels[1]}/${address}`);
    const how = options.podMode === 'verified' ? 'a known pod has this address (--pods verified)' : 'any address in an existing namespace is answered (--pods insecure, as CoreDNS)';
    return {
      ...records,
      rule: 'pod',
      reason: `pod record ${relative}: ${how} (spec 2.6)${nodata}`,
      objects: pod ? [podObject(pod)] : [],
      hints: [],
    };
  }

  return {
    ...records,
    rule: 'not-found',
    reason: `no such name under ${zone}: NXDOMAIN`,
    objects: [],
    hints: inZoneHints(registry, options, index, labels),
  };
}

/** Why a name under the zone does not exist, and which near names do. */
function inZoneHints(registry: Registry, options: ExplainOptions, index: InputIndex, labels: readonly string[]): ExplainHint[] {
  const zone = registry.zone;
  const hints: ExplainHint[] = [];
  const last = labels[labels.length - 1];
  if (last === 'svc' && labels.length >= 3) {
    const ns = labels[labels.length - 2]!;
    const svc = labels[labels.length - 3]!;
    const prefix = labels.slice(0, labels.length - 3);
    const rebuild = (n: string, s: string) => [...prefix, s, n, 'svc', zone].join('.');
    if (!registry.namespaces.has(ns)) {
      hints.push({ kind: 'near-namespace', text: `namespace "${ns}" does not exist` });
      for (const near of nearestNames(ns, registry.namespaces)) {
        const name = rebuild(near, svc);
        hints.push({ kind: 'near-namespace', text: `namespace "${near}" exists${exists(registry, name) ? `: did you mean ${name}.?` : ''}`, name: `${name}.` });
      }
      return hints;
    }
    const service = index.services.get(`${ns}/${svc}`);
    if (!service) {
      hints.push({ kind: 'near-service', text: `namespace "${ns}" has no service "${svc}"` });
      const inNamespace = registry.services.filter((s) => s.namespace === ns).map((s) => s.name);
      for (const near of nearestNames(svc, inNamespace)) {
        const name = rebuild(ns, near);
        hints.push({ kind: 'near-service', text: `service "${near}" exists in "${ns}": did you mean ${name}.?`, name: `${name}.` });
      }
      for (const other of registry.services.filter((s) => s.name === svc && s.namespace !== ns)) {
        const name = rebuild(other.namespace, svc);
        hints.push({ kind: 'other-namespace', text: `service "${svc}" exists in namespace "${other.namespace}": ${name}.`, name: `${name}.` });
      }
      return hints;
    }
    const summary = registry.services.find((s) => s.namespace === ns && s.name === svc);
    if (service.kind === 'Headless' && (summary?.readyEndpoints ?? 0) === 0) {
      const { notReady } = endpointCounts(index, ns, svc);
      hints.push({
        kind: 'headless-no-ready',
        text: `${ns}/${svc} is a headless service with no ready endpoints (${notReady} not ready): its names exist only while an endpoint is ready (spec 2.4.1)`,
      });
      return hints;
    }
    const svcName = `${svc}.${ns}.svc.${zone}`;
    if (prefix.length === 1 && prefix[0]!.startsWith('_')) {
      // SRV owners are _<port>._<proto>.<service> (spec 2.3.2): one underscore label is half of one.
      const named = service.ports.filter((p) => p.name?.toLowerCase() === prefix[0]!.slice(1));
      const fixed = named.map((p) => `_${p.name!.toLowerCase()}._${p.protocol}.${svcName}.`);
      hints.push({
        kind: 'missing-protocol',
        text: `SRV names have two labels before the service, _<port>._<protocol>${fixed.length ? `: did you mean ${fixed.join(' or ')}?` : ` (service ${ns}/${svc} has no port named "${prefix[0]!.slice(1)}")`}`,
        ...(fixed[0] ? { name: fixed[0] } : {}),
      });
    } else if (prefix.length === 1) {
      const labelsHere: string[] = [];
      for (const [n, node] of registry.names) if (node.role === 'endpoint' && n.endsWith(`.${svcName}`)) labelsHere.push(n.slice(0, n.length - svcName.length - 1));
      labelsHere.sort();
      const near = nearestNames(prefix[0]!, labelsHere);
      hints.push({ kind: 'near-endpoint', text: `service ${ns}/${svc} has no ready endpoint "${prefix[0]}"${labelsHere.length ? ` (it has: ${labelsHere.slice(0, 5).join(', ')}${labelsHere.length > 5 ? ', …' : ''})` : ''}`, ...(near[0] ? { name: `${near[0]}.${svcName}.` } : {}) });
    } else if (prefix.length === 2) {
      const ports = service.ports.filter((p) => p.name).map((p) => `_${p.name!.toLowerCase()}._${p.protocol}`);
      const asked = `${prefix[0]}.${prefix[1]}`;
      const near = nearestNames(asked, ports);
      hints.push({ kind: 'near-port', text: `service ${ns}/${svc} has no named port ${asked}${ports.length ? ` (it has: ${ports.join(', ')})` : ' (it has no named ports, so no SRV records)'}`, ...(near[0] ? { name: `${near[0]}.${svcName}.` } : {}) });
    }
    return hints;
  }
  if (last === 'pod') {
    if (options.podMode === 'disabled') hints.push({ kind: 'pods-off', text: 'pod records are off (--pods disabled)' });
    else if (labels.length === 3) {
      const ns = labels[1]!;
      const address = parseDashedIp(labels[0]!);
      if (!registry.namespaces.has(ns)) {
        hints.push({ kind: 'near-namespace', text: `namespace "${ns}" does not exist${nearList(nearestNames(ns, registry.namespaces))}` });
      } else if (address === undefined) {
        hints.push({ kind: 'pod-unknown', text: `"${labels[0]}" is not a dashed IP address (10-244-1-5 or fd00--5)` });
      } else {
        hints.push({ kind: 'pod-unknown', text: `no pod in "${ns}" has the address ${address} (--pods verified answers known pods only)` });
      }
    }
    return hints;
  }
  // `<svc>.<ns>.<zone>`: the `svc` label is missing.
  if (labels.length === 2 && index.services.has(`${labels[1]}/${labels[0]}`)) {
    const name = `${labels[0]}.${labels[1]}.svc.${zone}.`;
    hints.push({ kind: 'missing-svc-label', text: `service names have the form <service>.<namespace>.svc.${zone}: did you mean ${name}?`, name });
  }
  return hints;
}

/** Near names for a name that is not ours: a misspelt zone, or a short form one edit from a real one. */
function outOfZoneHints(registry: Registry, options: ExplainOptions, index: InputIndex, lowerName: DomainName): ExplainHint[] {
  const hints: ExplainHint[] = [];
  const labels = lowerName.split('.');
  const zoneLabels = registry.zone.split('.');
  if (labels.length > zoneLabels.length) {
    const tail = labels.slice(labels.length - zoneLabels.length).join('.');
    if (nearestNames(tail, [registry.zone]).length > 0) {
      const fixed = [...labels.slice(0, labels.length - zoneLabels.length), registry.zone].join('.');
      hints.push({ kind: 'near-zone', text: `"${tail}" is not the cluster domain ${registry.zone}: did you mean ${fixed}.?`, name: `${fixed}.` });
      return hints;
    }
  }
  // The cluster domain without its last labels: `web.shop.svc.cluster` for cluster.local.
  for (let k = zoneLabels.length - 1; k >= 1; k--) {
    if (labels.length <= k || labels.slice(labels.length - k).join('.') !== zoneLabels.slice(0, k).join('.')) continue;
    const fixed = [...labels, ...zoneLabels.slice(k)].join('.');
    if (!isInZone(fixed, registry.zone) || answerClusterName(registry, options, fixed, RecordType.A).rcode !== 0) continue;
    hints.push({ kind: 'incomplete-zone', text: `the cluster domain is ${registry.zone}, not ${zoneLabels.slice(0, k).join('.')}: did you mean ${fixed}.?`, name: `${fixed}.` });
    return hints;
  }
  // A short form that expands to nothing: `web.shopp` or `web.shop.svc` with a near miss.
  const asCluster = labels[labels.length - 1] === 'svc' ? [...labels, ...zoneLabels] : labels.length === 2 ? [labels[0]!, labels[1]!, 'svc', ...zoneLabels] : undefined;
  if (asCluster && asCluster.length === zoneLabels.length + 3) {
    for (const hint of inZoneHints(registry, options, index, asCluster.slice(0, 3))) {
      // Only a concrete near name helps here: "namespace org does not exist" for example.org would be noise.
      if ((hint.name && (hint.kind === 'near-namespace' || hint.kind === 'near-service' || hint.kind === 'other-namespace')) || hint.kind === 'headless-no-ready') {
        const short = hint.name?.slice(0, -(registry.zone.length + 6));
        hints.push(short && hint.kind !== 'other-namespace' ? { ...hint, text: `${hint.text.replace(/: did you mean .*$/, '')}: did you mean ${short}?` } : hint);
      }
    }
  }
  if (labels.length === 1 && options.defaultNamespace) {
    // A bare name resolves only in the default namespace, as in a pod of that namespace (its first
    // search suffix, <ns>.svc.<zone>); the commonest laptop miss is a service in another one.
    for (const other of registry.services.filter((s) => s.name === labels[0] && s.namespace !== options.defaultNamespace)) {
      hints.push({
        kind: 'default-namespace',
        text: `service "${labels[0]}" exists in namespace "${other.namespace}", but a bare name is looked up in the default namespace "${options.defaultNamespace}": ask for ${labels[0]}.${other.namespace}, or start with --default-namespace ${other.namespace}`,
        name: `${labels[0]}.${other.namespace}.svc.${registry.zone}.`,
      });
    }
    const near = nearestNames(labels[0]!, registry.services.filter((s) => s.namespace === options.defaultNamespace).map((s) => s.name));
    for (const n of near) hints.push({ kind: 'near-service', text: `service "${n}" exists in the default namespace "${options.defaultNamespace}": did you mean ${n}?`, name: `${n}.${options.defaultNamespace}.svc.${registry.zone}.` });
  }
  return hints;
}

/** Services (the one that wins, as buildRegistry picks it), endpoint groups and pods, by key; built once per snapshot. */
interface InputIndex {
  readonly services: ReadonlyMap<string, ServiceInput>;
  readonly groups: ReadonlyMap<string, readonly { group: EndpointGroupInput; from: string | undefined }[]>;
  /** The source id of each winning service: its endpoints come from the same source. */
  readonly serviceSource: ReadonlyMap<string, string | undefined>;
  readonly podsByIp: ReadonlyMap<string, PodInput>;
  /** Workloads by their origin object, which the Pods simulated for them share. */
  readonly workloads: ReadonlyMap<Origin, WorkloadInput>;
}

const indexes = new WeakMap<Registry, InputIndex>();

function indexInputs(registry: Registry): InputIndex {
  const known = indexes.get(registry);
  if (known) return known;
  const services = new Map<string, ServiceInput>();
  const groups = new Map<string, { group: EndpointGroupInput; from: string | undefined }[]>();
  const serviceSource = new Map<string, string | undefined>();
  const podsByIp = new Map<string, PodInput>();
  const workloads = new Map<Origin, WorkloadInput>();
  for (const input of (registry.inputs ?? []) as readonly SourcedInput[]) {
    for (const w of input.workloads ?? []) workloads.set(w.origin, w);
    for (const svc of input.services) {
      const key = `${svc.namespace.toLowerCase()}/${svc.name.toLowerCase()}`;
      // As buildRegistry: inputs come in precedence order and the first definition wins.
      if (!services.has(key)) {
        services.set(key, svc);
        serviceSource.set(key, input.source);
      }
    }
    for (const group of input.endpointGroups) {
      const key = `${group.namespace.toLowerCase()}/${group.service.toLowerCase()}`;
      const list = groups.get(key) ?? [];
      list.push({ group, from: input.source });
      groups.set(key, list);
    }
    for (const pod of input.pods) for (const ip of pod.ips) podsByIp.set(`${pod.namespace.toLowerCase()}/${ip}`, pod);
  }
  const index = { services, groups, serviceSource, podsByIp, workloads };
  indexes.set(registry, index);
  return index;
}

function servedGroups(index: InputIndex, ns: string, svc: string): readonly EndpointGroupInput[] {
  const from = index.serviceSource.get(`${ns}/${svc}`);
  return preferredGroups((index.groups.get(`${ns}/${svc}`) ?? []).filter((g) => g.from === from || g.from === undefined).map((g) => g.group));
}

function endpointCounts(index: InputIndex, ns: string, svc: string): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const g of servedGroups(index, ns, svc)) for (const e of g.endpoints) (e.ready ? (ready += e.addresses.length) : (notReady += e.addresses.length));
  return { ready, notReady };
}

function serviceObject(svc: ServiceInput, index: InputIndex): ExplainedObject {
  const { ready, notReady } = endpointCounts(index, svc.namespace.toLowerCase(), svc.name.toLowerCase());
  const detail =
    svc.kind === 'ClusterIP'
      ? `ClusterIP ${svc.clusterIPs.join(', ')}`
      : svc.kind === 'ExternalName'
        ? `ExternalName ${svc.externalName ?? ''}`
        : `headless, ${ready} ready and ${notReady} not-ready endpoint address(es)${svc.publishNotReadyAddresses ? ', publishNotReadyAddresses' : ''}`;
  return { kind: 'Service', namespace: svc.namespace, name: svc.name, origin: where(svc.origin), detail, ...version(svc.origin) };
}

/** The endpoint groups served for a service (only those holding `address`, when given), and what derived ones came from. */
function groupObjects(index: InputIndex, ns: string, svc: string, address?: string): ExplainedObject[] {
  const out: ExplainedObject[] = [];
  for (const g of servedGroups(index, ns, svc)) {
    if (address !== undefined && !g.endpoints.some((e) => e.addresses.includes(address))) continue;
    const addresses = g.endpoints.map((e) => `${e.hostname ? `${e.hostname}=` : ''}${e.addresses.join('/')}${e.ready ? '' : ' (not ready)'}`).join(', ') || 'no endpoints';
    if (!g.fromPods) {
      out.push({ kind: g.source === 'native' ? 'Endpoints (native)' : g.source, namespace: g.namespace, name: g.service, origin: where(g.origin), ...version(g.origin), detail: addresses });
      continue;
    }
    // Derived as the EndpointSlice controller would (no slice exists): say so, and name what the
    // Pods came from — a workload whose Pods were simulated, or the Pods as written.
    out.push({ kind: 'Endpoints (from selector)', namespace: g.namespace, name: g.service, origin: where(g.origin), detail: `${addresses}; selector ${selectorText(index.services.get(`${ns}/${svc}`))}` });
    const seen = new Set<object>();
    for (const pod of g.fromPods) {
      if (address !== undefined && !pod.ips.includes(address)) continue;
      const workload = pod.simulated ? index.workloads.get(pod.origin) : undefined;
      if (workload) {
        if (seen.has(workload)) continue;
        seen.add(workload);
        const pods = g.fromPods.filter((p) => p.origin === pod.origin && (address === undefined || p.ips.includes(address))).map((p) => p.name);
        out.push({ kind: workload.kind, namespace: workload.namespace, name: workload.name, origin: where(workload.origin), detail: `${workload.replicas} replica(s); simulated pods ${pods.join(', ')}` });
      } else out.push(podObject(pod));
    }
  }
  return out;
}

function selectorText(svc: ServiceInput | undefined): string {
  return Object.entries(svc?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || 'none';
}

function podObject(pod: PodInput): ExplainedObject {
  return { kind: 'Pod', namespace: pod.namespace, name: pod.name, origin: where(pod.origin), detail: pod.ips.join(', '), ...version(pod.origin) };
}

function dedupeObjects(objects: readonly ExplainedObject[]): ExplainedObject[] {
  const seen = new Set<string>();
  return objects.filter((o) => {
    const key = `${o.kind} ${o.namespace}/${o.name} ${o.origin}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function where(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}

function version(origin: Origin): { resourceVersion?: string } {
  return origin.resourceVersion === undefined ? {} : { resourceVersion: origin.resourceVersion };
}

function exists(registry: Registry, name: DomainName): boolean {
  return registry.names.has(name);
}

function nearList(names: readonly string[]): string {
  return names.length ? ` (did you mean ${names.join(' or ')}?)` : '';
}

function rcodeText(answer: RecordsAnswer): 'NOERROR' | 'NXDOMAIN' {
  return answer.rcode === 3 ? 'NXDOMAIN' : 'NOERROR';
}

function typeLabel(qtype: number): string {
  return Object.entries(EXPLAIN_TYPES).find(([, v]) => v === qtype)?.[0] ?? `TYPE${qtype}`;
}

/** Zone-file text: `web.shop.svc.cluster.local. 5 IN A 10.96.0.10`. */
export function formatRecord(r: ResourceRecord): string {
  return `${r.name}. ${r.ttl} IN ${r.type} ${recordData(r)}`;
}

/** The human rendering of an explanation, for `cluster-dns explain`. */
export function formatExplanation(e: Explanation): string {
  const lines = [`${e.name} ${e.type}: ${e.rcode}`, `  rule:   ${e.rule}: ${e.reason}`];
  if (e.via) lines.push(`  via:    search suffix ${e.via.suffix} → ${e.via.clusterName} (${e.via.rule})`);
  for (const o of e.objects) lines.push(`  from:   ${o.kind} ${o.namespace}/${o.name} at ${o.origin} (${o.detail})`);
  if (e.answer.length) {
    lines.push('  answer:');
    for (const r of e.answer) lines.push(`    ${r}`);
  }
  if (e.authority.length && e.answer.length === 0) {
    lines.push('  authority:');
    for (const r of e.authority) lines.push(`    ${r}`);
  }
  for (const h of e.hints) lines.push(`  hint:   ${h.text}`);
  return `${lines.join('\n')}\n`;
}
