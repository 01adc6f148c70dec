/** The composition root: loads the registry, builds the resolver, binds UDP and TCP, starts and stops. */
import type { Registry } from './registry/registry.js';
import type { RegistryDelta } from './registry/registry-delta.js';
import { createRegistryRef, type MutableRegistryRef } from './registry/registry-ref.js';
import { createPublisher } from './registry/publisher.js';
import { createKubernetesSource, type KubernetesSource } from './kubernetes/kubernetes-source.js';
import { resolveKubernetesOptions } from './kubernetes/kubernetes-options.js';
import { FilesSource, type ReloadReport as FilesReloadReport } from './sources/files-source.js';
import { RegistrationsSource, type Registration, type RegistrationInput, type RegistrationRef } from './sources/registrations-source.js';
import { ClusterDnsError, ConfigError } from './errors.js';
import { createLogger, createRateLimitedLogger, silentLogger, type Logger } from './log.js';
import { explainOptionsFor, hostIndexOptions, isLoopback, missingZonePaths, nameServerAddresses, recursionPolicy, resolveOptions, type DnsServerOptions, type ResolvedOptions } from './options.js';
import type { InterfaceTable } from './dns/local-networks.js';
import { servfail } from './dns/outcomes.js';
import type { Answer, Query } from './dns/types.js';
import { createResolver } from './resolver/create-resolver.js';
import type { CnameChaseOptions } from './resolver/cname-chase.js';
import { refuseOutOfZone } from './resolver/refuse-stage.js';
import { createReplyCache, type ReplyCache } from './resolver/cache-stage.js';
import { createForwardStage } from './resolver/forward-stage.js';
import { createRecursionAclStage } from './resolver/recursion-acl-stage.js';
import type { Stage } from './resolver/stage.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/upstream-client.js';
import { rejectSelfUpstream } from './upstream/self-address.js';
import { createServerMetrics, qtypeLabel, QueryZone, rcodeLabel, Transport, type ServerMetrics } from './http/metrics.js';
import { startHttpServer, type HttpListener } from './http/http-server.js';
import { startProbeServer } from './http/probe-server.js';
import { createQueryLog } from './http/query-log.js';
import { traceExplain } from './http/explain-trace.js';
import { createUpstreamHealth } from './upstream/upstream-health.js';
import { isInZone } from './resolver/cluster-answers.js';
import { listRecords } from './resolver/list-records.js';
import { EXPLAIN_TYPES, explainType } from './resolver/explain.js';
import { decodeQuery } from './wire/query-decoder.js';
import { encodeResponse, encodeVerdict } from './wire/answer-encoder.js';
import { createDnsListeners, type DnsListeners, type ListenerMeta, type SocketSharing } from './transport/dns-listeners.js';
import { chooseUdpEngine, loadNativeUdpAddon, type NativeUdpStats } from './transport/native-addon.js';
import { clientPrefix, createResponseRateLimiter } from './transport/response-rate-limit.js';
import { truncateReply } from './wire/truncate-reply.js';

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
  const queryLog = baseLog.child({ component: 'query' });
  const rateLimited = createRateLimitedLogger(log);
  const now = input.now ?? Date.now;
  const registryRef = role.kind === 'worker' ? role.registry : createRegistryRef();
  const nsAddresses = nameServerAddresses(options.host);
  const metrics = role.kind === 'worker' ? role.metrics : options.http !== 'off' ? createServerMetrics(`dns://${options.host}:${options.port}`, options.clusterDomain) : undefined;
  // The /ui live view's ring: in the process that serves HTTP and answers queries (not with --workers).
  const recentQueries = role.kind === 'single' && metrics && options.queryLogSize > 0 ? createQueryLog({ size: options.queryLogSize, now }) : undefined;
  let state: 'new' | 'running' | 'draining' | 'stopped' = 'new';
  let listeners: DnsListeners | undefined;
  let http: HttpListener | undefined;
  let probes: HttpListener | undefined;
  let addresses: ServerAddresses | undefined;

  let upstreamClient: UpstreamClient | undefined;
  const upstreamHealth = options.upstream !== 'none' && role.kind === 'single' ? createUpstreamHealth(options.upstream) : undefined;
  let replyCache: ReplyCache | undefined;
  const outOfZone: Stage[] = [];
  const recursion = recursionPolicy(options, input.networkInterfaces);
  const mayRecurse = recursion.kind === 'listed' ? recursion.allowed : undefined;
  let chase: CnameChaseOptions | undefined;
  // A primary forwards nothing: its workers each have their own upstream client and reply cache.
  if (options.upstream !== 'none' && role.kind !== 'primary') {
    if (options.port !== 0) rejectSelfUpstream(options.upstream, [{ address: options.host, port: options.port }]);
    upstreamClient = createUpstreamClient({
      servers: options.upstream,
      timeoutMs: options.upstreamTimeoutMs,
      maxInFlight: options.upstreamMaxInFlight,
      onTry: (server, outcome, seconds) => {
        metrics?.observeForward(server, outcome, seconds);
        upstreamHealth?.observe(server, outcome, seconds);
      },
      // Same kind of event as a TCP limit: counted every time, logged at most once per 10 s.
      onBusy: (inFlight) => {
        metrics?.observeLimit('upstream-in-flight');
        rateLimited.warn({ limit: 'upstream-in-flight', inFlight }, 'limit reached: upstream-in-flight');
      },
    });
    replyCache = createReplyCache({ maxEntries: options.cacheSize, ...(input.now ? { now: input.now } : {}) });
    let loopReported = false;
    if (mayRecurse) outOfZone.push(createRecursionAclStage(mayRecurse));
    const forward = createForwardStage(upstreamClient, {
      onLoopDetected: (query) => {
        if (loopReported) return;
        loopReported = true;
        log.error({ qname: query.lowerName, qtype: query.type }, 'forwarding loop: a query we forwarded came back to us; check --upstream (answering SERVFAIL)');
      },
    });
    outOfZone.push(replyCache.stage, forward);
    // ExternalName targets outside the zone go through the same cache and upstream (RFC 1034 §4.3.2).
    const cacheStage = replyCache.stage;
    chase = {
      lookup: (query) => cacheStage(query, (q) => forward(q, refuseOutOfZone)),
      maxEntries: options.cacheSize,
      ...(mayRecurse ? { mayRecurse } : {}),
      ...(input.now ? { now: input.now } : {}),
    };
  }
  const resolve = createResolver(registryRef, {
    zone: options.clusterDomain,
    podMode: options.pods,
    defaultNamespace: options.defaultNamespace,
    publicShortForms: options.publicShortForms,
    nameServerAddresses: nsAddresses,
    outOfZone,
    ...(chase ? { chase } : {}),
    reverseCidrs: [...options.serviceCidrs, ...options.podCidrs],
    ingressZones: options.ingressZones,
    clusterAliases: options.clusterDomains.slice(1),
  });
  const recursionAvailable = options.upstream !== 'none';
  const clusterAliases = options.clusterDomains.slice(1);
  const explainOptions = explainOptionsFor(options);
  const observing = metrics !== undefined || options.logQueries;
  /**
   * Duration sampling. A cluster answer takes microseconds and is sent in the same tick; two clock
   * reads per query would cost more than the counting itself (a clock read is a syscall on some VMs),
   * so one synchronous query in 16 is timed and the 15 after it are counted in its bucket. Forwarded
   * answers are timed from the moment the resolver returns a promise (the upstream round trip is all
   * that matters there). Query logs time every query, since each line shows its own duration.
   */
  let sampleTick = 0;

  /** Bytes in, bytes out. Synchronous when the answer is (every cluster name); a promise when forwarding. */
  function handle(packet: Buffer, meta: ListenerMeta): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const started = observing && (options.logQueries || (sampleTick++ & 15) === 0 || recentQueries?.watching()) ? performance.now() : -1;
    const verdict = decodeQuery(packet, meta);
    if (verdict.kind === 'drop') return undefined;
    if (verdict.kind !== 'query') {
      const reply = encodeVerdict(verdict, { transport: meta.transport });
      if (observing) observe(meta, packet, reply, verdict.kind === 'badvers' ? 16 : reply[3]! & 0x0f, 0, '', started, undefined);
      return reply;
    }
    const query: Query = verdict.query;
    let answer: Answer | Promise<Answer>;
    try {
      answer = resolve(query);
    } catch (error) {
      answer = resolverFailed(query, error);
    }
    // Cluster names resolve synchronously: no closure or promise on that path.
    if (!(answer instanceof Promise)) return finish(query, verdict.question, answer, meta, packet, started);
    const since = observing && started < 0 ? performance.now() : started;
    return answer.then(
      (a) => finish(query, verdict.question, a, meta, packet, since),
      (error: unknown) => finish(query, verdict.question, resolverFailed(query, error), meta, packet, since),
    );
  }

  /** UDP replies beyond --rrl-rate per client prefix: dropped, every second one sent truncated. */
  const rateLimiter = options.rrlRate > 0 ? createResponseRateLimiter({ ratePerSecond: options.rrlRate, now }) : undefined;
  const filterUdpReply = rateLimiter && ((reply: Uint8Array, client: string): Uint8Array | undefined => {
    const verdict = rateLimiter.check(client);
    if (verdict === 'send') return reply;
    metrics?.observeRateLimited(verdict);
    rateLimited.warn({ limit: 'rrl', prefix: clientPrefix(client), rrlRate: options.rrlRate }, 'limit reached: rrl (UDP replies to a client prefix beyond --rrl-rate)');
    return verdict === 'slip' ? truncateReply(reply) : undefined;
  });

  const encodeOptions = { udp: { transport: 'udp', recursionAvailable }, tcp: { transport: 'tcp', recursionAvailable } } as const;

  function finish(query: Query, question: Uint8Array, answer: Answer, meta: ListenerMeta, packet: Buffer, started: number): Uint8Array {
    const reply = encodeResponse(query, question, answer, encodeOptions[meta.transport]);
    if (observing) observe(meta, packet, reply, reply[3]! & 0x0f, query.type, query.lowerName, started, answer);
    return reply;
  }

  function resolverFailed(query: Query, error: unknown): Answer {
    metrics?.observePanic();
    rateLimited.error({ err: error, qname: query.lowerName, qtype: query.type }, 'resolver failed; answering SERVFAIL');
    return servfail();
  }

  /** Counts one reply (numbers only); `started < 0` means this query was not timed. */
  function observe(meta: ListenerMeta, packet: Buffer, reply: Uint8Array, rcode: number, qtype: number, qname: string, started: number, answer: Answer | undefined): void {
    const finished = started < 0 ? -1 : performance.now();
    const seconds = started < 0 ? -1 : (finished - started) / 1000;
    recentQueries?.record(meta.client.address, meta.client.port, meta.transport === 'tcp', qname, qtype, rcode, answer, (reply[6]! << 8) | reply[7]!, started, finished);
    const inZone = qname !== '' && (isInZone(qname, options.clusterDomain) || (clusterAliases.length > 0 && clusterAliases.some((z) => isInZone(qname, z))));
    metrics?.countQuery(
      meta.transport === 'tcp' ? Transport.tcp : Transport.udp,
      meta.client.address.includes(':') ? 6 : 4,
      qtype,
      rcode,
      inZone ? QueryZone.cluster : QueryZone.other,
      packet.length,
      reply.length,
      seconds,
    );
    if (options.logQueries) {
      queryLog.info({
        client: `${meta.client.address}:${meta.client.port}`,
        transport: meta.transport,
        qname,
        qtype: qtypeLabel(qtype),
        rcode: rcodeLabel(rcode),
        answers: (reply[6]! << 8) | reply[7]!,
        bytes: reply.length,
        durationMs: Math.round(seconds * 100_000) / 100,
      });
    }
  }

  // Sources push keyed objects into one publisher, which applies each batch of them per object.
  const registryLog = baseLog.child({ component: 'registry' });
  const publisher = createPublisher(registryRef, {
    clusterDomain: options.clusterDomain,
    ttl: options.ttl,
    serviceCidrs: options.serviceCidrs,
    podCidrs: options.podCidrs,
    hosts: hostIndexOptions(options),
    now,
    log: registryLog,
    onApplied: (batch) => metrics?.observeRegistryApply(batch.changes, batch.seconds),
    onPublish: (registry, applied, hostsChanged) => {
      metrics?.observeReload('success');
      metrics?.setRegistry(registry.counts);
      if (role.kind === 'primary') {
        role.publish(registry, applied && { serial: registry.serial, counts: registry.counts, derived: registry.derived, entries: applied.entries, scopes: applied.names, ...(hostsChanged ? { hosts: hostsChanged } : {}) });
      }
    },
  });
  const registrations = new RegistrationsSource({ now, log: registryLog.child({ source: 'registrations' }) });
  const files = new FilesSource({
    paths: options.zones,
    maxRegistryBytes: options.maxRegistryBytes,
    strict: options.strict,
    watch: options.watch,
    log: registryLog.child({ source: 'files' }),
    onReload: (result) => {
      if (result === 'failure') metrics?.observeReload('failure');
    },
  });
  publisher.add(registrations);
  publisher.add(files);
  let kubernetes: KubernetesSource | undefined;
  if (options.kubernetes) {
    // Reads the kubeconfig or service account now: a bad one is a ConfigError naming file and field.
    const kube = resolveKubernetesOptions(options.kubernetes);
    const restarts = metrics?.counter('cluster_dns_kubernetes_watch_restarts_total', 'Watches of the Kubernetes API opened again (stream ended, error, relist after 410), by resource.', ['resource']);
    publisher.add(
      (kubernetes = createKubernetesSource({
        connection: kube.connection,
        namespaces: kube.namespaces,
        labelSelector: kube.labelSelector,
        pods: options.pods === 'verified',
        hosts: options.ingressZones.length > 0,
        log: baseLog.child({ component: 'kubernetes' }),
        onWatchRestart: (resource) => restarts?.inc({ resource }),
      })),
    );
  }

  /** GET /v1/ui/sources: each source's state and the upstreams' health, for the /ui page. */
  function sourcesState(): object {
    const registry = registryRef.current();
    const at = now();
    return {
      ready: ready(),
      zone: options.clusterDomain,
      counts: registry?.counts,
      // Changes whenever the content does (the SOA serial): the page re-reads the registry only then.
      serial: registry?.serial,
      files: files.status(),
      kubernetes: kubernetes?.status(),
      registrations: registrations.list().map((r) => ({ ...r, leaseSecondsLeft: r.expiresAtMs === undefined ? null : Math.max(0, Math.round((r.expiresAtMs - at) / 1000)) })),
      upstreams: upstreamHealth?.rows() ?? [],
      // With --workers the queries (and so the query log and upstream health) live in the workers.
      workers: role.kind === 'primary' ? options.workers : undefined,
    };
  }

  /** With workers, a change is served once every worker has it (the primary answers no query). */
  const settle = <T>(change: Promise<T>): Promise<T> => (role.kind === 'primary' ? change.then(async (value) => (await role.settled(), value)) : change);
  const reload = async (): Promise<ReloadReport> => {
    const report = await settle(files.reload());
    return { ...report, counts: registryRef.current()?.counts };
  };
  const registryReady = role.kind === 'worker' ? () => registryRef.current() !== undefined : role.kind === 'primary' ? () => publisher.ready() && role.ready() : publisher.ready;
  const ready = () => state === 'running' && registryReady() && addresses !== undefined;

  async function startHttp(): Promise<void> {
    if (options.http === 'off' || !metrics) return;
    const httpRefused = metrics.counter('cluster_dns_http_refused_total', 'HTTP requests refused before any route: a foreign Host (DNS rebinding), a foreign Origin or Sec-Fetch-Site, or a write a web form could send.', ['reason']);
    try {
      http = await startHttpServer({
        host: options.http.host,
        port: options.http.port,
        metrics: {
          ...metrics,
          render: async () => {
            if (role.kind === 'primary') await role.gather(metrics);
            metrics.setCache(replyCache?.stats());
            metrics.setUdpStats(listeners?.udpStats());
            return metrics.render();
          },
        },
        healthy: () => state !== 'stopped',
        ready,
        token: options.httpToken,
        loopback: isLoopback(options.http.host),
        allowedHosts: options.httpAllowedHosts,
        onRefused: (refusal, request) => {
          httpRefused.inc({ reason: refusal.reason });
          rateLimited.warn({ ...request, status: refusal.status }, `HTTP request refused: ${refusal.reason}`);
        },
        ui: { queries: recentQueries, sources: sourcesState },
        api: {
          apply: (body, o) => settle(registrations.apply(body, o)),
          replace: (body, o) => settle(registrations.replace(body, o)),
          remove: (target) => settle(registrations.remove(target)),
          list: () => registrations.list(),
          explain: (name, type, namespace) => {
            const registry = registryRef.current();
            if (!registry) return { error: 'the registry is not loaded yet' };
            const t = explainType(type);
            if (t === undefined) return { error: `type: "${type}" is not one of ${Object.keys(EXPLAIN_TYPES).join(', ')}` };
            if (name.length > 255) return { error: 'name: longer than 255 characters (RFC 1035 §2.3.4)' };
            if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) return { error: `namespace: "${namespace}" is not a namespace name (RFC 1123 label)` };
            // The registration of that object (a Service), else of its namespace's same-named object (its native endpoints).
            const leaseOf = (o: { kind: string; namespace: string; name: string }) => {
              const list = registrations.list();
              const same = (r: (typeof list)[number]) => r.namespace === o.namespace && r.name === o.name;
              return (list.find((r) => same(r) && r.kind.toLowerCase() === o.kind.toLowerCase()) ?? list.find(same))?.expiresAtMs;
            };
            // A --workers primary forwards nothing itself: its forwarded names stay FORWARDED.
            return traceExplain({ registry, options: explainOptions, resolve: role.kind === 'primary' ? undefined : resolve, leaseOf, now }, name, t, namespace);
          },
          records: () => {
            const registry = registryRef.current();
            return registry ? listRecords(registry, { podMode: options.pods, nameServerAddresses: nsAddresses }) : [];
          },
        },
      });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
      if (options.httpOptional) {
        log.warn({ http: `${options.http.host}:${options.http.port}`, reason }, 'HTTP listener not started: metrics, probes and the /v1 API are off');
        return;
      }
      throw new ClusterDnsError('BIND_FAILED', `cannot listen on http ${options.http.host}:${options.http.port}: ${reason}`, { cause: error });
    }
  }

  async function startProbes(): Promise<void> {
    if (options.probes === 'off' || role.kind === 'worker') return;
    try {
      probes = await startProbeServer({
        host: options.probes.host,
        port: options.probes.port,
        healthy: () => state !== 'stopped',
        ready,
        loopback: isLoopback(options.probes.host),
        allowedHosts: options.httpAllowedHosts,
        onRefused: (refusal, request) => rateLimited.warn({ ...request, status: refusal.status }, `probe request refused: ${refusal.reason}`),
      });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
      throw new ClusterDnsError('BIND_FAILED', `cannot listen on probes ${options.probes.host}:${options.probes.port}: ${reason}`, { cause: error });
    }
  }

  async function closeEverything(graceMs: number): Promise<void> {
    await publisher.stop();
    const current = listeners;
    listeners = undefined;
    addresses = undefined;
    if (current) await current.close(graceMs > 0 ? graceMs : 1000);
    upstreamClient?.close();
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
        await startHttp();
        await startProbes();
        try {
          const udp = chooseUdpEngine(options.udpEngine);
          if (udp.unavailable) throw new ClusterDnsError('BIND_FAILED', `cannot use --udp-engine native: ${udp.unavailable}`);
          if (udp.fallback && role.kind !== 'worker') log.info({ udpEngine: 'dgram', reason: udp.fallback }, 'UDP on node:dgram: the native engine is not available');
          const nativeUdp = udp.engine === 'native' ? loadNativeUdpAddon() : undefined;
          listeners = role.kind === 'primary' ? await role.serveDns() : await createDnsListeners({
            ...(role.kind === 'worker' ? { sharing: role.sharing } : {}),
            ...(nativeUdp && 'addon' in nativeUdp ? { nativeUdp: nativeUdp.addon } : {}),
            host: options.host,
            port: options.port,
            handler: handle,
            maxTcpConnections: options.tcpMaxConnections,
            maxTcpInFlight: options.tcpMaxInFlight,
            tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
            tcpBusyIdleTimeoutMs: options.tcpBusyIdleTimeoutMs,
            tcpSlowTimeoutMs: options.tcpSlowTimeoutMs,
            maxTcpBufferedBytes: options.tcpMaxBufferedBytes,
            ...(filterUdpReply ? { filterUdpReply } : {}),
            onError: (error, meta) => rateLimited.error({ err: error, transport: meta.transport }, 'listener error'),
            onLimit: (kind) => {
              metrics?.observeLimit(kind);
              rateLimited.warn({ limit: kind }, `limit reached: ${kind}`); // one rate-limit key per kind
            },
          });
        } catch (error) {
          if (error instanceof ClusterDnsError) throw error; // a worker's own bind failure, already worded
          const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
          throw new ClusterDnsError('BIND_FAILED', `cannot listen on ${options.host}:${options.port}: ${reason}`, { cause: error });
        }
        const bound: ServerAddresses = listeners.addresses;
        metrics?.setUdpEngine(listeners.udpEngine);
        if (options.upstream !== 'none') rejectSelfUpstream(options.upstream, [{ address: options.host, port: bound.udp.port }]);
        addresses = bound;
        if (role.kind === 'worker') return bound; // the primary sends the registry and says "listening"
        if (recursionAvailable && recursion.kind === 'listed') {
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
    cacheStats: () => replyCache?.stats(),
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

