/**
 * Entry of one `--workers` worker process (forked by node:cluster): answers DNS on the shared port
 * from the registry snapshots the primary sends, with its own resolver, upstream client and reply
 * cache, and reports its counters when the primary is scraped. It never outlives the primary.
 */
import { closeLog, createLogger, type Logger } from '../log.js';
import { createServerMetrics } from '../http/metrics.js';
import { resolveOptions } from '../options.js';
import { createRegistryRef } from '../registry/registry-ref.js';
import { createRoleServer, type DnsServer } from '../server.js';
import { applyDelta, createChangeLog } from '../registry/registry-delta.js';
import { decodeSnapshot, MissingChunkError, type ChunkStore } from './snapshot-transfer.js';
import { newestOnly } from './newest-only.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker-messages.js';

const send = (message: FromWorker): void => {
  if (process.connected) process.send!(message);
};

// The primary decides when to stop: a terminal's Ctrl-C, a closed terminal's SIGHUP or systemd's
// SIGTERM to the whole group must not take workers down before the primary's lame duck is over.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
// No orphans: when the primary goes (exit, crash, SIGKILL), its IPC channel closes and so do we.
process.on('disconnect', () => process.exit(0));

const registry = createRegistryRef();
let server: DnsServer | undefined;
let logger: Logger | undefined;
let metrics: ReturnType<typeof createServerMetrics> | undefined;

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start':
      void start(message.config);
      return;
    case 'snapshot':
      void takeSnapshot(message);
      return;
    case 'delta':
      takeDelta(message);
      return;
    case 'report':
      void report(message.id);
      return;
    case 'stop':
      void stop();
      return;
  }
});
send({ type: 'hello' });

async function start(config: WorkerConfig): Promise<void> {
  logger = createLogger({ level: (config.options.logLevel ?? 'info') as 'info', format: config.logFormat }).child({ worker: config.slot, pid: process.pid });
  metrics = config.serverLabel === undefined ? undefined : createServerMetrics(config.serverLabel, resolveOptions(config.options).clusterDomain, { processMetrics: false });
  try {
    server = createRoleServer({ ...config.options, logger }, { kind: 'worker', registry, metrics, sharing: config.sharing });
    const addresses = await server.start();
    logger.debug({ udp: addresses.udp, tcp: addresses.tcp, sharing: config.sharing }, 'worker listening');
    send({ type: 'listening', addresses });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code });
    exit(1);
  }
}

/**
 * One snapshot is read at a time (the primary sends the next only after the ack); the chunks of
 * the one served are kept for the next, which is sent without them.
 */
let store: ChunkStore = new Map();
/** The generation queries are answered from (0: none yet), and the change log deltas feed the memos. */
let serving = 0;
const changeLog = createChangeLog();

/** A delta is applied at once, between two queries, to the registry served: its memos keep the rest. */
function takeDelta(message: Extract<ToWorker, { type: 'delta' }>): void {
  const current = registry.current();
  if (!current || message.from !== serving) {
    logger?.warn({ generation: message.generation, from: message.from, serving }, 'registry delta for another generation; asking for all of it');
    send({ type: 'resync', generation: message.generation });
    return;
  }
  const started = performance.now();
  registry.swap(applyDelta(current, message.delta, changeLog));
  serving = message.generation;
  // The chunks of the last snapshot would pin the names the delta replaced: let them go (the
  // primary forgets them too, so a later snapshot is sent whole).
  store = new Map();
  send({ type: 'ack', generation: message.generation });
  logger?.debug({ generation: message.generation, names: message.delta.entries.names.length, applyMs: Math.round((performance.now() - started) * 100) / 100 }, 'registry delta applied');
}

const takeSnapshot = newestOnly(async (current: Extract<ToWorker, { type: 'snapshot' }>) => {
  const started = performance.now();
  let decoded: Awaited<ReturnType<typeof decodeSnapshot>>;
  try {
    decoded = await decodeSnapshot(current.snapshot, store);
  } catch (error) {
    if (!(error instanceof MissingChunkError)) throw error;
    logger?.warn({ err: error, generation: current.generation }, 'registry snapshot incomplete; asking for all of it');
    store = new Map();
    send({ type: 'resync', generation: current.generation });
    return;
  }
  store = decoded.store;
  // Swapped whole, as the publisher does in one process: a query sees the old or the new one.
  registry.swap(decoded.registry);
  serving = current.generation;
  send({ type: 'ack', generation: current.generation });
  logger?.debug({ generation: current.generation, chunksSent: current.snapshot.chunks.size, chunks: store.size, readMs: Math.round((performance.now() - started) * 10) / 10 }, 'registry received');
});

async function report(id: number): Promise<void> {
  if (!metrics || !server) return; // the primary asks only when its HTTP is on
  metrics.setCache(server.cacheStats());
  metrics.setUdpStats(server.udpStats());
  send({ type: 'report', id, report: await metrics.peerReport() });
}

async function stop(): Promise<void> {
  try {
    await server?.stop({ graceMs: 0 });
  } finally {
    exit(0);
  }
}

/** Lets the log finish (closeLog waits for a write in flight), then exits; a stuck log cannot hold the process. */
function exit(code: number): void {
  setTimeout(() => process.exit(code), 500).unref();
  void closeLog(logger).then(() => process.exit(code));
}
