/**
 * The hostname index of Ingresses, Gateways, routes and LoadBalancer Services (HostObjectInput):
 * which host inside the --ingress-zones answers with which addresses, and which object said so.
 * Built once per snapshot, beside the cluster names, and read by resolver/ingress-stage.ts. Pure.
 */
import type { DomainName } from '../dns/types.js';
import { ipFamily } from '../dns/ip.js';
import type { Diagnostic } from './diagnostics.js';
import type { HostObjectInput, HostObjectKind, HostTarget, Origin, RegistryInput } from './model.js';

export interface HostIndexOptions {
  /** Lowercase zones without the trailing dot; hosts outside them are never served. Empty: none served. */
  readonly zones: readonly DomainName[];
  /** What an object without status answers (--ingress-address), canonical IPs. */
  readonly defaultAddresses: readonly string[];
}

/** The object that gave a host its answer; a route's Gateway (whose addresses it answers with) in `via`. */
export interface HostOwner {
  readonly kind: HostObjectKind;
  readonly namespace: string;
  readonly name: string;
  readonly origin: Origin;
  readonly via?: { readonly namespace: string; readonly name: string };
}

/** What one host answers: addresses (A/AAAA), or else a CNAME to a load balancer's hostname. */
export interface HostEntry {
  readonly addresses: readonly string[];
  readonly cname: DomainName | undefined;
  readonly owner: HostOwner;
  /** The object has no address in its status: `addresses` are --ingress-address. */
  readonly assumed: boolean;
}

/**
 * For `app.example.test` from an Ingress with `status.loadBalancer.ingress: [{ip: 192.0.2.10}]`
 * and `*.dev.example.test` from a Gateway without status, with zones [example.test]:
 * `{ zones: ['example.test'], hosts: Map { 'app.example.test' → {addresses: ['192.0.2.10'], …},
 *   '*.dev.example.test' → {addresses: ['127.0.0.1'], assumed: true, …} }, nonTerminals: Set { 'dev.example.test' } }`.
 */
export interface HostIndex {
  readonly zones: readonly DomainName[];
  /** Host → entry; a wildcard host is keyed as written (`*.example.test`) and matches one label. */
  readonly hosts: ReadonlyMap<DomainName, HostEntry>;
  /** Names between a host and its zone, which exist without data (NODATA, RFC 8020 §2). */
  readonly nonTerminals: ReadonlySet<DomainName>;
}

/** Which kind wins a host two kinds claim: k8s_gateway's lookup order (routes, then Ingress, then Service). */
const KIND_RANK: Readonly<Record<HostObjectKind, number>> = { HTTPRoute: 0, TLSRoute: 1, GRPCRoute: 2, Gateway: 3, Ingress: 4, Service: 5 };

interface Claim {
  readonly host: DomainName;
  readonly object: HostObjectInput;
  /** Undefined: no status, answered with the default addresses. */
  readonly targets: readonly HostTarget[] | undefined;
  readonly via?: { readonly namespace: string; readonly name: string };
}

