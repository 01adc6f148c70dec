/**
 * What the heap holds: the built CLI loads the storm's large cluster (scripts/event-storm.ts's
 * shape: 10,000 ClusterIP services, 1,000 headless × 20 endpoints, 400 namespaces) from the
 * in-process fake API or from one kubectl-style JSON List file, then writes a heap snapshot
 * (`--heapsnapshot-signal`, which collects garbage first) and this prints RSS, the heap totals and
 * the biggest holders by constructor (count, self size), plus what the live maps' values are.
 * Run: npm run build && npx vite-node scripts/heap-census.ts   (CENSUS_FROM=api|file, CENSUS_TOP=30,
 * CENSUS_SERVICES, CENSUS_HEADLESS, CENSUS_ENDPOINTS, CENSUS_NAMESPACES, CENSUS_ARGS: extra CLI flags)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryUdp } from '../test/helpers/dns-client.js';
import { startFakeKubeApi } from '../test/helpers/fake-kube-api.js';
import { pollUntil, writeFakeKubeconfig } from './lib/fake-api-cli.js';
import { endpointSlice, namespace, service } from '../test/helpers/kube-objects.js';

const FROM = process.env.CENSUS_FROM ?? 'api';
const TOP = Number(process.env.CENSUS_TOP ?? 30);
const SERVICES = Number(process.env.CENSUS_SERVICES ?? 10_000);
const HEADLESS = Number(process.env.CENSUS_HEADLESS ?? 1_000);
const ENDPOINTS = Number(process.env.CENSUS_ENDPOINTS ?? 20);
const NAMESPACES = Number(process.env.CENSUS_NAMESPACES ?? 400);
const EXTRA = (process.env.CENSUS_ARGS ?? '').split(' ').filter(Boolean);
const TOKEN = 'census-token';

const nsOf = (i: number) => `ns-${i % NAMESPACES}`;
const clusterIp = (i: number) => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const endpointIp = (h: number, e: number) => `10.128.${(h >> 2) & 255}.${((h & 3) << 6) | e}`;

/** The cluster as [resource, kind, apiVersion, object] rows. */
function cluster(): [string, string, string, Record<string, unknown>][] {
  const rows: [string, string, string, Record<string, unknown>][] = [];
  for (let n = 0; n < NAMESPACES; n++) rows.push(['namespaces', 'Namespace', 'v1', namespace(`ns-${n}`)]);
  for (let i = 0; i < SERVICES; i++) rows.push(['services', 'Service', 'v1', service(nsOf(i), `svc-${i}`, clusterIp(i))]);
  for (let h = 0; h < HEADLESS; h++) {
    rows.push(['services', 'Service', 'v1', service(nsOf(h), `hl-${h}`, 'None')]);
    const ips = Array.from({ length: ENDPOINTS }, (_, e) => endpointIp(h, e));
    rows.push(['endpointslices', 'EndpointSlice', 'discovery.k8s.io/v1', endpointSlice(nsOf(h), `hl-${h}`, `hl-${h}-a`, ips)]);
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-census-'));
mkdirSync(join(dir, 'zones'));
const api = FROM === 'api' ? await startFakeKubeApi({ tokens: [TOKEN] }) : undefined;
const args = ['--heapsnapshot-signal=SIGUSR2', join(process.cwd(), 'dist/main.js'), '--zones', join(dir, 'zones'), '--upstream', 'none', '--port', '0', '--http', '127.0.0.1:0', '--shutdown-grace', '0', '--watch', 'false', ...EXTRA];
if (api) {
  for (const [resource, , , object] of cluster()) api.put(resource, object);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFakeKubeconfig(kubeconfig, api, TOKEN);
  args.push('--kubeconfig', kubeconfig);
} else {
  const items = cluster().map(([, kind, apiVersion, object]) => ({ apiVersion, kind, ...object }));
  writeFileSync(join(dir, 'zones', 'cluster.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
}

const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-100_000)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = <T>(check: () => Promise<T | undefined> | T | undefined, what: string) => pollUntil(check, what, () => stderr, 300_000, 20);
const rssMiB = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

/**
 * Self size and count per kind of node of a .heapsnapshot: a plain object by its property names
 * (`Object{address,name,ttl,type}`), an internal array or string by what holds it
 * (`(array) Map.table`), anything else by constructor or type.
 */
function census(file: string) {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const { node_fields: fields, edge_fields: edgeFields } = snap.snapshot.meta;
  const types = snap.snapshot.meta.node_types[0];
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const width = fields.length;
  const edgeWidth = edgeFields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) => fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f)) as [number, number, number];
  const count = snap.nodes.length / width;
  const typeOf = (n: number) => types[snap.nodes[n * width + typeAt]!]!;
  const nameOf = (n: number) => snap.strings[snap.nodes[n * width + nameAt]!]!;
  // Each node's label; plain objects get their property names, found on their edges.
  const label: string[] = new Array<string>(count);
  const holder = new Int32Array(count).fill(-1);
  const holderEdge: string[] = new Array<string>(count);
  let edge = 0;
  for (let n = 0; n < count; n++) {
    const type = typeOf(n);
    const props: string[] = [];
    const edges = snap.nodes[n * width + edgeCountAt]!;
    for (let k = 0; k < edges; k++, edge += edgeWidth) {
      const edgeType = edgeTypes[snap.edges[edge + edgeTypeAt]!]!;
      const to = snap.edges[edge + edgeToAt]! / width;
      const edgeName = edgeType === 'element' || edgeType === 'hidden' ? String(snap.edges[edge + edgeNameAt]) : snap.strings[snap.edges[edge + edgeNameAt]!]!;
      if (edgeType === 'property' && type === 'object') props.push(edgeName);
      if (holder[to] === -1 && edgeType !== 'weak' && typeOf(n) !== 'synthetic') {
        holder[to] = n;
        holderEdge[to] = edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : edgeName;
      }
    }
    label[n] = type === 'object' ? (nameOf(n) === 'Object' ? `Object{${props.sort().slice(0, 8).join(',')}}` : nameOf(n)) : type === 'closure' ? `closure ${nameOf(n)}` : `(${type})`;
  }
  const byName = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let n = 0; n < count; n++) {
    const bytes = snap.nodes[n * width + sizeAt]!;
    total += bytes;
    let name = label[n]!;
    if (name.startsWith('(') && holder[n] !== -1) name += ` in ${label[holder[n]!]!.slice(0, 60)}.${holderEdge[n]}`;
    const entry = byName.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += bytes;
    byName.set(name, entry);
  }
  return { total, rows: [...byName].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP) };
}

