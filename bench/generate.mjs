// Generates benchmark registries (small and large) as kubectl-style manifests (YAML and JSON) and in
// the native format, plus dnsperf query files, into bench/.work/.
import { mkdirSync, writeFileSync } from 'node:fs';

export const SIZES = {
  small: { namespaces: 5, clusterIP: 100, headless: 5, endpointsPerHeadless: 5, externalName: 5 },
  large: { namespaces: 400, clusterIP: 10_000, headless: 1_000, endpointsPerHeadless: 20, externalName: 100 },
};

/** Deterministic pseudo-random numbers, so every run generates the same cluster. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function generateCluster(size) {
  const n = SIZES[size];
  const random = rng(42);
  const namespaces = Array.from({ length: n.namespaces }, (_, i) => `ns-${i}`);
  const services = [];
  for (let i = 0; i < n.clusterIP; i++) {
    const ports = ['http', 'grpc', 'metrics'].slice(0, 1 + Math.floor(random() * 3)).map((name, j) => ({ name, port: 8000 + j }));
    services.push({ kind: 'ClusterIP', name: `svc-${i}`, namespace: namespaces[i % n.namespaces], ip: `10.${96 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`, ports });
  }
  for (let i = 0; i < n.headless; i++) {
    const endpoints = Array.from({ length: n.endpointsPerHeadless }, (_, j) => ({ hostname: `pod-${j}`, ip: `10.${200 + Math.floor(i / 256)}.${i % 256}.${j + 1}` }));
    services.push({ kind: 'Headless', name: `hl-${i}`, namespace: namespaces[i % n.namespaces], ports: [{ name: 'peer', port: 7000 }], endpoints });
  }
  for (let i = 0; i < n.externalName; i++) {
    services.push({ kind: 'ExternalName', name: `ext-${i}`, namespace: namespaces[i % n.namespaces], target: `ext-${i}.example.org` });
  }
  return { namespaces, services };
}

export function toManifests(cluster) {
  const items = cluster.namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  for (const s of cluster.services) {
    const metadata = { name: s.name, namespace: s.namespace };
    if (s.kind === 'ClusterIP') {
      items.push({ apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ClusterIP', clusterIP: s.ip, clusterIPs: [s.ip], ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP', targetPort: p.port })) } });
    } else if (s.kind === 'Headless') {
      items.push({ apiVersion: 'v1', kind: 'Service', metadata, spec: { clusterIP: 'None', clusterIPs: ['None'], ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP', targetPort: p.port })) } });
      items.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${s.name}-abcde`, namespace: s.namespace, labels: { 'kubernetes.io/service-name': s.name } },
        addressType: 'IPv4',
        endpoints: s.endpoints.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: true, serving: true, terminating: false } })),
        ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP' })),
      });
    } else {
      items.push({ apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ExternalName', externalName: s.target } });
    }
  }
  return { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
}

/** Block-style YAML as kubectl prints it (a tiny emitter for these plain objects). */
export function toYaml(value, indent = '') {
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []\n';
    return `\n${value.map((v) => `${indent}-${typeof v === 'object' ? toYaml(v, `${indent}  `).replace(/^\n\s*/, ' ') : ` ${scalar(v)}\n`}`).join('')}`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return ' {}\n';
    return `\n${entries.map(([k, v]) => `${indent}${k}:${typeof v === 'object' && v !== null ? toYaml(v, `${indent}  `) : ` ${scalar(v)}\n`}`).join('')}`;
  }
  return ` ${scalar(value)}\n`;
}
function scalar(v) {
  if (typeof v === 'string' && (v === '' || /^[\d.]+$/.test(v) || /[:#{}[\],&*?|<>=!%@`'"]/.test(v) || v === 'None')) return JSON.stringify(v);
  return String(v);
}

export function toNative(cluster) {
  const byNs = new Map(cluster.namespaces.map((ns) => [ns, []]));
  for (const s of cluster.services) byNs.get(s.namespace).push(s);
  const docs = [];
  for (const [ns, list] of byNs) {
    const lines = [`namespace: ${ns}`, 'services:'];
    for (const s of list) {
      if (s.kind === 'ClusterIP') lines.push(`  ${s.name}: { clusterIP: ${s.ip}, ports: [${s.ports.map((p) => `${p.name}:${p.port}`).join(', ')}] }`);
      else if (s.kind === 'Headless') lines.push(`  ${s.name}:`, '    headless: true', `    ports: [${s.ports.map((p) => `${p.name}:${p.port}`).join(', ')}]`, `    endpoints: [${s.endpoints.map((e) => `${e.hostname}=${e.ip}`).join(', ')}]`);
      else lines.push(`  ${s.name}: { externalName: ${s.target} }`);
    }
    docs.push(lines.join('\n'));
  }
  return `${docs.join('\n---\n')}\n`;
}

/** Names pods look up outside the cluster; with ndots:5 each is tried under the search path first. */
const EXTERNAL_NAMES = ['api.example.org', 'www.example.com', 'registry.example.net', 'db.example.org', 'auth.example.com', 'cdn.example.net', 'metrics.example.org', 'queue.example.com'];

/**
 * dnsperf query lines and, for every line, the answer it must get.
 * - realistic: 70 % A of existing services, 10 % AAAA (NODATA), 6 % SRV, 3 % headless A, 4 % PTR,
 *   7 % NXDOMAIN.
 * - miss-heavy: what a pod with the default `ndots:5` and search path `<ns>.svc.cluster.local
 *   svc.cluster.local cluster.local` sends: A and AAAA for every search suffix until one answers.
 *   Lookups of external names (60 %) miss three times; `svc.other-ns` short names (40 %) miss once
 *   and then hit. About 85 % of the queries are NXDOMAIN.
 */
export function queryMix(cluster, kind, count = 20_000) {
  const random = rng(7);
  const zone = 'cluster.local';
  const clusterIPs = cluster.services.filter((s) => s.kind === 'ClusterIP');
  const headless = cluster.services.filter((s) => s.kind === 'Headless');
  const pick = (list) => list[Math.floor(random() * list.length)];
  const lines = [];
  const expect = [];
  const add = (name, type, rcode, answers) => {
    lines.push(`${name} ${type}`);
    expect.push({ name, type, rcode, answers });
  };
  if (kind === 'miss-heavy') {
    while (lines.length < count) {
      const podNamespace = pick(cluster.namespaces);
      const external = random() < 0.6;
      const s = pick(clusterIPs);
      const asked = external ? pick(EXTERNAL_NAMES) : `${s.name}.${s.namespace}`;
      for (const suffix of [`${podNamespace}.svc.${zone}`, `svc.${zone}`, zone]) {
        const name = `${asked}.${suffix}`;
        const hit = !external && suffix === `svc.${zone}`;
        add(name, 'A', hit ? 0 : 3, hit ? [s.ip] : []);
        add(name, 'AAAA', hit ? 0 : 3, []);
        if (hit) break;
      }
    }
    lines.length = count;
    expect.length = count;
    return { text: `${lines.join('\n')}\n`, expect };
  }
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r >= 0.93) {
      add(`missing-${Math.floor(random() * 1e9)}.${pick(cluster.namespaces)}.svc.${zone}`, 'A', 3, []);
    } else if (r < 0.7) {
      const s = pick(clusterIPs);
      add(`${s.name}.${s.namespace}.svc.${zone}`, 'A', 0, [s.ip]);
    } else if (r < 0.8) {
      const s = pick(clusterIPs);
      add(`${s.name}.${s.namespace}.svc.${zone}`, 'AAAA', 0, []);
    } else if (r < 0.86) {
      const s = pick(clusterIPs);
      add(`_${s.ports[0].name}._tcp.${s.name}.${s.namespace}.svc.${zone}`, 'SRV', 0, [`0 100 ${s.ports[0].port} ${s.name}.${s.namespace}.svc.${zone}.`]);
    } else if (r < 0.89) {
      const s = pick(headless);
      add(`${s.name}.${s.namespace}.svc.${zone}`, 'A', 0, s.endpoints.map((e) => e.ip));
    } else {
      const s = pick(clusterIPs);
      add(`${s.ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR', 0, [`${s.name}.${s.namespace}.svc.${zone}.`]);
    }
  }
  return { text: `${lines.join('\n')}\n`, expect };
}

export function writeBenchFiles(dir) {
  mkdirSync(dir, { recursive: true });
  const out = {};
  for (const size of Object.keys(SIZES)) {
    const cluster = generateCluster(size);
    const manifests = toManifests(cluster);
    const files = {
      json: `${dir}/${size}-manifests.json`,
      yaml: `${dir}/${size}-manifests.yaml`,
      native: `${dir}/${size}-native.yaml`,
    };
    writeFileSync(files.json, JSON.stringify(manifests, null, 2));
    writeFileSync(files.yaml, `apiVersion: v1\nitems:${toYaml(manifests.items)}kind: List\nmetadata:\n  resourceVersion: ""\n`);
    writeFileSync(files.native, toNative(cluster));
    const mixes = {};
    for (const kind of ['realistic', 'miss-heavy']) {
      const mix = queryMix(cluster, kind);
      const file = `${dir}/${size}-${kind}.queries`;
      writeFileSync(file, mix.text);
      mixes[kind] = { file, expect: mix.expect };
    }
    const last = cluster.services.filter((s) => s.kind === 'ClusterIP').at(-1);
    out[size] = { cluster, files, mixes, lastName: `${last.name}.${last.namespace}.svc.cluster.local`, lastIp: last.ip };
  }
  return out;
}

/**
 * The same List with the fields `kubectl get -o yaml` prints besides the ones DNS reads (uid,
 * resourceVersion, timestamps, last-applied annotations, selectors, status, endpoint targetRefs):
 * the large registry becomes a ~29 MB YAML dump, as the load figures of issue 12 were measured.
 */
export function withKubectlDetail(list) {
  let serial = 0;
  const uid = () => {
    const h = (serial++).toString(16).padStart(12, '0');
    return `5f0c6a2e-91d4-4b7e-8c1a-${h}`;
  };
  const appLabels = (name) => ({ app: name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${name}-1.4.2` });
  const meta = (item) => ({
    ...(item.kind === 'Service' ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { annotations: {}, labels: appLabels(item.metadata.name), name: item.metadata.name, namespace: item.metadata.namespace }, spec: { ports: item.spec.ports, selector: { app: item.metadata.name } } })}\n`, 'meta.helm.sh/release-name': item.metadata.name, 'meta.helm.sh/release-namespace': item.metadata.namespace } } : {}),
    ...(item.kind === 'EndpointSlice' ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-02T09:15:03Z' } } : {}),
    creationTimestamp: '2026-11-02T09:14:27Z',
    labels: item.kind === 'Namespace' ? { 'kubernetes.io/metadata.name': item.metadata.name } : item.kind === 'Service' ? appLabels(item.metadata.name) : { ...item.metadata.labels, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', ...appLabels(item.metadata.labels['kubernetes.io/service-name']) },
    name: item.metadata.name,
    ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}),
    resourceVersion: String(100000 + serial),
    uid: uid(),
  });
  const items = list.items.map((item) => {
    if (item.kind === 'Namespace') return { ...item, metadata: meta(item), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    if (item.kind === 'Service') {
      const spec = item.spec.type === 'ExternalName' ? { ...item.spec, sessionAffinity: 'None' }
        : { ...item.spec, internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', selector: { app: item.metadata.name }, sessionAffinity: 'None', type: 'ClusterIP' };
      return { ...item, metadata: meta(item), spec, status: { loadBalancer: {} } };
    }
    return {
      ...item,
      metadata: { ...meta(item), generateName: `${item.metadata.labels['kubernetes.io/service-name']}-`, ownerReferences: [{ apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: item.metadata.labels['kubernetes.io/service-name'], uid: uid() }] },
      endpoints: item.endpoints.map((e, i) => ({ ...e, nodeName: `node-${i % 7}`, targetRef: { kind: 'Pod', name: `${item.metadata.labels['kubernetes.io/service-name']}-${e.hostname}`, namespace: item.metadata.namespace, uid: uid() }, zone: `zone-${i % 3}`, hints: { forZones: [{ name: `zone-${i % 3}` }] } })),
    };
  });
  return { ...list, items };
}