/** Builds the index and the diagnostics about hosts it leaves out (outside the zones, lost conflicts, unknown Gateways). */
export function buildHostIndex(inputs: readonly RegistryInput[], options: HostIndexOptions): { index: HostIndex; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const zones = options.zones;
  // One object per kind/namespace/name: inputs come in source precedence order, the first wins.
  const objects = new Map<string, HostObjectInput>();
  for (const input of inputs) {
    for (const object of input.hostObjects ?? []) {
      const key = `${object.kind}/${object.namespace}/${object.name}`;
      if (!objects.has(key)) objects.set(key, object);
    }
  }
  const empty: HostIndex = { zones, hosts: new Map(), nonTerminals: new Set() };
  if (objects.size === 0) return { index: empty, diagnostics };
  if (zones.length === 0) {
    for (const object of objects.values()) {
      if (object.kind === 'Service' && object.hostnames.length === 0) continue;
      warn(diagnostics, object, '', `${object.kind} hostnames are served only inside --ingress-zones (none given); not served`);
    }
    return { index: empty, diagnostics };
  }

  const gateways = new Map<string, HostObjectInput>();
  for (const object of objects.values()) if (object.kind === 'Gateway') gateways.set(`${object.namespace}/${object.name}`, object);

  const claims: Claim[] = [];
  for (const object of objects.values()) {
    switch (object.kind) {
      case 'Ingress':
      case 'Gateway':
        for (const host of object.hostnames) claims.push({ host, object, targets: object.targets });
        break;
      case 'Service': {
        // k8s_gateway: `<name>.<namespace>.<zone>` in every zone, and the annotation's hostnames.
        const hosts = [...object.hostnames, ...zones.map((zone) => `${object.name}.${object.namespace}.${zone}`)];
        for (const host of hosts) claims.push({ host, object, targets: object.targets });
        break;
      }
      default:
        claims.push(...routeClaims(object, gateways, diagnostics));
    }
  }

  const byHost = new Map<DomainName, Claim[]>();
  for (const claim of claims) {
    if (!zones.some((zone) => inZone(claim.host, zone))) {
      // A Service's own `<name>.<namespace>.<zone>` is always inside; other hosts are the user's to place.
      warn(diagnostics, claim.object, '', `host "${claim.host}" is outside --ingress-zones (${zones.join(', ')}); not served`);
      continue;
    }
    let list = byHost.get(claim.host);
    if (!list) byHost.set(claim.host, (list = []));
    list.push(claim);
  }

  const hosts = new Map<DomainName, HostEntry>();
  const nonTerminals = new Set<DomainName>();
  for (const host of [...byHost.keys()].sort()) {
    const list = byHost.get(host)!.sort(compareClaims);
    const winner = list[0]!;
    // A route attached to two Gateways answers with both Gateways' addresses.
    const own = list.filter((c) => c.object === winner.object);
    const targets = own.some((c) => c.targets === undefined) ? undefined : own.flatMap((c) => c.targets!);
    const entry = entryOf(winner, targets, options.defaultAddresses);
    hosts.set(host, entry);
    for (const loser of list) {
      if (loser.object === winner.object) continue;
      const lost = entryOf(loser, loser.targets, options.defaultAddresses);
      if (sameAnswer(lost, entry)) continue;
      const w = winner.object;
      warn(diagnostics, loser.object, '', `host "${host}" is also claimed by ${w.kind} ${w.namespace}/${w.name} (${w.origin.file}:${w.origin.line}), which wins (${whyWins(w, loser.object)}); this ${loser.object.kind} is not served for it`);
    }
    const zone = zones.filter((z) => inZone(host, z)).sort((a, b) => b.length - a.length)[0]!;
    let name = host.startsWith('*.') ? host.slice(2) : host.slice(host.indexOf('.') + 1);
    if (host.startsWith('*.') && name !== zone) nonTerminals.add(name);
    for (; name.length > zone.length && name !== zone; name = name.slice(name.indexOf('.') + 1)) nonTerminals.add(name);
  }
  for (const host of hosts.keys()) nonTerminals.delete(host);
  return { index: { zones, hosts, nonTerminals }, diagnostics };
}

