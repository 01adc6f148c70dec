import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { convertRegistryObjects, convertRegistryText } from '../../../src/sources/registry-documents.js';
import { readZoneFile, readZones } from '../../../src/sources/zones-reader.js';

const origin = (line: number, file = 'f.yaml') => ({ file, line });

describe('Kubernetes manifests', () => {
  it('reduces a Service, EndpointSlice, Endpoints, Pod and Namespace to the slim model', () => {
    const text = [
      'apiVersion: v1', 'kind: Namespace', 'metadata: {name: shop}', '---',
      'apiVersion: v1', 'kind: Service', 'metadata:', '  name: web', '  namespace: shop', '  annotations:',
      '    service.alpha.kubernetes.io/tolerate-unready-endpoints: "true"', 'spec:', '  type: LoadBalancer',
      '  clusterIP: 10.96.0.10', '  clusterIPs: [10.96.0.10, "FD00:0::10"]', '  ports:', '  - {name: HTTP, port: 80, targetPort: 8080}', '  - {port: 53, protocol: UDP}', '---',
      'apiVersion: discovery.k8s.io/v1', 'kind: EndpointSlice', 'metadata:', '  name: web-1', '  namespace: shop', '  labels: {kubernetes.io/service-name: web}',
      'addressType: IPv4', 'endpoints:', '- addresses: [10.244.0.1]', '  hostname: w-0', '- addresses: [10.244.0.2]', '  conditions: {ready: false}', 'ports:', '- {name: http, port: 8080, protocol: TCP}', '---',
      'apiVersion: v1', 'kind: Endpoints', 'metadata: {name: web, namespace: shop}', 'subsets:', '- addresses: [{ip: 10.244.0.3, hostname: e-3}]', '  notReadyAddresses: [{ip: 10.244.0.4}]', '  ports: [{name: http, port: 8080}]', '---',
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: p, namespace: shop}', 'status: {podIP: 10.244.0.1, podIPs: [{ip: 10.244.0.1}, {ip: "fd00::1"}]}',
    ].join('\n');
    const { input, diagnostics } = convertRegistryText('f.yaml', text);
    expect(diagnostics).toEqual([]);
    expect(input).toEqual({
      namespaces: [{ name: 'shop', origin: origin(1) }],
      services: [{
        namespace: 'shop', name: 'web', kind: 'ClusterIP', clusterIPs: ['10.96.0.10', 'fd00::10'], externalName: undefined,
        ports: [{ name: 'http', protocol: 'tcp', port: 80, targetPort: 8080 }, { name: undefined, protocol: 'udp', port: 53 }], publishNotReadyAddresses: true, origin: origin(5),
      }],
      endpointGroups: [
        { namespace: 'shop', service: 'web', source: 'EndpointSlice', ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
          endpoints: [{ addresses: ['10.244.0.1'], hostname: 'w-0', ready: true }, { addresses: ['10.244.0.2'], hostname: undefined, ready: false }], origin: origin(20) },
        { namespace: 'shop', service: 'web', source: 'Endpoints', ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
          endpoints: [{ addresses: ['10.244.0.3'], hostname: 'e-3', ready: true }, { addresses: ['10.244.0.4'], hostname: undefined, ready: false }], origin: origin(39) },
      ],
      pods: [{ namespace: 'shop', name: 'p', ips: ['10.244.0.1', 'fd00::1'], origin: origin(43), labels: {}, ready: true, terminating: false, containerPorts: [] }],
      workloads: [],
      // A LoadBalancer also publishes hostnames (build-host-index.ts): none written, no status.
      hostObjects: [{ kind: 'Service', namespace: 'shop', name: 'web', hostnames: [], targets: undefined, createdAt: undefined, origin: { file: 'f.yaml', line: 5 } }],
    });
  });

  it('reads headless and ExternalName services, List wrappers and workloads', async () => {
    const result = await readZoneFile('test/fixtures/kubectl-get-all.yaml');
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.input.workloads?.map((w) => [w.kind, w.name, w.replicas])).toEqual([['Deployment', 'api', 2], ['ReplicaSet', 'api-5d9f', 2], ['ReplicaSet', 'api-6a1b', 0]]);
    expect(result.input.services.map((s) => [s.namespace, s.name, s.kind, s.clusterIPs])).toEqual([['team-a', 'api', 'ClusterIP', ['10.96.5.5']]]);
    expect(result.input.endpointGroups[0]!.endpoints).toEqual([
      { addresses: ['10.244.7.1'], hostname: undefined, ready: true },
      { addresses: ['10.244.7.2'], hostname: undefined, ready: false },
    ]);
    const typed = convertRegistryObjects('api', [{ apiVersion: 'v1', kind: 'ServiceList', items: [
      { metadata: { name: 'h', namespace: 'x' }, spec: { clusterIP: 'None' } },
      { metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'Example.ORG.' } },
    ] }]);
    expect(typed.diagnostics).toEqual([]);
    expect(typed.input.services.map((s) => [s.namespace, s.name, s.kind, s.externalName])).toEqual([['x', 'h', 'Headless', undefined], ['default', 'e', 'ExternalName', 'example.org']]);
  });
});

