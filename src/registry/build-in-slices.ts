/**
 * buildRegistry (and a live-registry batch) for a server that is answering queries: the build runs in slices of about `sliceMs`
 * and gives the event loop a turn between them, so a 100k-name build never holds queries up for
 * longer than one slice. The clock and the pause are handed in (defaults: performance.now, setImmediate).
 */
import { buildRegistrySteps, type BuildOptions, type BuildResult } from './build-registry.js';
import type { RegistryInput } from './model.js';

export interface SliceOptions {
  /** Longest stretch of the build between two turns of the event loop, ms. Default 20. */
  readonly sliceMs?: number;
  readonly now?: () => number;
  /** Resolves once other work (queries) has had a turn. */
  readonly pause?: () => Promise<void>;
}

export async function buildRegistryInSlices(inputs: readonly RegistryInput[], options: BuildOptions, slices: SliceOptions = {}): Promise<BuildResult> {
  return runInSlices(buildRegistrySteps(inputs, options), slices);
}

/** Runs any generator of steps to its result in slices of about `sliceMs`, a turn of the event loop between them. */
export async function runInSlices<T>(steps: Generator<void, T, void>, slices: SliceOptions = {}): Promise<T> {
  const sliceMs = slices.sliceMs ?? 20;
  const now = slices.now ?? (() => performance.now());
  const pause = slices.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  let sliceStart = now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (now() - sliceStart >= sliceMs) {
      await pause();
      sliceStart = now();
    }
  }
}
