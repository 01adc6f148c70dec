/**
 * Parses a large registry file in a worker thread, so the main thread keeps answering queries while
 * it parses. The file's bytes move to the worker without a copy; the slim result comes back in
 * small parts (each deserialised between queries); the worker exits, and its heap goes with it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';

/** Files from this size on are parsed off the main thread (YAML parses at a few MB/s). */
export const OFF_THREAD_BYTES = 128 * 1024;

/** A young generation this large keeps the parse from spending most of its time in the scavenger. */
const WORKER_YOUNG_GENERATION_MB = 32;
/** A worker that needs more than this is stopped (the file gets a diagnostic), not the process. */
const WORKER_OLD_GENERATION_MB = 2048;

/** Every list a RegistryInput has, in the order the worker sends them. */
export const INPUT_FIELDS = ['namespaces', 'services', 'endpointGroups', 'pods', 'workloads', 'hostObjects'] as const satisfies readonly (keyof RegistryInput)[];

export interface ParseRequest {
  readonly file: string;
  readonly bytes: ArrayBuffer;
}

export type ParseReply =
  | { readonly type: 'part'; readonly field: keyof RegistryInput; readonly items: readonly unknown[] }
  | { readonly type: 'diagnostics'; readonly items: readonly Diagnostic[] }
  | { readonly type: 'done'; readonly contentHash: string; readonly syntaxError: boolean };

export interface OffThreadResult {
  readonly contentHash: string;
  /** A syntax error, or the worker failed: the file is one unit for errors. */
  readonly syntaxError: boolean;
  readonly input: RegistryInput;
  readonly diagnostics: readonly Diagnostic[];
}

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);
let workerExists: boolean | undefined;

/**
 * Resolves with the converted file, or undefined when there is no compiled worker (under a
 * TypeScript test runner): the caller then parses in-line. A worker that fails or runs out of
 * memory gives a diagnostic; parsing in-line instead could take the server down.
 */
export function parseOffThread(file: string, bytes: Buffer): Promise<OffThreadResult | undefined> {
  workerExists ??= existsSync(fileURLToPath(WORKER_URL));
  if (!workerExists) return Promise.resolve(undefined);
  // Transfer needs a buffer of its own; readFile of a large file returns exactly that.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
  const arrayBuffer = own.buffer as ArrayBuffer;
  return new Promise((resolve) => {
    const input: Record<keyof RegistryInput, unknown[]> = { namespaces: [], services: [], endpointGroups: [], pods: [], workloads: [], hostObjects: [] };
    const diagnostics: Diagnostic[] = [];
    let settled = false;
    const settle = (result: OffThreadResult | undefined) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const failed = (message: string): OffThreadResult => ({
      contentHash: '',
      syntaxError: true,
      input: { namespaces: [], services: [], endpointGroups: [], pods: [] },
      diagnostics: [{ severity: 'error', file, line: 0, field: '', message }],
    });
    let worker: Worker;
    try {
      worker = new Worker(WORKER_URL, {
        workerData: { file, bytes: arrayBuffer } satisfies ParseRequest,
        transferList: [arrayBuffer],
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
        stdout: false,
        stderr: false,
      });
    } catch (error) {
      return settle(failed(`cannot start a parse worker: ${(error as Error).message}`));
    }
    worker.on('message', (reply: ParseReply) => {
      if (reply.type === 'part') for (const item of reply.items) input[reply.field].push(item);
      else if (reply.type === 'diagnostics') for (const d of reply.items) diagnostics.push(d);
      else {
        settle({ contentHash: reply.contentHash, syntaxError: reply.syntaxError, input: input as unknown as RegistryInput, diagnostics });
        void worker.terminate();
      }
    });
    worker.once('error', (error: Error & { code?: string }) => {
      settle(failed(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `parsing needs more than ${WORKER_OLD_GENERATION_MB} MiB of memory; not loaded` : `parse worker failed: ${error.message}`));
    });
    worker.once('exit', (code) => settle(failed(`parse worker exited with code ${code}`)));
  });
}
