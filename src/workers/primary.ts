/**
 * The primary of `--workers N`: one process runs the sources, the publisher (one build per change),
 * HTTP and signals, and N worker processes (node:cluster) answer DNS on one address and port. Each
 * published snapshot is serialized once and sent to every worker, which swaps it and acknowledges;
 * readiness waits for every worker to serve the latest one. A worker that dies is replaced, with a
 * backoff so a crash loop does not spin; a worker never outlives the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { ClusterDnsError, type ErrorCode } from '../errors.js';
import type { ServerMetrics } from '../http/metrics.js';
import type { Logger, LogFormat } from '../log.js';
import { resolveOptions } from '../options.js';
import type { Registry } from '../registry/registry.js';
import { createRoleServer, type CreateDnsServerOptions, type DnsServer, type ServerAddresses } from '../server.js';
import type { DnsListeners, SocketSharing } from '../transport/dns-listeners.js';
import { chooseUdpEngine } from '../transport/native-addon.js';
import { composeDeltas, type RegistryDelta } from '../registry/registry-delta.js';
import { bytesFor, chunkIds, encodeSnapshot, type EncodedSnapshot } from './snapshot-transfer.js';
import { assertPortFree, detectSocketSharing } from './socket-sharing.js';
import { newestOnly } from './newest-only.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker-messages.js';

export interface WorkersOptions {
  readonly logFormat: LogFormat;
  /** The worker entry; default the compiled `worker-process.js` beside this file. */
  readonly workerEntry?: string;
}

/** Deltas held for workers that are behind; one further behind gets a snapshot. */
const MAX_DELTAS = 64;
/** A worker that has not acknowledged a snapshot this long is hung: it is killed and replaced. */
const ACK_TIMEOUT_MS = 60_000;
/** A worker that does not answer a metrics request this long keeps its last report. */
const REPORT_TIMEOUT_MS = 1_000;
/** Time a stopping worker gets to close (in-flight TCP queries get 1 s) before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Restart delays after crashes in a row: 0.5 s doubling to 30 s; a worker up this long resets it. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_AFTER_MS = 10_000;

/**
 * After a worker exits: how many crashes in a row its slot has now, and how long to wait before
 * the replacement. A worker that ran HEALTHY_AFTER_MS is replaced at once (a one-off crash); one
 * that keeps dying soon after it starts waits 0.5 s, 1 s, 2 s … 30 s, so a crash loop cannot spin.
 */
export function restartDelay(previousFailures: number, upMs: number): { failures: number; delayMs: number } {
  const failures = upMs >= HEALTHY_AFTER_MS ? 1 : previousFailures + 1;
  return { failures, delayMs: failures <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 2)) };
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  /** The worker's message listener is up: it may be sent its configuration and snapshots. */
  hello: boolean;
  listening: boolean;
  /** The latest snapshot generation this slot's worker acknowledged. */
  acked: number;
  /** The chunks of the snapshot it acknowledged: what it need not be sent again. */
  known: ReadonlySet<string>;
  /** The generation sent and not yet acknowledged (0: none), and its chunks. */
  inFlight: number;
  inFlightChunks: ReadonlySet<string>;
  startedAt: number;
  /** Asked for everything (a delta or chunk it could not use): the next send is a whole snapshot. */
  needsFull: boolean;
  /** Crashes in a row (for the backoff). */
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  ackTimer: NodeJS.Timeout | undefined;
  /** The worker that had this slot exited: retire its counters at the next scrape. */
  retire: boolean;
}

