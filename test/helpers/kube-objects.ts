/** Kubernetes objects as the API stores them (no kind: the fake API adds it), for fake-API tests. */

export function namespace(name: string): Record<string, unknown> {
  return { metadata: { name } };
}

export function service(ns: string, name: string, clusterIP: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    metadata: { name, namespace: ns, labels },
    spec: { type: clusterIP === 'None' ? 'ClusterIP' : 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
  };
}

export function endpointSlice(ns: string, svc: string, name: string, ips: readonly string[], labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc, ...labels } },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpoints: ips.map((ip, i) => ({ addresses: [ip], hostname: `${svc}-${i}`, conditions: { ready: true } })),
  };
}

export function pod(ns: string, name: string, ip: string): Record<string, unknown> {
  return { metadata: { name, namespace: ns }, status: { podIP: ip, podIPs: [{ ip }] } };
}
