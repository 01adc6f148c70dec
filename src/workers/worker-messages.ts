/** The IPC messages between the primary of `--workers` and its worker processes (node:cluster, advanced serialization). */
import type { PeerReport } from '../http/metrics.js';
import type { DnsServerOptions } from '../options.js';
import type { LogFormat } from '../log.js';
import type { ServerAddresses } from '../server.js';
import type { SocketSharing } from '../transport/dns-listeners.js';
import type { RegistryDelta } from '../registry/registry-delta.js';
import type { SnapshotBytes } from './snapshot-transfer.js';

/** What a worker needs to answer: the DNS options of the command line, less what only the primary runs. */
export interface WorkerConfig {
  /** 1…N: the worker's place in the group; its replacement gets the same slot. */
  readonly slot: number;
  readonly options: DnsServerOptions;
  readonly logFormat: LogFormat;
  readonly sharing: SocketSharing;
  /** The primary's `server` label, so every process's series add up under one label set; undefined when its HTTP is off (nothing to count for). */
  readonly serverLabel: string | undefined;
}

/** Primary → worker. */
export type ToWorker =
  | { readonly type: 'start'; readonly config: WorkerConfig }
  /**
   * A published registry snapshot, serialized once in the primary whatever the number of workers
   * (snapshot-transfer.ts; without `inputs`, which only explain reads, in the primary), with only
   * the chunks this worker does not hold from the snapshot it last acknowledged. One at a time:
   * the next is sent when this one is acknowledged.
   */
  | { readonly type: 'snapshot'; readonly generation: number; readonly snapshot: SnapshotBytes }
  /**
   * What changed from generation `from` (the one the worker serves) to `generation`: sent instead of
   * a snapshot when the primary still holds every delta in between. A worker serving another
   * generation answers `resync` and gets a whole snapshot.
   */
  | { readonly type: 'delta'; readonly from: number; readonly generation: number; readonly delta: RegistryDelta }
  /** Asks for the worker's metrics; answered with a `report` of the same id. */
  | { readonly type: 'report'; readonly id: number }
  /** Close the sockets (in-flight TCP queries finish) and exit 0: the lame duck already happened in the primary. */
  | { readonly type: 'stop' };

/** Worker → primary. */
export type FromWorker =
  /** Sent first: the worker's listener is up (messages sent before it would be lost). */
  | { readonly type: 'hello' }
  | { readonly type: 'listening'; readonly addresses: ServerAddresses }
  | { readonly type: 'failed'; readonly message: string; readonly code: string | undefined }
  /** The snapshot of this generation is the one queries are answered from now. */
  | { readonly type: 'ack'; readonly generation: number }
  /** A chunk was neither sent nor held (it should not happen): send the whole snapshot. */
  | { readonly type: 'resync'; readonly generation: number }
  | { readonly type: 'report'; readonly id: number; readonly report: PeerReport };