/** A DnsServer whose DNS is answered by `workers` processes (the CLI's `--workers N`, N > 1). */
export function createWorkersServer(input: CreateDnsServerOptions & { readonly logger: Logger }, workersOptions: WorkersOptions): DnsServer {
  const options = resolveOptions(input);
  const count = options.workers;
  const log = input.logger.child({ component: 'workers' });
  const entry = workersOptions.workerEntry ?? fileURLToPath(new URL('./worker-process.js', import.meta.url));
  const serverLabel = `dns://${options.host}:${options.port}`;
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1, worker: undefined, hello: false, listening: false, acked: 0, known: new Set(), inFlight: 0, inFlightChunks: new Set(), needsFull: false, startedAt: 0, failures: 0, restartTimer: undefined, ackTimer: undefined, retire: false,
  }));
  let sharing: SocketSharing = 'cluster';
  /** The port every worker after the first binds (the first may have asked for port 0). */
  let bindPort = options.port;
  let addresses: ServerAddresses | undefined;
  let generation = 0;
  let latest: { generation: number; encoded: EncodedSnapshot } | undefined;
  /** The registry published last, and what each recent generation changed (absent: built whole). */
  let current: Registry | undefined;
  const deltas = new Map<number, RegistryDelta>();
  /** The last registry published was built whole (or none was): the next delta is relative to the live maps, not to it. */
  let afterWhole = true;
  /** The newest generation an encoding was asked for. */
  let encodingFor = 0;
  let stopping = false;
  let settleWaiters: { generation: number; resolve: () => void }[] = [];
  let reportSeq = 0;
  const reportWaiters = new Map<number, (report: Extract<FromWorker, { type: 'report' }>['report']) => void>();
  let restartCount = 0;
  let restartsReported = 0;

  // The DNS options a worker answers with; the sources, HTTP and the Kubernetes client stay here.
  const { logger: _logger, now: _now, kubernetes: _kubernetes, zones: _zones, http: _http, httpToken: _token, httpOptional: _optional, workers: _workers, watch: _watch, strict: _strict, ...dnsOptions } = input;
  const configFor = (slot: Slot): WorkerConfig => ({
    slot: slot.index,
    options: { ...dnsOptions, port: bindPort, zones: [], http: 'off' },
    logFormat: workersOptions.logFormat,
    sharing,
    serverLabel: options.http === 'off' ? undefined : serverLabel,
  });

  function fork(slot: Slot): Worker {
    cluster.setupPrimary({ exec: entry, args: [], serialization: 'advanced', silent: false });
    const worker = cluster.fork();
    slot.worker = worker;
    slot.hello = false;
    slot.listening = false;
    slot.acked = 0;
    slot.known = new Set();
    slot.inFlight = 0;
    slot.needsFull = false;
    slot.startedAt = Date.now();
    worker.on('message', (message: FromWorker) => onMessage(slot, worker, message));
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
    // A failed send means the worker is already gone; 'exit' handles that.
    worker.on('error', (error) => log.warn({ err: error, worker: slot.index }, 'worker IPC error'));
    return worker;
  }

  function send(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  /** What changed from generation `from` to the newest, if every delta in between is held. */
  function deltaSince(from: number): RegistryDelta | undefined {
    if (from === 0) return undefined;
    const list: RegistryDelta[] = [];
    for (let g = from + 1; g <= generation; g++) {
      const delta = deltas.get(g);
      if (!delta) return undefined;
      list.push(delta);
    }
    return list.length > 0 ? composeDeltas(list) : undefined;
  }

  /**
   * Brings a worker up to date unless something is in flight to it: the changes since the
   * generation it serves when they are all held (a change costs the change), else the latest
   * encoded snapshot less the chunks the worker holds (encoding it first if need be).
   */
  function sendSnapshot(slot: Slot): void {
    const worker = slot.worker;
    if (!worker || !slot.hello || slot.inFlight !== 0 || slot.acked >= generation) return;
    const delta = slot.needsFull ? undefined : deltaSince(slot.acked);
    if (delta) {
      send(worker, { type: 'delta', from: slot.acked, generation, delta });
      slot.inFlight = generation;
      slot.inFlightChunks = new Set(); // the worker drops its snapshot chunks once it applies a delta
      log.debug({ worker: slot.index, generation, from: slot.acked, names: delta.entries.names.length }, 'registry delta sent');
      clearTimeout(slot.ackTimer);
      armAckTimer(slot, worker);
      return;
    }
    // Under constant churn an older snapshot is sent as it is; the deltas after it follow.
    if (!latest || latest.generation <= slot.acked) {
      // One encoding per generation, however many workers wait for it.
      if (current && encodingFor < generation) {
        encodingFor = generation;
        encodeAndSend({ registry: current, generation }).catch((error: unknown) => log.error({ err: error }, 'registry snapshot could not be sent to the workers'));
      }
      return;
    }
    const snapshot = bytesFor(latest.encoded, slot.known);
    send(worker, { type: 'snapshot', generation: latest.generation, snapshot });
    slot.inFlight = latest.generation;
    slot.inFlightChunks = chunkIds(latest.encoded);
    slot.needsFull = false;
    log.debug({ worker: slot.index, generation: latest.generation, chunks: snapshot.chunks.size, bytes: [...snapshot.chunks.values()].reduce((n, b) => n + b.byteLength, snapshot.head.byteLength) }, 'registry snapshot sent');
    clearTimeout(slot.ackTimer);
    armAckTimer(slot, worker);
  }

  /** Behind the latest snapshot with no ack for ACK_TIMEOUT_MS: hung, so replaced. Any ack restarts the clock. */
  function armAckTimer(slot: Slot, worker: Worker): void {
    slot.ackTimer = setTimeout(() => {
      slot.ackTimer = undefined;
      if (slot.worker === worker && slot.acked < generation) {
        log.error({ worker: slot.index, pid: worker.process.pid, generation, acked: slot.acked, timeoutMs: ACK_TIMEOUT_MS }, 'worker took no registry snapshot for too long; killing it to replace it');
        worker.process.kill('SIGKILL');
      }
    }, ACK_TIMEOUT_MS);
  }

  /** One snapshot encoded at a time; of those published meanwhile only the newest is encoded next. */
  const encodeAndSend = newestOnly(async (current: { registry: Registry; generation: number }) => {
    if (stopping) return;
    const started = performance.now();
    const encoded = await encodeSnapshot(current.registry);
    if (stopping) return;
    latest = { generation: current.generation, encoded };
    const bytes = [...encoded.chunks.values()].reduce((sum, b) => sum + b.byteLength, encoded.head.byteLength);
    log.debug({ generation: current.generation, bytes, chunks: encoded.chunks.size, encodeMs: Math.round((performance.now() - started) * 10) / 10 }, 'registry encoded for the workers');
    for (const slot of slots) sendSnapshot(slot);
  });

  function onMessage(slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return;
    switch (message.type) {
      case 'hello':
        // IPC messages sent before the worker's listener is up would be lost: configure it now.
        slot.hello = true;
        send(worker, { type: 'start', config: configFor(slot) });
        sendSnapshot(slot);
        return;
      case 'listening': {
        slot.listening = true;
        const port = message.addresses.udp.port;
        if (addresses && port !== addresses.udp.port) {
          log.error({ worker: slot.index, port, expected: addresses.udp.port }, 'replacement worker listens on another port (every worker had died and the shared port was released)');
        }
        log.info({ worker: slot.index, pid: worker.process.pid, port, sharing }, 'worker listening');
        listeningWaiters.get(slot)?.resolve(message.addresses);
        return;
      }
      case 'failed':
        listeningWaiters.get(slot)?.reject(new ClusterDnsError((message.code ?? 'BIND_FAILED') as ErrorCode, message.message));
        return;
      case 'ack':
        slot.acked = Math.max(slot.acked, message.generation);
        if (message.generation === slot.inFlight) {
          slot.known = slot.inFlightChunks;
          slot.inFlight = 0;
        }
        clearTimeout(slot.ackTimer);
        slot.ackTimer = undefined;
        checkSettled();
        sendSnapshot(slot); // the newest, if it moved on meanwhile
        return;
      case 'resync':
        slot.known = new Set();
        slot.inFlight = 0;
        slot.needsFull = true;
        sendSnapshot(slot);
        return;
      case 'report':
        reportWaiters.get(message.id)?.(message.report);
        return;
    }
  }

  function onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.listening = false;
    slot.retire = true;
    clearTimeout(slot.ackTimer);
    slot.ackTimer = undefined;
    listeningWaiters.get(slot)?.reject(new ClusterDnsError('BIND_FAILED', `worker ${slot.index} exited before it listened (code ${code}, signal ${signal})`));
    checkSettled();
    if (stopping) return;
    const upMs = Date.now() - slot.startedAt;
    const { failures, delayMs } = restartDelay(slot.failures, upMs);
    slot.failures = failures;
    log.error({ worker: slot.index, pid: worker.process.pid, code, signal, upMs, restartInMs: delayMs }, 'worker exited; starting a replacement');
    restartCount++;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!stopping) fork(slot);
    }, delayMs);
  }

  /** Resolves the waiters whose generation every live worker has acknowledged. */
  function checkSettled(): void {
    const lowest = Math.min(...slots.filter((s) => s.worker).map((s) => s.acked));
    const done = settleWaiters.filter((w) => lowest >= w.generation);
    settleWaiters = settleWaiters.filter((w) => lowest < w.generation);
    for (const w of done) w.resolve();
  }

  const listeningWaiters = new Map<Slot, { resolve: (a: ServerAddresses) => void; reject: (e: Error) => void }>();
  function listening(slot: Slot): Promise<ServerAddresses> {
    return new Promise<ServerAddresses>((resolve, reject) => {
      listeningWaiters.set(slot, { resolve, reject });
      fork(slot);
    }).finally(() => listeningWaiters.delete(slot));
  }

  async function stopWorkers(): Promise<void> {
    stopping = true;
    const exits: Promise<void>[] = [];
    for (const slot of slots) {
      clearTimeout(slot.restartTimer);
      clearTimeout(slot.ackTimer);
      const worker = slot.worker;
      if (!worker) continue;
      exits.push(
        new Promise<void>((resolve) => {
          if (worker.process.exitCode !== null || worker.process.signalCode !== null) return resolve();
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          // A worker that has not said hello yet cannot hear "stop" and has nothing to finish.
          if (slot.hello) send(worker, { type: 'stop' });
          else worker.process.kill('SIGKILL');
        }),
      );
    }
    await Promise.all(exits);
    for (const w of settleWaiters.splice(0)) w.resolve();
  }

  // Whatever ends the primary (a second signal's exit, an uncaught error) ends the workers with it;
  // they also exit by themselves when the IPC channel closes.
  process.on('exit', () => {
    for (const slot of slots) slot.worker?.process.kill('SIGKILL');
  });

  return createRoleServer(input, {
    kind: 'primary',
    async serveDns(): Promise<DnsListeners> {
      sharing = await detectSocketSharing(options.host);
      // The native engine gives every worker its own SO_REUSEPORT socket, on Node 20 too (the
      // workers choose as this process does: the same addon on the same machine).
      const udpEngine = chooseUdpEngine(options.udpEngine).engine;
      const ownSockets = sharing === 'reuse-port' || udpEngine === 'native';
      try {
        if (ownSockets && options.port !== 0) await assertPortFree(options.host, options.port);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
        throw new ClusterDnsError('BIND_FAILED', `cannot listen on ${options.host}:${options.port}: ${reason}`, { cause: error });
      }
      try {
        // The first worker picks the port (port 0 works); the rest bind that one: with reusePort
        // by number, with the cluster's shared UDP handle by the same key (the port asked for).
        const first = await listening(slots[0]!);
        addresses = first;
        if (ownSockets) bindPort = first.udp.port;
        await Promise.all(slots.slice(1).map((slot) => listening(slot)));
      } catch (error) {
        await stopWorkers();
        throw error;
      }
      log.info({ workers: count, sharing, udpEngine, pids: slots.map((s) => s.worker?.process.pid) }, 'workers listening');
      const bound = addresses;
      return {
        addresses: bound,
        close: () => stopWorkers(),
        tcpConnections: () => 0,
        udpEngine,
        udpStats: () => undefined,
      };
    },
    ready: () => generation > 0 && slots.every((s) => s.worker !== undefined && s.listening && s.acked >= generation),
    settled() {
      if (generation === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        settleWaiters.push({ generation, resolve });
        checkSettled();
      });
    },
    publish(registry: Registry, delta?: RegistryDelta) {
      // The generation moves now, so settled() and ready() wait for this snapshot from this moment.
      generation++;
      current = registry;
      if (delta && !afterWhole) deltas.set(generation, delta);
      else deltas.clear(); // built whole, or the first after one: nothing before it composes with what follows
      afterWhole = delta === undefined;
      deltas.delete(generation - MAX_DELTAS);
      // Workers that serve a recent generation get the delta; the others a snapshot, encoded on demand.
      for (const slot of slots) sendSnapshot(slot);
    },
    async gather(metrics: ServerMetrics) {
      const restarts = metrics.counter('cluster_dns_worker_restarts_total', 'Worker processes (--workers) that exited and were replaced.');
      restarts.inc(undefined, restartCount - restartsReported);
      restartsReported = restartCount;
      await Promise.all(
        slots.map(async (slot) => {
          if (slot.retire) {
            slot.retire = false;
            metrics.setPeer(slot.index, undefined);
          }
          const worker = slot.worker;
          if (!worker || !slot.listening) return;
          const id = ++reportSeq;
          const report = await new Promise<Extract<FromWorker, { type: 'report' }>['report'] | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), REPORT_TIMEOUT_MS);
            reportWaiters.set(id, (r) => {
              clearTimeout(timer);
              resolve(r);
            });
            send(worker, { type: 'report', id });
          }).finally(() => reportWaiters.delete(id));
          if (report && slot.worker === worker) metrics.setPeer(slot.index, report);
        }),
      );
    },
  });
}
