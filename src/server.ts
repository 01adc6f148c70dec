/** The composition root: loads the registry, builds the resolver, binds UDP and TCP, starts and stops. */
import type { Registry } from './registry/registry.js';
import { createRegistryRef } from './registry/registry-ref.js';
import {
  RegistryManager,
  type Registration,
  type RegistrationInput,
  type RegistrationRef,
  type ReloadReport,
} from './reload/registry-manager.js';
import { watchZones, type ZonesWatcher } from './reload/zones-watcher.js';
import { ClusterDnsError, ConfigError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { resolveOptions, type DnsServerOptions, type ResolvedOptions } from './options.js';
import { servfail } from './dns/outcomes.js';
import type { Answer, Query } from './dns/types.js';
import { createResolver } from './resolver/create-resolver.js';
import { createReplyCache, type ReplyCache } from './resolver/cache-stage.js';
import { createForwardStage, createLoopGuardStage } from './resolver/forward-stage.js';
import type { Stage } from './resolver/stage.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/upstream-client.js';
import { upstreamIsSelf } from './upstream/self-address.js';
import { decodeQuery } from './wire/query-decoder.js';
import { encodeResponse, encodeVerdict } from './wire/answer-encoder.js';
import { createDnsListeners, type DnsListeners, type ListenerMeta } from './transport/dns-listeners.js';

export type { Registration, RegistrationInput, RegistrationRef, ReloadReport } from './reload/registry-manager.js';

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
  /** Closes every socket, watcher and timer. */
  stop(): Promise<void>;
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
  readonly addresses: ServerAddresses | undefined;
}

export interface CreateDnsServerOptions extends DnsServerOptions {
  /** A pino logger; default: silent (an embedded server says nothing unless asked). */
  readonly logger?: Logger;
  /** Clock for SOA serials; default Date.now. */
  readonly now?: () => number;
}

export function createDnsServer(input: CreateDnsServerOptions = {}): DnsServer {
  const options: ResolvedOptions = resolveOptions(input);
  const baseLog = input.logger ?? silentLogger();
  const log = baseLog.child({ component: 'server' });
  const now = input.now ?? Date.now;
  const registryRef = createRegistryRef();
  let listeners: DnsListeners | undefined;
  let addresses: ServerAddresses | undefined;

  let upstreamClient: UpstreamClient | undefined;
  let replyCache: ReplyCache | undefined;
  const outOfZone: Stage[] = [];
  if (options.upstream !== 'none') {
    const self = options.upstream.find((u) => options.port !== 0 && upstreamIsSelf(u, options.host, options.port));
    if (self) throw new ConfigError(`upstream: ${self.address}:${self.port} is this server's own address (a forwarding loop)`);
    upstreamClient = createUpstreamClient({ servers: options.upstream, timeoutMs: options.upstreamTimeoutMs });
    replyCache = createReplyCache({ maxEntries: options.cacheSize, ...(input.now ? { now: input.now } : {}) });
    let loopReported = false;
    outOfZone.push(
      createLoopGuardStage(upstreamClient, {
        onLoop: (query) => {
          if (loopReported) return;
          loopReported = true;
          log.error({ qname: query.lowerName, qtype: query.type }, 'forwarding loop: a query we forwarded came back to us; check --upstream (answering SERVFAIL)');
        },
      }),
      replyCache.stage,
      createForwardStage(upstreamClient),
    );
  }
  const resolve = createResolver(registryRef, {
    zone: options.clusterDomain,
    podMode: options.pods,
    defaultNamespace: options.defaultNamespace,
    nameServerAddresses: nameServerAddresses(options.host),
    outOfZone,
  });
  const recursionAvailable = options.upstream !== 'none';

  async function handle(packet: Buffer, meta: ListenerMeta): Promise<Uint8Array | undefined> {
    const verdict = decodeQuery(packet, meta);
    if (verdict.kind === 'drop') return undefined;
    if (verdict.kind !== 'query') return encodeVerdict(verdict, { transport: meta.transport });
    const query: Query = verdict.query;
    const question = verdict.question;
    let answer: Answer;
    try {
      answer = await resolve(query);
    } catch (error) {
      log.error({ err: error, qname: query.lowerName, qtype: query.type }, 'resolver failed; answering SERVFAIL');
      answer = servfail();
    }
    return encodeResponse(query, question, answer, { transport: meta.transport, recursionAvailable });
  }

  const manager = new RegistryManager(
    { zones: options.zones, clusterDomain: options.clusterDomain, ttl: options.ttl, strict: options.strict, now, log: baseLog.child({ component: 'registry' }) },
    registryRef,
  );
  let watcher: ZonesWatcher | undefined;

  return {
    async start() {
      if (listeners) throw new ClusterDnsError('SERVER_STATE', 'server already started');
      await manager.reloadFiles(true);
      if (options.watch && options.zones.length > 0) {
        watcher = await watchZones(options.zones, () => {
          manager.reloadFiles().catch((error: unknown) => log.error({ err: error }, 'reload failed; still serving the last good registry'));
        });
      }
      try {
        listeners = await createDnsListeners({
          host: options.host,
          port: options.port,
          handler: handle,
          onError: (error, meta) => log.error({ err: error, transport: meta.transport }, 'listener error'),
        });
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
        throw new ClusterDnsError('BIND_FAILED', `cannot listen on ${options.host}:${options.port}: ${reason}`, { cause: error });
      }
      const bound: ServerAddresses = listeners.addresses;
      addresses = bound;
      const looped = options.upstream !== 'none' ? options.upstream.find((u) => upstreamIsSelf(u, options.host, bound.udp.port)) : undefined;
      if (looped) {
        await this.stop();
        throw new ConfigError(`upstream: ${looped.address}:${looped.port} is this server's own address (a forwarding loop)`);
      }
      log.info({ udp: bound.udp, tcp: bound.tcp, zone: options.clusterDomain, ...registryRef.current()?.counts }, 'listening');
      return bound;
    },
    async stop() {
      const current = listeners;
      listeners = undefined;
      addresses = undefined;
      watcher?.close();
      watcher = undefined;
      manager.close();
      upstreamClient?.close();
      if (current) await current.close();
    },
    reload: () => manager.reloadFiles(),
    apply: (objects, applyOptions) => manager.apply(objects, applyOptions),
    remove: (objects) => manager.remove(objects),
    replace: (objects, applyOptions) => manager.replace(objects, applyOptions),
    registrations: () => manager.list(),
    registry: () => registryRef.current(),
    cacheStats: () => replyCache?.stats(),
    get addresses() {
      return addresses;
    },
  };
}

/** The address `ns.dns.<zone>` resolves to: the listen address, or loopback for a wildcard bind. */
function nameServerAddresses(host: string): string[] {
  if (host === '0.0.0.0') return ['127.0.0.1'];
  if (host === '::') return ['::1'];
  return [host];
}
