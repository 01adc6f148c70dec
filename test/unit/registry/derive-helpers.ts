/** Test helper: Kubernetes objects → the control plane's derivation, with only the parts tests compare. */
import { deriveControlPlane, type DerivedInputs } from '../../../src/registry/derive-control-plane.js';
import type { EndpointGroupInput, PodInput } from '../../../src/registry/model.js';
import { convertRegistryObjects } from '../../../src/sources/registry-documents.js';

export function derive(objects: readonly object[]): DerivedInputs & { groups: EndpointGroupInput[]; simulated: PodInput[] } {
  const converted = convertRegistryObjects('f.yaml', objects);
  if (converted.diagnostics.length) throw new Error(converted.diagnostics.map((d) => `${d.field}: ${d.message}`).join('\n'));
  const derived = deriveControlPlane([converted.input]);
  const extra = derived.inputs.length > 1 ? derived.inputs[derived.inputs.length - 1]! : undefined;
  return { ...derived, groups: [...(extra?.endpointGroups ?? [])], simulated: [...(extra?.pods ?? [])] };
}

/** `hostname|addresses|ready` per endpoint and `name/protocol/port` per port, one line per group. */
export function groupText(groups: readonly EndpointGroupInput[]): string[] {
  return groups.map((g) => `${g.namespace}/${g.service} [${g.ports.map((p) => `${p.name ?? ''}/${p.protocol}/${p.port}`).join(' ')}] ${g.endpoints.map((e) => `${e.hostname ?? '-'}=${e.addresses.join(',')}${e.ready ? '' : '(not ready)'}`).join(' ')}`);
}

export function service(name: string, spec: Record<string, unknown>, namespace = 'default'): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

export interface PodFields {
  namespace?: string;
  labels?: Record<string, string>;
  ips?: string[];
  ready?: boolean;
  phase?: string;
  terminating?: boolean;
  hostname?: string;
  subdomain?: string;
  ports?: { name: string; containerPort: number; protocol?: string }[];
  owner?: { kind: string; name: string };
}

export function pod(name: string, f: PodFields = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      labels: f.labels ?? { app: 'web' },
      ...(f.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      ...(f.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: f.owner.kind, name: f.owner.name, controller: true, uid: 'u' }] } : {}),
    },
    spec: {
      ...(f.hostname ? { hostname: f.hostname } : {}),
      ...(f.subdomain ? { subdomain: f.subdomain } : {}),
      containers: [{ name: 'c', image: 'x', ports: f.ports ?? [] }],
    },
    status: {
      phase: f.phase ?? 'Running',
      podIPs: (f.ips ?? []).map((ip) => ({ ip })),
      conditions: [{ type: 'Ready', status: f.ready === false ? 'False' : 'True' }],
    },
  };
}

export function workload(kind: 'StatefulSet' | 'Deployment' | 'ReplicaSet', name: string, spec: { replicas?: number; labels?: Record<string, string>; serviceName?: string; ports?: { name: string; containerPort: number }[]; namespace?: string; owner?: { kind: string; name: string } }): object {
  const labels = spec.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: spec.namespace ?? 'default', ...(spec.owner ? { ownerReferences: [{ kind: spec.owner.kind, name: spec.owner.name, controller: true }] } : {}) },
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      ...(spec.serviceName ? { serviceName: spec.serviceName } : {}),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'x', ports: spec.ports ?? [] }] } },
    },
  };
}
