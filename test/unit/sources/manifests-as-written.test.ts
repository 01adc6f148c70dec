import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { suggestKind } from '../../../src/sources/kind-suggestion.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';

const origin = (line: number) => ({ file: 'f.yaml', line });

describe('manifests as people write them for kubectl apply', () => {
  it('accepts the Kubernetes docs\' Service: a selector, a named targetPort, no clusterIP', () => {
    const { input, diagnostics } = convertRegistryText('f.yaml', [
      'apiVersion: v1', 'kind: Service', 'metadata:', '  name: my-service', 'spec:', '  selector:', '    app.kubernetes.io/name: MyApp',
      '  ipFamilyPolicy: PreferDualStack', '  ipFamilies: [IPv6, IPv4]', '  ports:',
      '    - {name: http, protocol: TCP, port: 80, targetPort: http-web}', '    - {name: metrics, port: 9090, targetPort: "9100"}',
    ].join('\n'));
    expect(diagnostics).toEqual([]);
    expect(input.services).toEqual([{
      namespace: 'default', name: 'my-service', kind: 'ClusterIP', clusterIPs: [], externalName: undefined, publishNotReadyAddresses: false, origin: origin(1),
      ports: [{ name: 'http', protocol: 'tcp', port: 80, targetPort: 'http-web' }, { name: 'metrics', protocol: 'tcp', port: 9090, targetPort: 9100 }],
      ipFamilies: [6, 4], ipFamilyPolicy: 'PreferDualStack', selector: { 'app.kubernetes.io/name': 'MyApp' },
    }]);
  });

  it('reads a Pod\'s labels, readiness, phase, deletion, hostname, subdomain, named ports and owner', () => {
    const { input, diagnostics } = convertRegistryText('f.yaml', [
      'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: db-0', '  namespace: data', '  labels: {app: db}', '  deletionTimestamp: "2026-01-01T00:00:00Z"',
      '  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true, uid: x}]',
      'spec:', '  hostname: db-0', '  subdomain: db',
      '  containers: [{name: pg, image: postgres, ports: [{name: PG, containerPort: 5432}, {containerPort: 8000}]}]',
      '  initContainers: [{name: side, restartPolicy: Always, ports: [{name: proxy, containerPort: 15001}]}, {name: init, ports: [{name: nope, containerPort: 1}]}]',
      'status:', '  phase: Running', '  conditions: [{type: Ready, status: "True"}]', '  podIPs: [{ip: 10.244.1.10}]',
    ].join('\n'));
    expect(diagnostics).toEqual([]);
    expect(input.pods).toEqual([{
      namespace: 'data', name: 'db-0', ips: ['10.244.1.10'], origin: origin(1), labels: { app: 'db' }, ready: true, phase: 'Running', terminating: true,
      hostname: 'db-0', subdomain: 'db', owner: { kind: 'StatefulSet', name: 'db' },
      containerPorts: [{ name: 'pg', protocol: 'tcp', port: 5432 }, { name: 'proxy', protocol: 'tcp', port: 15001 }],
    }]);
  });

  it('reads StatefulSet, Deployment and ReplicaSet: replicas (default 1), selector, template labels and ports, serviceName', () => {
    const { input, diagnostics } = convertRegistryText('f.yaml', [
      'apiVersion: apps/v1', 'kind: StatefulSet', 'metadata: {name: db}', 'spec:', '  serviceName: db', '  replicas: 3',
      '  selector: {matchLabels: {app: db}, matchExpressions: [{key: tier, operator: In, values: [data]}]}',
      '  template:', '    metadata: {labels: {app: db, tier: data}}', '    spec: {containers: [{name: pg, image: postgres, ports: [{name: pg, containerPort: 5432}]}]}', '---',
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}', 'spec:', '  selector: {matchLabels: {app: web}}', '  template: {metadata: {labels: {app: web}}}',
    ].join('\n'));
    expect(diagnostics).toEqual([]);
    expect(input.workloads).toEqual([
      {
        kind: 'StatefulSet', namespace: 'default', name: 'db', replicas: 3, serviceName: 'db', owner: undefined, origin: origin(1),
        selector: { matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['data'] }] },
        template: { labels: { app: 'db', tier: 'data' }, hostname: undefined, subdomain: undefined, containerPorts: [{ name: 'pg', protocol: 'tcp', port: 5432 }] },
      },
      {
        kind: 'Deployment', namespace: 'default', name: 'web', replicas: 1, serviceName: undefined, owner: undefined, origin: origin(12),
        selector: { matchLabels: { app: 'web' }, matchExpressions: [] },
        template: { labels: { app: 'web' }, hostname: undefined, subdomain: undefined, containerPorts: [] },
      },
    ]);
  });

  it('names the field of a bad manifest and keeps its neighbours', () => {
    const { input, diagnostics } = convertRegistryText('f.yaml', [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: a}', 'spec:', '  selector: {version: 1}', '  ipFamilyPolicy: DualStack', '---',
      'apiVersion: apps/v1', 'kind: StatefulSet', 'metadata: {name: b}', 'spec:', '  replicas: -1', '---',
      'apiVersion: v1', 'kind: Service', 'metadata: {name: ok}', 'spec: {ports: [{port: 80, targetPort: "not a name"}]}', '---',
      'apiVersion: v1', 'kind: Service', 'metadata: {name: fine}', 'spec: {selector: {app: x}}',
    ].join('\n'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'f.yaml:6: spec.ipFamilyPolicy: "DualStack" is not one of SingleStack, PreferDualStack, RequireDualStack',
      'f.yaml:5: spec.selector.version: label values must be strings (quote 1)',
      'f.yaml:12: spec.replicas: -1 is not a number of replicas (0 or more)',
      'f.yaml:17: spec.ports[0].targetPort: "not a name" is not a valid port name (RFC 6335: a-z, 0-9 and "-", at most 15 characters)',
    ]);
    expect(input.services.map((s) => s.name)).toEqual(['fine']);
  });

  it('skips DaemonSet and Job with one warning each, saying why', () => {
    const doc = (kind: string, name: string) => ['apiVersion: apps/v1', `kind: ${kind}`, `metadata: {name: ${name}}`, 'spec: {}'];
    const { diagnostics } = convertRegistryText('f.yaml', [...doc('DaemonSet', 'a'), '---', ...doc('DaemonSet', 'b'), '---', ...doc('Job', 'c')].join('\n'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'f.yaml:2: warning: kind: DaemonSet is not simulated (a DaemonSet runs one Pod per node, and there are no nodes here; list its Pods to serve them); skipped (further DaemonSet objects in this file are skipped silently)',
      'f.yaml:12: warning: kind: Job is not simulated (a Job\'s Pods run to completion; list its Pods to serve them); skipped (further Job objects in this file are skipped silently)',
    ]);
    expect(diagnostics.some((d) => d.likelyTypo)).toBe(false);
  });
});

