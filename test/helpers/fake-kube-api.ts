/**
 * An in-process Kubernetes API server over HTTPS (test CA) that speaks the real wire protocol for
 * the resources DNS uses: paged JSON lists (limit/continue, a snapshot resourceVersion, items without
 * kind/apiVersion), chunked watch streams (ADDED/MODIFIED/DELETED/BOOKMARK, one JSON per line),
 * compaction (ERROR event with a 410 Status, or HTTP 410), bearer tokens and client certificates,
 * and injected faults: error statuses, reset connections, streams closed or left half-open.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { testPki } from './test-pki.js';

type Obj = Record<string, any>;

interface ResourceInfo {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

const RESOURCES: Record<string, ResourceInfo> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  services: { kind: 'Service', apiVersion: 'v1', namespaced: true },
  endpoints: { kind: 'Endpoints', apiVersion: 'v1', namespaced: true },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', namespaced: true },
  ingresses: { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', namespaced: true },
  gateways: { kind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1', namespaced: true },
  httproutes: { kind: 'HTTPRoute', apiVersion: 'gateway.networking.k8s.io/v1', namespaced: true },
  grpcroutes: { kind: 'GRPCRoute', apiVersion: 'gateway.networking.k8s.io/v1', namespaced: true },
};

/** The API group version (after /apis/) each non-core resource is served under. */
const GROUP_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  'discovery.k8s.io/v1': ['endpointslices'],
  'networking.k8s.io/v1': ['ingresses'],
  'gateway.networking.k8s.io/v1': ['gateways', 'httproutes', 'grpcroutes'],
};

export interface RequestRecord {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly watch: boolean;
  readonly resource: string | undefined;
  status: number;
}

interface Watcher {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly selector: string | undefined;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
  readonly timer: NodeJS.Timeout | undefined;
}

interface Fault {
  readonly status: number | 'reset';
  remaining: number;
  readonly match: RegExp | undefined;
}

export interface FakeKubeApiOptions {
  /** Accepted bearer tokens. Default ['test-token']. */
  readonly tokens?: readonly string[];
  /** Accept a client certificate signed by the test CA. Default true. */
  readonly clientCertificates?: boolean;
  /** Serve discovery.k8s.io/v1 (EndpointSlices). Default true; false makes clients fall back to v1 Endpoints. */
  readonly endpointSlices?: boolean;
  /** Serve gateway.networking.k8s.io/v1 (the Gateway API CRDs installed). Default true. */
  readonly gatewayApi?: boolean;
  /** How a watch from a compacted version is refused: an ERROR event in a 200 stream (the API's way) or HTTP 410. */
  readonly goneAs?: 'event' | 'http';
}

