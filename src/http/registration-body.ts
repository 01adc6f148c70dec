/**
 * Bounds on a registration body before the registry parses it: a size cap (413),
 * a nesting cap checked by a linear scan (400 with the line), and, for bodies large enough to hurt,
 * a trial parse in a worker thread with a capped heap and a time budget, so a hostile body (deep or
 * huge YAML) costs the worker its heap and never the query path or the server's memory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { measureNesting } from './body-nesting.js';
import type { BodyCheckReply } from './body-check-worker.js';

export interface BodyLimits {
  /** Largest body in bytes; larger is 413. Default 8 MiB. */
  readonly maxBytes?: number;
  /** Deepest nesting (collections inside collections); deeper is 400. Default 64. */
  readonly maxDepth?: number;
  /** Bodies from this many bytes on get a trial parse in a worker first. Default 64 KiB. */
  readonly trialParseFromBytes?: number;
  /** Heap of the trial parse; a body that needs more is 413. Default 64 MB. */
  readonly trialHeapMb?: number;
  /** Time the trial parse may take; longer is 413. Default 60000 ms. */
  readonly trialTimeoutMs?: number;
}

export const BODY_DEFAULTS = { maxBytes: 8 * 1024 * 1024, maxDepth: 64, trialParseFromBytes: 64 * 1024, trialHeapMb: 64, trialTimeoutMs: 60_000 } as const;

/** What the edge answers for a body that may not be parsed; undefined means go ahead. */
export interface BodyRefusal {
  readonly status: 400 | 413 | 503;
  /** As the registry's own rejections: `diagnostics` are `file:line: message` lines. */
  readonly body: { readonly error: string; readonly diagnostics?: readonly string[] };
}

const workerUrl = new URL('./body-check-worker.js', import.meta.url);
// Under a TypeScript test runner the compiled worker does not exist: then only the scan runs.
const workerAvailable = existsSync(fileURLToPath(workerUrl));

/** Checks a body already read within `maxBytes`; one trial parse runs at a time, one waits. */
export function createBodyChecker(limits: BodyLimits = {}): (text: string) => Promise<BodyRefusal | undefined> {
  const maxDepth = limits.maxDepth ?? BODY_DEFAULTS.maxDepth;
  const trialFrom = limits.trialParseFromBytes ?? BODY_DEFAULTS.trialParseFromBytes;
  const heapMb = limits.trialHeapMb ?? BODY_DEFAULTS.trialHeapMb;
  const timeoutMs = limits.trialTimeoutMs ?? BODY_DEFAULTS.trialTimeoutMs;
  let running: Promise<unknown> = Promise.resolve();
  let waiting = 0;

  const tooDeep = (line: number): BodyRefusal => ({
    status: 400,
    body: { error: 'registration rejected', diagnostics: [`body:${line}: nesting deeper than ${maxDepth} levels (collections inside collections); no registry object needs that`] },
  });
  return async (text) => {
    // A large body is scanned in the trial worker too (the scan is linear, but 8 MiB of it held
    // the event loop for a third of a second); a small one here.
    const trial = workerAvailable && Buffer.byteLength(text) >= trialFrom;
    if (!trial) {
      const nesting = measureNesting(text, maxDepth);
      return nesting.line !== undefined ? tooDeep(nesting.line) : undefined;
    }
    // Two trial parses at once would double the memory a flood of large bodies can take.
    if (waiting >= 1) return { status: 503, body: { error: 'another large registration body is being checked; retry shortly' } };
    waiting++;
    const previous = running;
    const mine = previous.then(() => trialParse(text, maxDepth, heapMb, timeoutMs));
    running = mine.catch(() => {});
    await previous;
    waiting--;
    const outcome = await mine;
    if (outcome === 'ok') return undefined;
    if (typeof outcome === 'object' && 'deeperAt' in outcome) return tooDeep(outcome.deeperAt);
    if (typeof outcome === 'object') return { status: 400, body: { error: `body could not be parsed: ${outcome.failed}` } };
    const why = outcome === 'heap' ? `needs more than ${heapMb} MB of heap to parse` : `took longer than ${timeoutMs} ms to parse`;
    return { status: 413, body: { error: `body ${why}; send it in smaller parts (JSON parses with the least memory)` } };
  };
}

type TrialOutcome = 'ok' | 'heap' | 'time' | { readonly failed: string } | { readonly deeperAt: number };

function trialParse(text: string, maxDepth: number, heapMb: number, timeoutMs: number): Promise<TrialOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(workerUrl, {
      workerData: { text, maxDepth },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(heapMb / 4)) },
    });
    let settled = false;
    const settle = (outcome: TrialOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    // A server-side budget, not a test bound: a quadratic parse must not hold a core for minutes.
    const timer = setTimeout(() => settle('time'), timeoutMs);
    worker.once('message', (reply: BodyCheckReply) => settle('deeperAt' in reply ? { deeperAt: reply.deeperAt } : 'ok'));
    worker.once('error', (error: NodeJS.ErrnoException) => settle(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap' : { failed: error.message }));
    worker.once('exit', () => settle('heap'));
  });
}