describe('unknown kinds: did you mean …?', () => {
  it.each<[string, string | undefined]>([
    ['Servce', 'Service'],
    ['service', 'Service'],
    ['Sevrice', 'Service'],
    ['Deploymnet', 'Deployment'],
    ['statefulset', 'StatefulSet'],
    ['StatefullSet', 'StatefulSet'],
    ['Endpoint', 'Endpoints'],
    ['EndpointSlices', 'EndpointSlice'],
    ['Pdo', 'Pod'],
    ['Node', undefined],
    ['Secret', undefined],
    ['ConfigMap', undefined],
    ['DaemonSet', undefined],
    ['Widget', undefined],
    ['ServiceMonitor', undefined],
    ['PodMonitor', undefined],
    ['Service', undefined],
  ])('%s → %s', (kind, suggestion) => {
    expect(suggestKind(kind)).toBe(suggestion);
  });

  it('warns once, marked as a likely typo, and skips the object', () => {
    const { input, diagnostics } = convertRegistryText('f.yaml', ['apiVersion: v1', 'kind: Servce', 'metadata: {name: web}', 'spec: {clusterIP: 10.96.0.10}'].join('\n'));
    expect(diagnostics).toEqual([{ severity: 'warning', file: 'f.yaml', line: 2, field: 'kind', message: 'unknown kind "Servce": did you mean Service? (skipped)', likelyTypo: true }]);
    expect(input.services).toEqual([]);
  });
});
