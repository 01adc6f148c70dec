/** Binds the DNS listeners (UDP and TCP on one port) with the chosen UDP engine, the limits, and their errors logged and counted. */
import { ClusterDnsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ResolvedOptions } from '../options.js';
import type { ServerMetrics } from '../http/metrics.js';
import { createDnsListeners, type DnsListeners, type ListenerOptions, type SocketSharing } from '../transport/dns-listeners.js';
import { chooseUdpEngine, loadNativeUdpAddon } from '../transport/native-addon.js';
import type { PacketHandler } from '../transport/packet-handler.js';
import { bindFailed } from './bind-failure.js';

export interface DnsListeningDeps {
  readonly handler: PacketHandler;
  readonly filterUdpReply: ListenerOptions['filterUdpReply'];
  /** A --workers primary's: starts the workers, which bind; this process binds nothing itself. */
  readonly serveDns: (() => Promise<DnsListeners>) | undefined;
  /** A --workers worker's: how its sockets share the port. */
  readonly sharing: SocketSharing | undefined;
  /** Logs a fallback to node:dgram; false in a --workers worker, whose primary says it once. */
  readonly reportsEngine: boolean;
  readonly metrics: ServerMetrics | undefined;
  readonly log: Pick<Logger, 'info'>;
  readonly rateLimited: Pick<Logger, 'error' | 'warn'>;
}

/** Listens on `host:port`; rejects with BIND_FAILED naming the address (or the native engine) when it cannot. */
export async function listenDns(options: ResolvedOptions, deps: DnsListeningDeps): Promise<DnsListeners> {
  const { metrics, rateLimited } = deps;
  try {
    const udp = chooseUdpEngine(options.udpEngine);
    if (udp.unavailable) throw new ClusterDnsError('BIND_FAILED', `cannot use --udp-engine native: ${udp.unavailable}`);
    if (udp.fallback && deps.reportsEngine) deps.log.info({ udpEngine: 'dgram', reason: udp.fallback }, 'UDP on node:dgram: the native engine is not available');
    const nativeUdp = udp.engine === 'native' ? loadNativeUdpAddon() : undefined;
    if (deps.serveDns) return await deps.serveDns();
    return await createDnsListeners({
      ...(deps.sharing !== undefined ? { sharing: deps.sharing } : {}),
      ...(nativeUdp && 'addon' in nativeUdp ? { nativeUdp: nativeUdp.addon } : {}),
      host: options.host,
      port: options.port,
      handler: deps.handler,
      maxTcpConnections: options.tcpMaxConnections,
      maxTcpInFlight: options.tcpMaxInFlight,
      tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
      tcpBusyIdleTimeoutMs: options.tcpBusyIdleTimeoutMs,
      tcpSlowTimeoutMs: options.tcpSlowTimeoutMs,
      maxTcpBufferedBytes: options.tcpMaxBufferedBytes,
      ...(deps.filterUdpReply ? { filterUdpReply: deps.filterUdpReply } : {}),
      onError: (error, meta) => rateLimited.error({ err: error, transport: meta.transport }, 'listener error'),
      onLimit: (kind) => {
        metrics?.observeLimit(kind);
        rateLimited.warn({ limit: kind }, `limit reached: ${kind}`); // one rate-limit key per kind
      },
    });
  } catch (error) {
    if (error instanceof ClusterDnsError) throw error; // a worker's own bind failure, already worded
    throw bindFailed(`${options.host}:${options.port}`, error);
  }
}
