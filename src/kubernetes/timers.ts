/** The clock, timers and randomness the Kubernetes client uses, injectable so tests never sleep. */

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  /** Runs `fn` once after `ms`; the handle cancels it. */
  after(ms: number, fn: () => void): TimerHandle;
  /** In [0, 1): the jitter source. */
  random(): number;
}

/** Real time. Timers are unref'd: a watch never keeps a process alive on its own. */
export const systemTimers: Timers = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  random: Math.random,
};

/** Resolves after `ms` on `timers`, or at once when `signal` aborts (never rejects). */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      handle.cancel();
      resolve();
    };
    const handle = timers.after(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