/** A route's hostnames, attached through each parentRef to a Gateway listener that admits them (Gateway API hostname matching). */
function routeClaims(route: HostObjectInput, gateways: ReadonlyMap<string, HostObjectInput>, diagnostics: Diagnostic[]): Claim[] {
  const claims: Claim[] = [];
  for (const ref of route.parents ?? []) {
    const gateway = gateways.get(`${ref.namespace}/${ref.name}`);
    if (!gateway) {
      warn(diagnostics, route, 'spec.parentRefs', `Gateway ${ref.namespace}/${ref.name} is not in the registry; this ${route.kind}'s hostnames are not served through it`);
      continue;
    }
    const named = (gateway.listeners ?? []).filter((l) => ref.sectionName === undefined || l.name === ref.sectionName);
    // A listener admits routes of its own namespace only unless allowedRoutes says otherwise (Gateway API default `Same`).
    const listeners = named.filter((l) => l.allowedNamespaces !== 'Same' || route.namespace === gateway.namespace);
    if (named.length > 0 && listeners.length === 0) {
      warn(diagnostics, route, 'spec.parentRefs', `Gateway ${gateway.namespace}/${gateway.name} admits routes of namespace ${gateway.namespace} only (listener allowedRoutes.namespaces.from: Same, the default); not served through it`);
      continue;
    }
    for (const host of route.hostnames) {
      // A listener without hostname admits every host; `*.example.test` admits names below it.
      if (!listeners.some((l) => l.hostname === undefined || l.hostname === host || (l.hostname.startsWith('*.') && host.endsWith(l.hostname.slice(1))))) {
        warn(diagnostics, route, 'spec.hostnames', `host "${host}" matches no listener of Gateway ${gateway.namespace}/${gateway.name}${ref.sectionName ? ` (sectionName ${ref.sectionName})` : ''}; not served through it`);
        continue;
      }
      claims.push({ host, object: route, targets: gateway.targets, via: { namespace: gateway.namespace, name: gateway.name } });
    }
  }
  return claims;
}

function entryOf(claim: Claim, targets: readonly HostTarget[] | undefined, defaults: readonly string[]): HostEntry {
  const o = claim.object;
  const owner: HostOwner = { kind: o.kind, namespace: o.namespace, name: o.name, origin: o.origin, ...(claim.via ? { via: claim.via } : {}) };
  if (targets === undefined) return { addresses: defaults, cname: undefined, owner, assumed: true };
  const addresses = [...new Set(targets.flatMap((t) => ('ip' in t ? [t.ip] : [])))].sort(compareAddresses);
  // A name with addresses cannot also be a CNAME (RFC 1034 §3.6.2): the addresses win.
  const cname = addresses.length === 0 ? targets.flatMap((t) => ('hostname' in t ? [t.hostname] : [])).sort()[0] : undefined;
  return { addresses, cname, owner, assumed: false };
}

function sameAnswer(a: HostEntry, b: HostEntry): boolean {
  return a.cname === b.cname && a.addresses.length === b.addresses.length && a.addresses.every((x, i) => x === b.addresses[i]);
}

/** Kind order first, then the older object (the Gateway API's conflict rule), then namespace/name. */
function compareClaims(a: Claim, b: Claim): number {
  const x = a.object;
  const y = b.object;
  return KIND_RANK[x.kind] - KIND_RANK[y.kind] || compareCreated(x.createdAt, y.createdAt) || cmp(x.namespace, y.namespace) || cmp(x.name, y.name);
}

function whyWins(w: HostObjectInput, l: HostObjectInput): string {
  if (KIND_RANK[w.kind] !== KIND_RANK[l.kind]) return `a ${w.kind} wins over a ${l.kind}`;
  if (compareCreated(w.createdAt, l.createdAt) !== 0) return 'created earlier';
  return 'first by namespace/name';
}

/** RFC 3339 timestamps in UTC compare as text; an object without one comes after those with one. */
function compareCreated(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? cmp(a, b) : ta - tb;
}

function compareAddresses(a: string, b: string): number {
  return (ipFamily(a) ?? 0) - (ipFamily(b) ?? 0) || cmp(a, b);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A host (or the parent of a wildcard host) is the zone or below it. */
function inZone(host: DomainName, zone: DomainName): boolean {
  const name = host.startsWith('*.') ? host.slice(2) : host;
  return name === zone || name.endsWith(`.${zone}`);
}

function warn(diagnostics: Diagnostic[], object: HostObjectInput, field: string, message: string): void {
  diagnostics.push({ severity: 'warning', file: object.origin.file, line: object.origin.line, field, message: `${object.kind} ${object.namespace}/${object.name}: ${message}` });
}
