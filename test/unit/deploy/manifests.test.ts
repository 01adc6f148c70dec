/**
 * deploy/ checked without a cluster (kubectl cannot dry-run offline: it needs API discovery): every
 * file parses, the RBAC covers what the source lists and watches, the Deployment is hardened and
 * probed, its arguments are a valid command line, and the Service maps 53 to the container's ports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli-args.js';
import { parseRegistryText } from '../../../src/sources/yaml-documents.js';

type Obj = Record<string, any>;
const dir = 'deploy';
const objects: Obj[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => {
    const parsed = parseRegistryText(join(dir, f), readFileSync(join(dir, f), 'utf8'));
    expect(parsed.diagnostics).toEqual([]);
    return parsed.documents.map((d) => d.value as Obj);
  });
const one = (kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.length, kind).toBe(1);
  return found[0]!;
};

describe('deploy/', () => {
  it('has each object once, all in the cluster-dns namespace', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    for (const o of objects) {
      expect(typeof o.apiVersion).toBe('string');
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace).toBe('cluster-dns');
    }
  });

  it('the ClusterRole lets the service account list and watch what the source reads, and nothing more', () => {
    const role = one('ClusterRole');
    const allowed = new Set<string>();
    for (const rule of role.rules) {
      expect([...rule.verbs].sort()).toEqual(['list', 'watch']);
      for (const group of rule.apiGroups) for (const r of rule.resources) allowed.add(`${group}/${r}`);
    }
    expect([...allowed].sort()).toEqual([
      '/endpoints', '/namespaces', '/pods', '/services', 'discovery.k8s.io/endpointslices',
      'gateway.networking.k8s.io/gateways', 'gateway.networking.k8s.io/grpcroutes', 'gateway.networking.k8s.io/httproutes', 'gateway.networking.k8s.io/tlsroutes',
      'networking.k8s.io/ingresses',
    ]);
    const binding = one('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    const sa = one('ServiceAccount');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  });

  it('the Deployment runs two hardened replicas with probes and requests, and its arguments parse', () => {
    const d = one('Deployment');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
    const [c] = pod.containers;
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // Probes on their own listener (--probes), as CoreDNS keeps health and ready apart from metrics.
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'probes' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'probes' });
    // A busy node answers probes late: the 1 s default would restart or unready a replica that is only slow.
    expect([c.livenessProbe.timeoutSeconds, c.readinessProbe.timeoutSeconds]).toEqual([5, 3]);
    expect(c.resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    const line = parseCommandLine(c.args, {});
    expect(line.command).toBe('serve');
    expect(line.options).toMatchObject({ kubernetes: { mode: 'in-cluster' }, host: '0.0.0.0', port: 1053, http: '0.0.0.0:9153', probes: '0.0.0.0:8080', upstream: 'none', zones: ['/zones'] });
    const ports = Object.fromEntries(c.ports.map((p: Obj) => [p.name, p]));
    expect(ports.dns).toEqual({ name: 'dns', containerPort: 1053, protocol: 'UDP' });
    expect(ports['dns-tcp']).toEqual({ name: 'dns-tcp', containerPort: 1053, protocol: 'TCP' });
    expect(ports.metrics.containerPort).toBe(9153);
    expect(ports.probes).toEqual({ name: 'probes', containerPort: 8080, protocol: 'TCP' });
    expect(c.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/zones']);
  });

  it('the Deployment is scheduled as CoreDNS is: cluster-critical, Linux nodes, critical add-on and control-plane taints tolerated', () => {
    const pod = one('Deployment').spec.template.spec;
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toEqual([
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
  });

  it('the PodDisruptionBudget keeps a replica answering through voluntary disruptions', () => {
    const pdb = one('PodDisruptionBudget');
    const d = one('Deployment');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
    expect(pdb.spec.maxUnavailable).toBeLessThan(d.spec.replicas);
  });

  it('the Service answers on 53 over UDP and TCP and targets the container ports by name', () => {
    const s = one('Service');
    expect(s.spec.selector).toEqual(one('Deployment').spec.template.metadata.labels);
    const dns = s.spec.ports.filter((p: Obj) => p.port === 53).map((p: Obj) => [p.protocol, p.targetPort]);
    expect(dns).toEqual([
      ['UDP', 'dns'],
      ['TCP', 'dns-tcp'],
    ]);
  });
});
