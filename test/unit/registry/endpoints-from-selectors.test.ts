import { describe, expect, it } from 'vitest';
import { derive, groupText, pod, service } from './derive-helpers.js';

const headless = (spec: Record<string, unknown> = {}) => service('web', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }], ...spec });

describe('endpoints from selectors', () => {
  it.each<[string, object[], string[]]>([
    ['every label of the selector must match, in the same namespace only', [
      headless({ selector: { app: 'web', tier: 'front' } }),
      pod('a', { labels: { app: 'web', tier: 'front', extra: 'x' }, ips: ['10.244.0.1'] }),
      pod('b', { labels: { app: 'web' }, ips: ['10.244.0.2'] }),
      pod('c', { labels: { app: 'web', tier: 'front' }, ips: ['10.244.0.3'], namespace: 'other' }),
    ], ['default/web [http/tcp/80] -=10.244.0.1']],
    ['ready from the Ready condition; a not-ready Pod is a not-ready endpoint', [
      headless(),
      pod('a', { ips: ['10.244.0.1'] }),
      pod('b', { ips: ['10.244.0.2'], ready: false }),
    ], ['default/web [http/tcp/80] -=10.244.0.1 -=10.244.0.2(not ready)']],
    ['terminating, Succeeded and Failed Pods and Pods without an address are left out', [
      headless(),
      pod('a', { ips: ['10.244.0.1'] }),
      pod('b', { ips: ['10.244.0.2'], terminating: true }),
      pod('c', { ips: ['10.244.0.3'], phase: 'Succeeded' }),
      pod('d', { ips: ['10.244.0.4'], phase: 'Failed' }),
      pod('e', { ips: [] }),
    ], ['default/web [http/tcp/80] -=10.244.0.1']],
    ['publishNotReadyAddresses keeps terminating Pods (still never Succeeded/Failed)', [
      headless({ publishNotReadyAddresses: true }),
      pod('a', { ips: ['10.244.0.1'], ready: false }),
      pod('b', { ips: ['10.244.0.2'], terminating: true }),
      pod('c', { ips: ['10.244.0.3'], phase: 'Failed' }),
    ], ['default/web [http/tcp/80] -=10.244.0.1(not ready) -=10.244.0.2(not ready)']],
    ['every podIPs address of a dual-stack Pod for a headless Service', [
      headless(),
      pod('a', { ips: ['10.244.0.1', 'fd00:10:244::1'] }),
    ], ['default/web [http/tcp/80] -=10.244.0.1,fd00:10:244::1']],
    ['only the Service\'s families when ipFamilies says so', [
      headless({ ipFamilies: ['IPv6'] }),
      pod('a', { ips: ['10.244.0.1', 'fd00:10:244::1'] }),
    ], ['default/web [http/tcp/80] -=fd00:10:244::1']],
    ['a named targetPort resolves per Pod; a Pod without it is left out of that port', [
      service('web', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090, targetPort: 9100 }] }),
      pod('a', { ips: ['10.244.0.1'], ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('b', { ips: ['10.244.0.2'], ports: [{ name: 'web', containerPort: 8081 }] }),
      pod('c', { ips: ['10.244.0.3'], ports: [{ name: 'other', containerPort: 8080 }] }),
      pod('d', { ips: ['10.244.0.4'], ports: [{ name: 'web', containerPort: 8080, protocol: 'UDP' }] }),
    ], [
      'default/web [http/tcp/8080 metrics/tcp/9100] -=10.244.0.1',
      'default/web [http/tcp/8081 metrics/tcp/9100] -=10.244.0.2',
      'default/web [metrics/tcp/9100] -=10.244.0.3 -=10.244.0.4',
    ]],
    ['hostname only when spec.subdomain names this Service', [
      headless(),
      pod('a', { ips: ['10.244.0.1'], hostname: 'web-a', subdomain: 'web' }),
      pod('b', { ips: ['10.244.0.2'], hostname: 'web-b', subdomain: 'other' }),
      pod('c', { ips: ['10.244.0.3'], hostname: 'web-c' }),
    ], ['default/web [http/tcp/80] web-a=10.244.0.1 -=10.244.0.2 -=10.244.0.3']],
    ['EndpointSlices win: nothing is derived for a Service that has them', [
      headless(),
      pod('a', { ips: ['10.244.0.1'] }),
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.9.9'] }] },
    ], []],
    ['v1 Endpoints win too', [
      headless(),
      pod('a', { ips: ['10.244.0.1'] }),
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.244.9.9' }] }] },
    ], []],
    ['no selector (or an empty one): nothing derived', [
      service('web', { clusterIP: 'None', selector: {} }),
      pod('a', { ips: ['10.244.0.1'] }),
    ], []],
  ])('%s', (_, objects, expected) => {
    expect(groupText(derive(objects).groups)).toEqual(expected);
  });

  it('is the same whatever order the Pods come in', () => {
    const pods = ['a', 'b', 'c', 'd'].map((n, i) => pod(n, { ips: [`10.244.0.${i + 1}`] }));
    expect(groupText(derive([headless(), ...pods]).groups)).toEqual(groupText(derive([...pods].reverse().concat(headless())).groups));
  });

  it('uses the family of a ClusterIP service\'s (allocated) address', () => {
    const result = derive([service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }), pod('a', { ips: ['10.244.0.1', 'fd00:10:244::1'] })]);
    expect(groupText(result.groups)).toEqual(['default/web [http/tcp/80] -=10.244.0.1']);
  });

  it('warns about a headless service whose selector matches nothing, naming the labels that are there', () => {
    const result = derive([headless({ selector: { app: 'wbe' } }), pod('a', { ips: ['10.244.0.1'] }), pod('b', { ips: ['10.244.0.2'], labels: { app: 'db' } })]);
    expect(result.groups).toEqual([]);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.field}: ${d.message}`)).toEqual([
      'warning spec.selector: headless service "web" selects app=wbe, which no Pod or workload in namespace "default" has: it has no endpoints and its names are NXDOMAIN; Pods there have app=db, app=web',
    ]);
    expect(derive([headless(), pod('a', { ips: ['10.244.0.1'] })]).diagnostics).toEqual([]);
  });

  it('warns about a named targetPort no selected Pod declares, listing the ports they do', () => {
    const web = (targetPort: string) => service('web', { clusterIP: '10.96.0.5', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort }] });
    const pods = [pod('a', { ips: ['10.244.0.1'], ports: [{ name: 'http-web', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] })];
    const result = derive([web('htp'), ...pods]);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}: ${d.severity}: ${d.field}: ${d.message}`)).toEqual([
      'f.yaml:1: warning: spec.ports[0].targetPort: "htp" names no TCP container port of the 1 Pod(s) service "web" selects (they declare http-web, metrics): that port gets no endpoints',
    ]);
    expect(groupText(result.groups)).toEqual(['default/web [] -=10.244.0.1']);
    // The right name resolves, and a selector that matches nothing is not this warning's business.
    expect(derive([web('http-web'), ...pods]).diagnostics).toEqual([]);
    expect(derive([service('web', { clusterIP: '10.96.0.5', selector: { app: 'none' }, ports: [{ port: 80, targetPort: 'htp' }] }), ...pods]).diagnostics).toEqual([]);
  });
});
