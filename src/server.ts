/** The composition root: loads the registry, builds the resolver, binds UDP and TCP, starts and stops. */
import { buildRegistry } from './registry/build-registry.js';
import { formatDiagnostic, type Diagnostic } from './registry/diagnostics.js';
import type { Registry } from './registry/registry.js';
import { createRegistryRef } from './registry/registry-ref.js';
import { updateZoneFileSet, type ServedFile } from './registry/zone-file-set.js';
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
import { readZones } from './sources/zones-reader.js';
import { decodeQuery } from './wire/query-decoder.js';
import { encodeResponse, encodeVerdict } from './wire/answer-encoder.js';
import { createDnsListeners, type DnsListeners, type ListenerMeta } from './transport/dns-listeners.js';

export interface ServerAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

export interface ServerAddresses {
  readonly udp: ServerAddress;
  readonly tcp: ServerAddress;
}

/** What one reload did. */
export interface ReloadReport {
  readonly changed: boolean;
  readonly durationMs: number;
  readonly diagnostics: readonly string[];
  readonly counts: Registry['counts'] | undefined;
}

export interface DnsServer {
  /** Loads the registry and binds UDP and TCP; resolves with the bound addresses (port 0 works). */
  start(): Promise<ServerAddresses>;
  /** Closes every socket, watcher and timer. */
  stop(): Promise<void>;
  /** Re-reads the zones and swaps in the new registry if the content changed. */
  reload(): Promise<ReloadReport>;
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
  const log = (input.logger ?? silentLogger()).child({ component: 'server' });
  const now = input.now ?? Date.now;
  const registryRef = createRegistryRef();
  let served: ReadonlyMap<string, ServedFile> = new Map();
  let listeners: DnsListeners | undefined;
  let addresses: ServerAddresses | undefined;
  let lastSerial = 0;

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

  /** A serial that grows with every content change (RFC 1982 arithmetic is not needed at this rate). */
  function nextSerial(): number {
    lastSerial = Math.max(lastSerial + 1, Math.floor(now() / 1000));
    return lastSerial >>> 0;
  }

  async function reload(first = false): Promise<ReloadReport> {
    const started = performance.now();
    const results = await readZones(options.zones);
    const update = updateZoneFileSet(served, results);
    const messages = update.diagnostics.map(formatDiagnostic);
    for (const d of update.diagnostics) logDiagnostic(d);
    if (first && options.strict && update.rejected.length > 0) {
      throw new ClusterDnsError('REGISTRY_INVALID', `registry has errors (--strict): ${messages.filter((m) => !m.includes('warning:')).join('; ')}`);
    }
    let changed = false;
    if (update.changed || !registryRef.current()) {
      const built = buildRegistry([...update.served.values()].map((f) => f.input), {
        clusterDomain: options.clusterDomain,
        ttl: options.ttl,
        serial: nextSerial(),
      });
      for (const d of built.diagnostics) logDiagnostic(d);
      messages.push(...built.diagnostics.map(formatDiagnostic));
      served = update.served;
      registryRef.swap(built.registry);
      changed = true;
    }
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const counts = registryRef.current()?.counts;
    log.info({ changed, durationMs, files: served.size, rejected: update.rejected, ...counts }, first ? 'registry loaded' : 'registry reloaded');
    return { changed, durationMs, diagnostics: messages, counts };
  }

  function logDiagnostic(d: Diagnostic): void {
    const line = formatDiagnostic(d);
    if (d.severity === 'error') log.error({ file: d.file, line: d.line, field: d.field }, line);
    else log.warn({ file: d.file, line: d.line, field: d.field }, line);
  }

  return {
    async start() {
      if (listeners) throw new ClusterDnsError('SERVER_STATE', 'server already started');
      await reload(true);
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
      upstreamClient?.close();
      if (current) await current.close();
    },
    reload: () => reload(false),
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
