/** The composition root: builds the server's parts (compose/) and owns its lifecycle: create, start → bound addresses, stop, reload. */
import type { Registry } from './registry/registry.js';
import type { RegistryDelta } from './registry/registry-delta.js';
import { createRegistryRef, type MutableRegistryRef } from './registry/registry-ref.js';
import type { ReloadReport as FilesReloadReport } from './sources/files-source.js';
import type { Registration, RegistrationInput, RegistrationRef } from './sources/registrations-source.js';
import { ClusterDnsError, ConfigError } from './errors.js';
import { createLogger, createRateLimitedLogger, silentLogger, type Logger } from './log.js';
import { missingZonePaths, resolveOptions, type DnsServerOptions, type ResolvedOptions } from './options.js';
import type { InterfaceTable } from './dns/local-networks.js';
import { rejectSelfUpstream } from './upstream/self-address.js';
import { createServerMetrics, type ServerMetrics } from './http/metrics.js';
import type { HttpListener } from './http/http-server.js';
import { createQueryLog } from './http/query-log.js';
import type { DnsListeners, SocketSharing } from './transport/dns-listeners.js';
import type { NativeUdpStats } from './transport/native-addon.js';
import { createForwarding } from './compose/forwarding.js';
import { createServerResolver } from './compose/resolver-pipeline.js';
import { createQueryHandler } from './compose/query-handler.js';
import { createUdpReplyFilter } from './compose/udp-reply-filter.js';
import { createRegistrySources } from './compose/registry-sources.js';
import { createRegistrationApi, createSourcesState } from './compose/http-api.js';
import { startHttpListener, startProbeListener } from './compose/http-listeners.js';
import { listenDns } from './compose/dns-listening.js';

export type { Registration, RegistrationInput, RegistrationRef } from './sources/registrations-source.js';

/** What one reload of the --zones files did. */
export interface ReloadReport extends FilesReloadReport {
  /** The served registry's counts after the reload. */
  readonly counts: Registry['counts'] | undefined;
}

export interface ServerAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

export interface ServerAddresses {
  readonly udp: ServerAddress;
  readonly tcp: ServerAddress;
}


export interface DnsServer {
  /** Loads the registry and binds UDP and TCP; resolves with the bound addresses (port 0 works). */
  start(): Promise<ServerAddresses>;
  /**
   * Stops: reports not ready and keeps answering for `graceMs` (default: the shutdownGraceMs option),
   * lets in-flight TCP queries finish, then closes every socket, watcher and timer. A stopped server
   * cannot be started again.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** True once every registry source has synced, the first snapshot is served and the sockets are bound, until stop() begins. */
  ready(): boolean;
  /** The HTTP listener's address when `http` is on. */
  readonly httpAddress: { address: string; port: number } | undefined;
  /** The probe listener's address when `probes` is on. */
  readonly probesAddress: { address: string; port: number } | undefined;
  /** Re-reads the zones and swaps in the new registry if the content changed (SIGHUP does this). */
  reload(): Promise<ReloadReport>;
  /**
   * Registers Kubernetes objects or native documents (YAML/JSON text, an object, or a list), replacing
   * earlier registrations of the same objects. Resolves when the next query sees them; rejects with
   * a RegistryError (nothing changed) when they do not validate. `leaseSeconds` makes them expire.
   */
  apply(objects: RegistrationInput, options?: { leaseSeconds?: number }): Promise<Registration[]>;
  /** Removes registrations, named by `{ kind, namespace, name }` or by the objects themselves. */
  remove(objects: RegistrationInput | RegistrationRef | readonly RegistrationRef[]): Promise<string[]>;
  /** Replaces every registration made through apply() (files in --zones are untouched). */
  replace(objects: RegistrationInput, options?: { leaseSeconds?: number }): Promise<Registration[]>;
  /** What apply() has registered. */
  registrations(): Registration[];
  /** The snapshot queries are answered from, undefined before the first load. */
  registry(): Registry | undefined;
  /** Forwarding cache counters, undefined when forwarding is off. */
  cacheStats(): { hits: number; misses: number; size: number } | undefined;
  /** The native UDP engine's counters (batches, datagrams, queued, overflow…), undefined on node:dgram or before start. */
  udpStats(): NativeUdpStats | undefined;
  readonly addresses: ServerAddresses | undefined;
}

export interface CreateDnsServerOptions extends DnsServerOptions {
  /** A pino logger; default: silent unless `logLevel` is given (an embedded server says nothing unless asked). */
  readonly logger?: Logger;
  /** Clock for SOA serials and response rate limiting; default Date.now. */
  readonly now?: () => number;
  /** The host's interfaces, for the default recursion ACL off loopback; default `os.networkInterfaces`. */
  readonly networkInterfaces?: () => InterfaceTable;
}