export interface FakeKubeApi {
  readonly url: string;
  readonly port: number;
  readonly caCert: string;
  readonly requests: RequestRecord[];
  /** Creates or replaces an object (ADDED or MODIFIED to watchers); returns its new resourceVersion. */
  put(resource: string, object: Obj): string;
  /** Deletes an object (DELETED to watchers); false when it did not exist. */
  delete(resource: string, namespace: string | undefined, name: string): boolean;
  /** The newest resourceVersion handed out. */
  currentVersion(): number;
  /** Sends a BOOKMARK with the current version to every watch that asked for bookmarks. */
  bookmark(): void;
  /** Forgets history: watches from any version before now get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream cleanly (as the server does at timeoutSeconds). */
  closeWatches(): void;
  /** Writes raw text (a broken line, a monstrous object) to every open watch of `resource`, in pieces of at most 64 KiB. */
  writeToWatches(resource: string, text: string | Buffer): void;
  /** The next `count` requests (matching `match`) get `status`, or a reset connection. */
  fail(status: number | 'reset', count?: number, match?: RegExp): void;
  /** Ends every injected fault. */
  heal(): void;
  /** New watches get headers and then nothing, forever (a half-open connection). */
  halfOpen(on: boolean): void;
  /** Resources answered 403 Forbidden. */
  readonly forbidden: Set<string>;
  /** Bearer tokens accepted now (rotate them mid-test). */
  readonly tokens: Set<string>;
  openWatches(resource?: string): number;
  /** Stops listening and cuts every connection: clients get ECONNREFUSED until resume(). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const pki = testPki();
  const tokens = new Set(options.tokens ?? ['test-token']);
  const clientCerts = options.clientCertificates ?? true;
  const slices = options.endpointSlices ?? true;
  const goneAs = options.goneAs ?? 'event';
  const gatewayApi = options.gatewayApi ?? true;
  const served = (groupVersion: string) => (groupVersion === 'discovery.k8s.io/v1' ? slices : groupVersion === 'gateway.networking.k8s.io/v1' ? gatewayApi : true);
  const store = new Map<string, Map<string, Obj>>(Object.keys(RESOURCES).map((r) => [r, new Map()]));
  const history: { rv: number; resource: string; type: string; object: Obj }[] = [];
  const snapshots = new Map<string, { rv: number; items: Obj[] }>();
  const watchers = new Set<Watcher>();
  const requests: RequestRecord[] = [];
  const forbidden = new Set<string>();
  let faults: Fault[] = [];
  let rv = 100;
  let compactedAt = 0;
  let halfOpen = false;
  let snapshotSeq = 0;

  const server: Server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: clientCerts, rejectUnauthorized: false },
    (req, res) => handle(req, res),
  );
  const sockets = new Set<import('node:net').Socket>();
  // Raw TCP connections too, not only those past the TLS handshake: one still shaking hands when
  // close() runs would otherwise hold close() open.
  const track = (s: import('node:net').Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  server.on('connection', track);
  server.on('secureConnection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  function status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
  }

  function authenticated(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && tokens.has(auth.slice(7))) return true;
    const socket = req.socket as TLSSocket;
    return clientCerts && socket.authorized === true && socket.getPeerCertificate().subject?.CN === 'tester';
  }

  function matches(object: Obj, namespace: string | undefined, selector: string | undefined): boolean {
    if (namespace !== undefined && object.metadata?.namespace !== namespace) return false;
    if (!selector) return true;
    const labels: Record<string, string> = object.metadata?.labels ?? {};
    return selector.split(',').every((req) => {
      const r = req.trim();
      let m: RegExpExecArray | null;
      if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(r))) return labels[m[1]!] !== m[2];
      if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(r))) return labels[m[1]!] === m[2];
      if ((m = /^!(.+)$/.exec(r))) return !(m[1]! in labels);
      return r in labels;
    });
  }

  const keyOf = (o: Obj) => `${o.metadata?.namespace ?? ''}/${o.metadata.name}`;
  const withoutKind = ({ kind: _k, apiVersion: _a, ...rest }: Obj) => rest;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake');
    const path = url.pathname;
    const query = url.searchParams;
    const watch = query.get('watch') === '1' || query.get('watch') === 'true';
    const route = routeOf(path);
    const record: RequestRecord = { path, query, watch, resource: route?.resource, status: 200 };
    requests.push(record);
    const fault = faults.find((f) => f.remaining > 0 && (!f.match || f.match.test(path)));
    if (fault) {
      fault.remaining--;
      if (fault.status === 'reset') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      record.status = fault.status;
      return status(res, fault.status, fault.status === 500 ? 'InternalError' : 'Failure', `injected ${fault.status}`);
    }
    if (!authenticated(req)) {
      record.status = 401;
      return status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', 'only GET here');
    if (path === '/version') return json(res, { major: '1', minor: '30', gitVersion: 'v1.30.0-fake', platform: 'linux/amd64' });
    if (path === '/api') return json(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
    if (path === '/apis') {
      const groups = slices ? [{ name: 'discovery.k8s.io', versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }], preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' } }] : [];
      return json(res, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (path === '/api/v1') return json(res, resourceList('v1', ['namespaces', 'services', 'endpoints', 'pods']));
    const groupVersion = path.startsWith('/apis/') ? path.slice('/apis/'.length) : undefined;
    if (groupVersion && GROUP_VERSIONS[groupVersion]) {
      if (!served(groupVersion)) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return json(res, resourceList(groupVersion, [...GROUP_VERSIONS[groupVersion]!]));
    }
    const routeGroup = route && Object.entries(GROUP_VERSIONS).find(([, names]) => names.includes(route.resource))?.[0];
    if (!route || (routeGroup && !served(routeGroup))) {
      record.status = 404;
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
    if (forbidden.has(route.resource)) {
      record.status = 403;
      return status(res, 403, 'Forbidden', `${route.resource} is forbidden: User "tester" cannot list resource "${route.resource}"`);
    }
    if (route.name !== undefined) {
      const found = store.get(route.resource)!.get(`${route.namespace ?? ''}/${route.name}`);
      return found ? json(res, found) : status(res, 404, 'NotFound', `${route.resource} "${route.name}" not found`);
    }
    if (watch) return startWatch(route.resource, route.namespace, query, res, record);
    return list(route.resource, route.namespace, query, res, record);
  }

  function resourceList(groupVersion: string, names: string[]): Obj {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: names.map((name) => ({ name, singularName: RESOURCES[name]!.kind.toLowerCase(), namespaced: RESOURCES[name]!.namespaced, kind: RESOURCES[name]!.kind, verbs: ['get', 'list', 'watch'], shortNames: name === 'services' ? ['svc'] : name === 'namespaces' ? ['ns'] : [] })),
    };
  }

  function json(res: ServerResponse, body: Obj): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function list(resource: string, namespace: string | undefined, query: URLSearchParams, res: ServerResponse, record: RequestRecord): void {
    const info = RESOURCES[resource]!;
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    let snapshot: { rv: number; items: Obj[] };
    let offset = 0;
    if (token) {
      const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as { id: string; offset: number };
      const found = snapshots.get(decoded.id);
      if (!found || found.rv < compactedAt) {
        record.status = 410;
        return status(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
      }
      snapshot = found;
      offset = decoded.offset;
    } else {
      const items = [...store.get(resource)!.values()].filter((o) => matches(o, namespace, query.get('labelSelector') ?? undefined)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
      snapshot = { rv, items };
    }
    const page = limit > 0 ? snapshot.items.slice(offset, offset + limit) : snapshot.items.slice(offset);
    const next = limit > 0 && offset + limit < snapshot.items.length ? offset + limit : undefined;
    let cont: string | undefined;
    if (next !== undefined) {
      const id = token ? (JSON.parse(Buffer.from(token, 'base64').toString()) as { id: string }).id : String(++snapshotSeq);
      snapshots.set(id, snapshot);
      cont = Buffer.from(JSON.stringify({ id, offset: next })).toString('base64');
    }
    json(res, {
      kind: `${info.kind}List`,
      apiVersion: info.apiVersion,
      metadata: { resourceVersion: String(snapshot.rv), ...(cont ? { continue: cont, remainingItemCount: snapshot.items.length - next! } : {}) },
      items: page.map(withoutKind),
    });
  }

  function startWatch(resource: string, namespace: string | undefined, query: URLSearchParams, res: ServerResponse, record: RequestRecord): void {
    const selector = query.get('labelSelector') ?? undefined;
    const from = query.get('resourceVersion');
    const since = from && from !== '0' ? Number(from) : undefined;
    if (since !== undefined && since < compactedAt) {
      if (goneAs === 'http') {
        record.status = 410;
        return status(res, 410, 'Expired', `too old resource version: ${since} (${compactedAt})`);
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (halfOpen) {
      // Headers went out; nothing else ever will. Only the client's own deadline ends this.
      req_never_ends(res);
      return;
    }
    const send = (type: string, object: Obj) => res.write(`${JSON.stringify({ type, object })}\n`);
    if (since !== undefined && since < compactedAt) {
      send('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${since} (${compactedAt})`, reason: 'Expired', code: 410 });
      res.end();
      return;
    }
    if (since === undefined) {
      for (const object of store.get(resource)!.values()) if (matches(object, namespace, selector)) send('ADDED', object);
    } else {
      for (const e of history) if (e.rv > since && e.resource === resource && matches(e.object, namespace, selector)) send(e.type, e.object);
    }
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    const watcher: Watcher = {
      resource,
      namespace,
      selector,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      res,
      timer: timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined,
    };
    watchers.add(watcher);
    res.on('close', () => {
      clearTimeout(watcher.timer);
      watchers.delete(watcher);
    });
  }

  function req_never_ends(res: ServerResponse): void {
    const watcher: Watcher = { resource: '(half-open)', namespace: undefined, selector: undefined, bookmarks: false, res, timer: undefined };
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
  }

  function emit(resource: string, type: string, object: Obj): void {
    history.push({ rv, resource, type, object });
    for (const w of watchers) {
      if (w.resource === resource && matches(object, w.namespace, w.selector)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caCert: pki.caCert,
    requests,
    forbidden,
    tokens,
    put(resource, object) {
      const info = RESOURCES[resource];
      if (!info) throw new Error(`unknown resource ${resource}`);
      const key = keyOf(object);
      const existed = store.get(resource)!.has(key);
      const stored = { kind: info.kind, apiVersion: info.apiVersion, ...object, metadata: { ...object.metadata, resourceVersion: String(++rv) } };
      store.get(resource)!.set(key, stored);
      emit(resource, existed ? 'MODIFIED' : 'ADDED', stored);
      return String(rv);
    },
    delete(resource, namespace, name) {
      const key = `${namespace ?? ''}/${name}`;
      const existing = store.get(resource)!.get(key);
      if (!existing) return false;
      store.get(resource)!.delete(key);
      emit(resource, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++rv) } });
      return true;
    },
    currentVersion: () => rv,
    bookmark() {
      for (const w of watchers) {
        if (!w.bookmarks) continue;
        const info = RESOURCES[w.resource]!;
        w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(rv) } } })}\n`);
      }
    },
    compact() {
      compactedAt = rv;
      history.length = 0;
    },
    closeWatches() {
      for (const w of [...watchers]) if (w.resource !== '(half-open)') w.res.end();
    },
    writeToWatches(resource, text) {
      const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
      for (const w of watchers) {
        if (w.resource !== resource) continue;
        for (let i = 0; i < bytes.length; i += 65536) w.res.write(bytes.subarray(i, i + 65536));
      }
    },
    fail(code, count = Infinity, match) {
      faults.push({ status: code, remaining: count, match });
    },
    heal() {
      faults = [];
    },
    halfOpen(on) {
      halfOpen = on;
    },
    async pause() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const w of watchers) w.res.destroy();
      for (const s of sockets) s.destroy();
      await closed;
    },
    async resume() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    openWatches: (resource) => [...watchers].filter((w) => resource === undefined || w.resource === resource).length,
    async close() {
      // Stop accepting first: a client that reconnects between the destroys and close() would
      // otherwise hold close() open until it exits (it is stopped after this, in a later hook).
      const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      for (const w of watchers) w.res.destroy();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** `/api/v1/namespaces/shop/services` → { resource: services, namespace: shop }. */
function routeOf(path: string): { resource: string; namespace: string | undefined; name: string | undefined } | undefined {
  const m = /^\/(?:api\/v1|apis\/[a-z0-9.]+\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const [, ns, resource, name] = m;
    if (RESOURCES[resource!]) return { resource: resource!, namespace: ns, name };
  }
  // `/api/v1/namespaces` and `/api/v1/namespaces/NAME` are the Namespace resource itself.
  const n = /^\/api\/v1\/namespaces(?:\/([^/]+))?$/.exec(path);
  if (n) return { resource: 'namespaces', namespace: undefined, name: n[1] };
  return undefined;
}
