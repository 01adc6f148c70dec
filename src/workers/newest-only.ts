/**
 * One piece of work at a time, newest input first: an input that arrives while work is running
 * replaces any input still waiting, so a burst of snapshots costs one run for the newest, not one
 * per snapshot (the primary encoding for the workers, a worker reading what the primary sent).
 */
export function newestOnly<T>(work: (input: T) => Promise<void>): (input: T) => Promise<void> {
  let waiting: { readonly input: T } | undefined;
  let running = false;
  return async (input) => {
    waiting = { input };
    if (running) return;
    running = true;
    try {
      while (waiting) {
        const { input: current } = waiting;
        waiting = undefined;
        await work(current);
      }
    } finally {
      running = false;
    }
  };
}