/**
 * How a server takes part in a group of processes serving one port (`--workers`, src/workers/).
 * `single` does everything itself (createDnsServer). A `primary` runs the sources, the publisher
 * (one build), HTTP and readiness, and answers no DNS: `serveDns` starts the workers that do. A
 * `worker` answers DNS from the snapshots the primary sends into `registry`: no sources, no HTTP.
 */
export type ServerRole =
  | { readonly kind: 'single' }
  | {
      readonly kind: 'primary';
      /** Starts the workers; resolves once every one listens, with the addresses they share. */
      serveDns(): Promise<DnsListeners>;
      /** Every worker listens and has acknowledged the latest snapshot. */
      ready(): boolean;
      /** Resolves once every live worker has acknowledged the latest snapshot. */
      settled(): Promise<void>;
      /** A snapshot was published here: send it to the workers. */
      /** `delta`: what the batch changed (absent for a registry built whole): sent to workers instead of a snapshot. */
      publish(registry: Registry, delta?: RegistryDelta): void;
      /** Before /metrics renders: the workers' counts into `metrics` (setPeer). */
      gather(metrics: ServerMetrics): Promise<void>;
    }
  | {
      readonly kind: 'worker';
      readonly registry: MutableRegistryRef;
      /** Counted into although HTTP is off here: the primary asks for them at scrape time (undefined: its HTTP is off). */
      readonly metrics: ServerMetrics | undefined;
      readonly sharing: SocketSharing;
    };

export function createDnsServer(input: CreateDnsServerOptions = {}): DnsServer {
  const workers = resolveOptions(input).workers;
  if (workers > 1) {
    throw new ConfigError(`workers: ${workers} processes are the CLI's --workers (node:cluster); an embedded server answers in its own process, so give 1`, { option: 'workers' });
  }
  return createRoleServer(input, { kind: 'single' });
}