try {
  const port = await until(() => (/"msg":"listening"/.test(stderr) ? Number(/"udp":\{[^}]*"port":(\d+)/.exec(stderr)![1]) : undefined), 'listening');
  const lastName = `hl-${HEADLESS - 1}.${nsOf(HEADLESS - 1)}.svc.cluster.local`;
  await until(async () => {
    try {
      return (await queryUdp(port, lastName, 'A')).answer.length === ENDPOINTS ? true : undefined;
    } catch {
      return undefined;
    }
  }, 'the sync');
  // CENSUS_WAIT_MS after the last name answers (default 2000): V8's memory reducer gives pages back a few seconds after allocation calms.
  await sleep(Number(process.env.CENSUS_WAIT_MS ?? 2000));
  const rssAfterSync = rssMiB();
  // The process's own view before the snapshot's collection: heap committed and used, per space.
  const http = Number(/"http":\{[^}]*"port":(\d+)/.exec(stderr)![1]);
  const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const mib = (re: RegExp) => Math.round(Number(re.exec(metrics)?.[1] ?? NaN) / 2 ** 20);
  const spaces = [...metrics.matchAll(/^nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/gm)].map(([, space, bytes]) => `${space} ${Math.round(Number(bytes) / 2 ** 20)}`);
  console.log(`heap committed ${mib(/^nodejs_heap_size_total_bytes (\S+)/m)} MiB, used ${mib(/^nodejs_heap_size_used_bytes (\S+)/m)} MiB, external ${mib(/^nodejs_external_memory_bytes (\S+)/m)} MiB; used per space (MiB): ${spaces.join(', ')}`);
  child.kill('SIGUSR2');
  const file = await until(() => {
    const found = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    return found && statSync(join(dir, found)).size > 0 ? join(dir, found) : undefined;
  }, 'the heap snapshot');
  // The snapshot is written in pieces: wait until its size settles.
  let size = -1;
  while (statSync(file).size !== size) {
    size = statSync(file).size;
    await sleep(1000);
  }
  const rssAtSnapshot = rssMiB();
  const { total, rows } = census(file);
  console.log(`from ${FROM}: RSS after sync ${rssAfterSync} MiB (at snapshot ${rssAtSnapshot} MiB); live heap ${(total / 2 ** 20).toFixed(1)} MiB`);
  console.log('count'.padStart(10), 'self MiB'.padStart(9), ' name');
  for (const [name, { count, bytes }] of rows) console.log(String(count).padStart(10), (bytes / 2 ** 20).toFixed(2).padStart(9), '', name);
} finally {
  child.kill('SIGTERM');
  await api?.close();
  if (process.env.CENSUS_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
