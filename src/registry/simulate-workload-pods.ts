/**
 * Pods a StatefulSet, Deployment or ReplicaSet would run, for workloads whose Pods the registry does
 * not hold: named as their controllers name them, ready, with addresses from the pod CIDRs. Pure.
 */
import { createHash } from 'node:crypto';
import type { Cidr } from '../dns/cidr.js';
import type { IpFamily } from '../dns/ip.js';
import { createAddressPool, type AddressPool } from './address-pool.js';
import type { Diagnostic } from './diagnostics.js';
import { matchesLabels, matchesSelector } from './label-selector.js';
import type { LabelSelector, PodInput, ServiceInput, WorkloadInput } from './model.js';

export interface SimulatedPods {
  /** Sorted by namespace/name. */
  readonly pods: readonly PodInput[];
  /** Pods written for `kubectl apply` (no status) → the same Pod with an address, ready and Running. */
  readonly placed: ReadonlyMap<PodInput, PodInput>;
  readonly diagnostics: readonly Diagnostic[];
}

/** The Deployment controller labels its ReplicaSets' Pods with the template hash (and names them after it). */
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * Pods the cluster would run and the registry does not have with an address. A workload is simulated only when no real Pod belongs to it: one owned by it (ownerReferences;
 * a Deployment owns its ReplicaSets' Pods), or, for a Pod without owner, one in the same namespace
 * matching its selector. A ReplicaSet owned by a Deployment that is present is left to the Deployment.
 * `reserved` holds addresses already in use (real Pods, endpoints): simulated Pods never get them.
 */
export function simulateWorkloadPods(
  workloads: readonly WorkloadInput[],
  realPods: readonly PodInput[],
  services: readonly ServiceInput[],
  podCidrs: readonly Cidr[],
  reserved: Iterable<string>,
): SimulatedPods {
  const unique = new Map<string, WorkloadInput>();
  for (const w of workloads) {
    const key = workloadKey(w.kind, w.namespace, w.name);
    if (!unique.has(key)) unique.set(key, w);
  }
  const asApplied = realPods.filter((p) => p.asApplied && p.ips.length === 0);
  if (unique.size === 0 && asApplied.length === 0) return { pods: [], placed: new Map(), diagnostics: [] };

  const byNamespace = new Map<string, [string, WorkloadInput][]>();
  for (const entry of unique) {
    let list = byNamespace.get(entry[1].namespace);
    if (!list) byNamespace.set(entry[1].namespace, (list = []));
    list.push(entry);
  }
  const covered = new Set<string>(); // workloads that have real Pods
  for (const pod of realPods) {
    for (const key of ownersOf(pod, unique, byNamespace.get(pod.namespace) ?? [])) covered.add(key);
  }

  const planned: { pod: Omit<PodInput, 'ips'>; key: string; families: readonly IpFamily[]; from?: PodInput }[] = [];
  const primary = podCidrs[0]?.family ?? 4;
  const other: IpFamily = primary === 4 ? 6 : 4;
  // Usually no Service asks for the second family: then no Pod is checked against Services at all.
  const askingOther = podCidrs.some((c) => c.family === other) ? services.filter((s) => wantsFamily(s, other)) : [];
  const familiesOf = (pod: Omit<PodInput, 'ips'>): IpFamily[] => (askingOther.some((s) => selects(s, pod)) ? [primary, other] : [primary]);
  // A Pod as applied is scheduled by the cluster: an address, and the kubelet reports it Running and ready.
  for (const pod of asApplied) {
    planned.push({ pod: { ...pod, ready: true, phase: 'Running', simulated: true }, key: `${pod.namespace}/${pod.name}`, families: familiesOf(pod), from: pod });
  }
  for (const [key, w] of unique) {
    if (covered.has(key) || w.replicas === 0) continue;
    if (w.kind === 'ReplicaSet' && deploymentOf(w, unique)) continue;
    for (const pod of podsOf(w)) planned.push({ pod, key: `${pod.namespace}/${pod.name}`, families: familiesOf(pod) });
  }
  if (planned.length === 0) return { pods: [], placed: new Map(), diagnostics: [] };

  const pools = new Map<IpFamily, AddressPool>();
  for (const cidr of podCidrs) if (!pools.has(cidr.family)) pools.set(cidr.family, createAddressPool(cidr));
  for (const address of reserved) for (const pool of pools.values()) pool.reserve(address);

  // Key order, like ClusterIPs: a Pod's address moves only when an earlier generated one collides with it.
  planned.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const pods: PodInput[] = [];
  const diagnostics: Diagnostic[] = [];
  const full = new Set<IpFamily>();
  const placed = new Map<PodInput, PodInput>();
  for (const { pod, key, families, from } of planned) {
    const ips: string[] = [];
    for (const family of families) {
      const pool = pools.get(family);
      const ip = pool?.allocate(key);
      if (ip) ips.push(ip);
      else if (pool && !full.has(family)) {
        full.add(family);
        diagnostics.push({ severity: 'warning', file: pod.origin.file, line: pod.origin.line, field: 'spec.replicas', message: `no free address left in pod CIDR ${pool.cidr.text} (--pod-cidr); simulated pod "${pod.name}" and later ones get no IPv${family} address` });
      }
    }
    if (from) placed.set(from, { ...pod, ips });
    else pods.push({ ...pod, ips });
  }
  return { pods, placed, diagnostics };
}

/** The Pods a workload's controller would create (names, hostname/subdomain, labels, ports). */
function podsOf(w: WorkloadInput): Omit<PodInput, 'ips'>[] {
  const base = {
    namespace: w.namespace,
    origin: w.origin,
    ready: true,
    phase: 'Running',
    terminating: false,
    containerPorts: w.template.containerPorts,
    simulated: true,
  };
  const out: Omit<PodInput, 'ips'>[] = [];
  if (w.kind === 'StatefulSet') {
    // The StatefulSet controller names Pods <name>-<ordinal> and sets hostname = name, subdomain = serviceName.
    for (let i = 0; i < w.replicas; i++) {
      const name = `${w.name}-${i}`;
      out.push({ ...base, name, labels: w.template.labels, hostname: name, ...(w.serviceName ? { subdomain: w.serviceName } : {}), owner: { kind: 'StatefulSet', name: w.name } });
    }
    return out;
  }
  // Deployment → ReplicaSet <name>-<template hash> → Pods <replicaset>-<5 random characters>.
  const hash = w.kind === 'Deployment' ? templateHash(w) : undefined;
  const replicaSet = hash ? `${w.name}-${hash}` : w.name;
  const labels = hash ? { ...w.template.labels, [POD_TEMPLATE_HASH]: hash } : w.template.labels;
  for (let i = 0; i < w.replicas; i++) {
    const name = `${replicaSet}-${suffix(`${w.namespace}/${replicaSet}/${i}`)}`;
    out.push({
      ...base,
      name,
      labels,
      ...(w.template.hostname ? { hostname: w.template.hostname } : {}),
      ...(w.template.subdomain ? { subdomain: w.template.subdomain } : {}),
      owner: { kind: 'ReplicaSet', name: replicaSet },
    });
  }
  return out;
}

/**
 * The Deployment (present in the registry) a ReplicaSet belongs to: by its ownerReference, or, in
 * dumps without owners, by the controller's naming (`<deployment>-<pod-template-hash>`).
 */
function deploymentOf(rs: WorkloadInput, workloads: ReadonlyMap<string, WorkloadInput>): string | undefined {
  const candidates = rs.owner?.kind === 'Deployment' ? [rs.owner.name] : [];
  const hash = rs.template.labels[POD_TEMPLATE_HASH];
  if (hash && rs.name.endsWith(`-${hash}`)) candidates.push(rs.name.slice(0, -hash.length - 1));
  return candidates.map((name) => workloadKey('Deployment', rs.namespace, name)).find((key) => workloads.has(key));
}

/** Keys of the workloads a real Pod belongs to. */
function ownersOf(pod: PodInput, workloads: ReadonlyMap<string, WorkloadInput>, inNamespace: readonly [string, WorkloadInput][]): string[] {
  const keys: string[] = [];
  const owner = pod.owner;
  if (owner) {
    keys.push(workloadKey(owner.kind, pod.namespace, owner.name));
    if (owner.kind === 'ReplicaSet') {
      // A Deployment's ReplicaSet: by the ReplicaSet's own ownerReference, or by the name the
      // Deployment controller gives it (<deployment>-<pod-template-hash>) when the ReplicaSet is absent.
      const rs = workloads.get(workloadKey('ReplicaSet', pod.namespace, owner.name));
      const deployment = rs && deploymentOf(rs, workloads);
      if (deployment) keys.push(deployment);
      const hash = pod.labels?.[POD_TEMPLATE_HASH];
      if (hash && owner.name.endsWith(`-${hash}`)) keys.push(workloadKey('Deployment', pod.namespace, owner.name.slice(0, -hash.length - 1)));
    }
    return keys;
  }
  for (const [key, w] of inNamespace) {
    if (matchesSelector(effectiveSelector(w), pod.labels ?? {})) keys.push(key);
  }
  return keys;
}

function effectiveSelector(w: WorkloadInput): LabelSelector {
  const empty = Object.keys(w.selector.matchLabels).length === 0 && w.selector.matchExpressions.length === 0;
  return empty ? { matchLabels: w.template.labels, matchExpressions: [] } : w.selector;
}

/** The service asks for this family explicitly (ipFamilies, or a dual-stack policy). */
function wantsFamily(svc: ServiceInput, family: IpFamily): boolean {
  return (svc.ipFamilies ?? []).includes(family) || svc.ipFamilyPolicy === 'PreferDualStack' || svc.ipFamilyPolicy === 'RequireDualStack';
}

function selects(svc: ServiceInput, pod: Omit<PodInput, 'ips'>): boolean {
  return svc.namespace === pod.namespace && svc.selector !== undefined && matchesLabels(svc.selector, pod.labels ?? {});
}

function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`.toLowerCase();
}

/** The alphabet of k8s.io/apimachinery util/rand SafeEncodeString: no vowels, no look-alikes. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The pod-template-hash: the Deployment controller hashes the template with FNV-32a and encodes the
 * decimal digits with SafeEncodeString. Ours hashes the slim template the same way, so it changes
 * when the template's labels, ports or hostname change and is otherwise stable.
 */
function templateHash(w: WorkloadInput): string {
  const t = w.template;
  const text = JSON.stringify([Object.entries(t.labels).sort(), t.hostname ?? '', t.subdomain ?? '', t.containerPorts.map((p) => [p.name, p.protocol, p.port])]);
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return safeEncode(String(hash));
}

/** Five characters, like the ReplicaSet controller's generateName suffix, derived from the key. */
function suffix(key: string): string {
  const digest = createHash('sha256').update(key).digest();
  let out = '';
  for (let i = 0; i < 5; i++) out += ALPHANUMS[digest[i]! % ALPHANUMS.length];
  return out;
}

function safeEncode(text: string): string {
  let out = '';
  for (const ch of text) out += ALPHANUMS[ch.charCodeAt(0) % ALPHANUMS.length];
  return out;
}