describe('diagnostics name file, line and field', () => {
  it.each([
    ['test/fixtures/broken/bad-ip.yaml', ['test/fixtures/broken/bad-ip.yaml:8: spec.clusterIP: "10.96.0.300" is not an IP address']],
    ['test/fixtures/broken/unknown-key.yaml', ['test/fixtures/broken/unknown-key.yaml:5: services.web.prots: unknown field (did you mean ports?)']],
    ['test/fixtures/broken/bad.json', ['test/fixtures/broken/bad.json:5: spec.ports[0].port: 99999 is not a port number (1-65535)']],
  ])('%s', async (file, expected) => {
    const result = await readZoneFile(file);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual(expected);
  });

  it('reports YAML syntax errors with their line', async () => {
    const result = await readZoneFile('test/fixtures/broken/syntax.yaml');
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics[0]).toMatchObject({ severity: 'error', file: 'test/fixtures/broken/syntax.yaml', line: 5 });
    expect(result.diagnostics[0]!.message).toMatch(/^invalid YAML: /);
  });

  // Unexpanded, this file would be 9^8 strings; the alias cap stops it (a hang fails by test timeout).
  it('stops an alias bomb with a diagnostic', async () => {
    const result = await readZoneFile('test/fixtures/broken/billion-laughs.yaml');
    // The fixture has two services beside the bomb: none of them may load.
    expect(result.input.services).toEqual([]);
    expect(result.input.namespaces).toEqual([]);
    expect(result.diagnostics.map((d) => [d.severity, d.file, d.message])).toEqual([
      ['error', 'test/fixtures/broken/billion-laughs.yaml', expect.stringMatching(/^invalid YAML: .*alias/i)],
    ]);
  });

  it('validates native fields', () => {
    const { diagnostics } = convertRegistryText('n.yaml', [
      'namespace: Shop_1',
    ].join('\n'));
    expect(diagnostics.map(formatDiagnostic)).toEqual(['n.yaml:1: namespace: "Shop_1" is not a valid namespace (RFC 1123 label: a-z, 0-9 and "-", at most 63 characters)']);
    const more = convertRegistryText('n.yaml', [
      'namespace: shop', 'services:', '  a: {clusterIP: 10.0.0.1, headless: true}', '  b: {ports: [http:80]}', '  c: {clusterIP: 10.0.0.2, ports: ["http:eighty"]}',
      '  d: {headless: true, endpoints: ["x=10.0.0.999"]}', 'pods:', '  p: nonsense',
    ].join('\n'));
    expect(more.diagnostics.map(formatDiagnostic)).toEqual([
      'n.yaml:3: services.a: give exactly one of clusterIP/clusterIPs, headless: true, or externalName',
      'n.yaml:4: services.b: needs clusterIP (or clusterIPs), headless: true, or externalName',
      'n.yaml:5: services.c.ports[0]: "http:eighty" is not a port (name:port[->targetPort][/protocol], e.g. http:80 or dns:53/udp)',
      'n.yaml:6: services.d.endpoints[0].ip: "10.0.0.999" is not an IP address',
      'n.yaml:8: pods.p: "nonsense" is not an IP address',
    ]);
    expect(more.input.services).toEqual([]);
  });
});

describe('zones/', () => {
  it('every shipped file loads with no errors and no warnings', async () => {
    const results = await readZones(['zones']);
    expect(results.map((r) => r.file)).toEqual(readdirSync('zones').filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => `zones/${f}`).sort());
    for (const r of results) expect(r.diagnostics.map(formatDiagnostic), r.file).toEqual([]);
  });

  it('reports a missing path instead of throwing', async () => {
    const results = await readZones(['does-not-exist']);
    expect(results.map((r) => r.diagnostics.map(formatDiagnostic))).toEqual([['does-not-exist:0: no such file or directory']]);
  });
});

describe('the two formats are one registry', () => {
  it('native and manifest versions of the same cluster build identical names, reverse entries and pods', async () => {
    const options = { clusterDomain: 'cluster.local', ttl: 5, serial: 1 };
    const [native] = await readZones(['test/fixtures/equivalence/native.yaml']);
    const [manifests] = await readZones(['test/fixtures/equivalence/manifests.yaml']);
    expect(native!.diagnostics).toEqual([]);
    expect(manifests!.diagnostics).toEqual([]);
    const a = buildRegistry([native!.input], options).registry;
    const b = buildRegistry([manifests!.input], options).registry;
    expect([...a.names.entries()].sort()).toEqual([...b.names.entries()].sort());
    expect([...a.reverse.entries()].sort()).toEqual([...b.reverse.entries()].sort());
    expect(a.podIps).toEqual(b.podIps);
    expect(a.namespaces).toEqual(b.namespaces);
    expect(a.services).toEqual(b.services);
    expect(a.names.size).toBeGreaterThan(10);
  });
});
