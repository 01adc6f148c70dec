/** Timers for the Kubernetes client that only move when a test says so: no sleeping, exact delays. */
import type { TimerHandle, Timers } from '../../src/kubernetes/timers.js';

export interface ManualTimers extends Timers {
  /** Delays of the timers now waiting, shortest first. */
  pending(): number[];
  /** Moves the clock to the next timer shorter than `below` ms (all if unset) and runs it; returns its delay, or undefined. */
  fireNext(below?: number): number | undefined;
  /** Moves the clock by `ms`, running every timer due meanwhile. */
  advance(ms: number): void;
}

export function manualTimers(random = 0.5): ManualTimers {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; delay: number; fn: () => void }>();
  const ordered = () => [...timers.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
  return {
    now: () => now,
    random: () => random,
    after(ms, fn): TimerHandle {
      const id = ++seq;
      timers.set(id, { at: now + ms, delay: ms, fn });
      return { cancel: () => timers.delete(id) };
    },
    pending: () => ordered().map(([, t]) => t.delay),
    fireNext(below = Infinity) {
      const next = ordered().find(([, t]) => t.delay < below);
      if (!next) return undefined;
      const [id, t] = next;
      timers.delete(id);
      now = Math.max(now, t.at);
      t.fn();
      return t.delay;
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = ordered().find(([, t]) => t.at <= until);
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
      }
      now = until;
    },
  };
}