/** createDnsServer for one role of a `--workers` group (see ServerRole). */
export function createRoleServer(input: CreateDnsServerOptions, role: ServerRole): DnsServer {
  const options: ResolvedOptions = resolveOptions(input);
  const missing = missingZonePaths(options.zones);
  if (missing.length > 0) throw new ConfigError(`zones: ${missing.map((z) => `"${z}"`).join(', ')} does not exist`, { option: 'zones' });
  // logLevel alone gives a logger on stderr; an embedded server without either stays silent.
  const baseLog = input.logger ?? (input.logLevel !== undefined ? createLogger({ level: options.logLevel }) : silentLogger());
  const log = baseLog.child({ component: 'server' });
  const rateLimited = createRateLimitedLogger(log);
  const now = input.now ?? Date.now;
  const registryRef = role.kind === 'worker' ? role.registry : createRegistryRef();
  const metrics = role.kind === 'worker' ? role.metrics : options.http !== 'off' ? createServerMetrics(`dns://${options.host}:${options.port}`, options.clusterDomain) : undefined;
  // The /ui live view's ring: in the process that serves HTTP and answers queries (not with --workers).
  const recentQueries = role.kind === 'single' && metrics && options.queryLogSize > 0 ? createQueryLog({ size: options.queryLogSize, now }) : undefined;
  let state: 'new' | 'running' | 'draining' | 'stopped' = 'new';
  let listeners: DnsListeners | undefined;
  let http: HttpListener | undefined;
  let probes: HttpListener | undefined;
  let addresses: ServerAddresses | undefined;

  // The per-packet path: forwarding (when on) behind the cluster stages, then bytes in, bytes out.
  const forwarding = createForwarding(options, {
    forwards: role.kind !== 'primary',
    trackHealth: role.kind === 'single',
    metrics,
    log,
    rateLimited,
    now: input.now,
    networkInterfaces: input.networkInterfaces,
  });
  const resolve = createServerResolver(options, registryRef, forwarding);
  const handle = createQueryHandler(options, { resolve, metrics, recentQueries, queryLog: baseLog.child({ component: 'query' }), rateLimited });
  const filterUdpReply = createUdpReplyFilter(options.rrlRate, { now, metrics, rateLimited });

  // Sources push keyed objects into one publisher, which applies each batch of them per object.
  const sources = createRegistrySources(options, {
    registryRef,
    now,
    log: baseLog,
    metrics,
    ...(role.kind === 'primary' ? { onPublish: (registry: Registry, delta: RegistryDelta | undefined) => role.publish(registry, delta) } : {}),
  });
  const { publisher, registrations, files } = sources;

  /** With workers, a change is served once every worker has it (the primary answers no query). */
  const settle = <T>(change: Promise<T>): Promise<T> => (role.kind === 'primary' ? change.then(async (value) => (await role.settled(), value)) : change);
  const reload = async (): Promise<ReloadReport> => {
    const report = await settle(files.reload());
    return { ...report, counts: registryRef.current()?.counts };
  };
  const registryReady = role.kind === 'worker' ? () => registryRef.current() !== undefined : role.kind === 'primary' ? () => publisher.ready() && role.ready() : publisher.ready;
  const ready = () => state === 'running' && registryReady() && addresses !== undefined;
  const healthy = () => state !== 'stopped';

  const apiDeps = {
    registryRef,
    sources,
    settle,
    // A --workers primary forwards nothing itself: its forwarded names stay FORWARDED in explain.
    resolve: role.kind === 'primary' ? undefined : resolve,
    upstreamHealth: forwarding.upstreamHealth,
    ready,
    workers: role.kind === 'primary' ? options.workers : undefined,
    now,
  };
  const startHttp = () =>
    startHttpListener(options, {
      metrics,
      healthy,
      ready,
      log,
      rateLimited,
      gather: role.kind === 'primary' ? (m) => role.gather(m) : undefined,
      cacheStats: () => forwarding.replyCache?.stats(),
      udpStats: () => listeners?.udpStats(),
      api: createRegistrationApi(options, apiDeps),
      recentQueries,
      sourcesState: createSourcesState(options, apiDeps),
    });

  async function closeEverything(graceMs: number): Promise<void> {
    await publisher.stop();
    const current = listeners;
    listeners = undefined;
    addresses = undefined;
    if (current) await current.close(graceMs > 0 ? graceMs : 1000);
    forwarding.upstreamClient?.close();
    recentQueries?.close();
    const h = http;
    http = undefined;
    if (h) await h.close();
    const p = probes;
    probes = undefined;
    if (p) await p.close();
    state = 'stopped';
  }

  return {
    async start() {
      if (state !== 'new') throw new ClusterDnsError('SERVER_STATE', `server cannot start: it is ${state}`);
      state = 'running';
      try {
        // HTTP and DNS come up first, so probes see "not ready" and cluster names get SERVFAIL
        // (never a cacheable NXDOMAIN) while a large registry loads.
        http = await startHttp();
        if (role.kind !== 'worker') probes = await startProbeListener(options, { healthy, ready, rateLimited });
        listeners = await listenDns(options, {
          handler: handle,
          filterUdpReply,
          serveDns: role.kind === 'primary' ? role.serveDns : undefined,
          sharing: role.kind === 'worker' ? role.sharing : undefined,
          reportsEngine: role.kind !== 'worker',
          metrics,
          log,
          rateLimited,
        });
        const bound: ServerAddresses = listeners.addresses;
        metrics?.setUdpEngine(listeners.udpEngine);
        if (options.upstream !== 'none') rejectSelfUpstream(options.upstream, [{ address: options.host, port: bound.udp.port }]);
        addresses = bound;
        if (role.kind === 'worker') return bound; // the primary sends the registry and says "listening"
        const recursion = forwarding.recursion;
        if (options.upstream !== 'none' && recursion.kind === 'listed') {
          // Say who may use forwarding: with the default, a client left out learns why from this line.
          log.info({ host: options.host, allowRecursion: recursion.cidrs, from: recursion.from }, `forwarding only for ${recursion.from === 'allow-recursion' ? '--allow-recursion' : "this host's loopback and private networks (--allow-recursion to change)"}; others get REFUSED`);
        }
        // Starts every source (the files are read, --strict throws here) and waits for the first
        // snapshot when every source has synced; until then cluster names get SERVFAIL.
        await publisher.start();
        await publisher.published();
        if (role.kind === 'primary') await role.settled();
        const upstreams = options.upstream === 'none' ? 'none' : options.upstream.map((u) => (u.address.includes(':') ? `[${u.address}]:${u.port}` : `${u.address}:${u.port}`));
        log.info({ udp: bound.udp, tcp: bound.tcp, udpEngine: listeners.udpEngine, http: http?.address, ...(probes ? { probes: probes.address } : {}), zone: options.clusterDomain, upstreams, ...registryRef.current()?.counts }, 'listening');
        return bound;
      } catch (error) {
        await closeEverything(0);
        throw error;
      }
    },
    async stop(stopOptions) {
      if (state === 'stopped' || state === 'new') {
        state = 'stopped';
        return;
      }
      const graceMs = stopOptions?.graceMs ?? options.shutdownGraceMs;
      if (state === 'running' && graceMs > 0) {
        // Lame duck: report not ready so load balancers move away, but keep answering meanwhile.
        state = 'draining';
        log.info({ graceMs }, 'draining: not ready, still answering');
        await new Promise((r) => setTimeout(r, graceMs));
      }
      state = 'draining';
      await closeEverything(graceMs);
      log.info('stopped');
    },
    reload,
    apply: (objects, applyOptions) => settle(registrations.apply(objects, applyOptions)),
    remove: (objects) => settle(registrations.remove(objects)),
    replace: (objects, applyOptions) => settle(registrations.replace(objects, applyOptions)),
    registrations: () => registrations.list(),
    registry: () => registryRef.current(),
    cacheStats: () => forwarding.replyCache?.stats(),
    udpStats: () => listeners?.udpStats(),
    ready,
    get addresses() {
      return addresses;
    },
    get httpAddress() {
      return http?.address;
    },
    get probesAddress() {
      return probes?.address;
    },
  };
}

