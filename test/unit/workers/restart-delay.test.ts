/** The replacement of a worker that exited: at once after a one-off crash, backing off in a crash loop. */
import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../../src/workers/primary.js';

describe('restartDelay', () => {
  it('replaces a worker that ran a while at once, and resets the count', () => {
    expect(restartDelay(0, 60_000)).toEqual({ failures: 1, delayMs: 0 });
    expect(restartDelay(7, 10_000)).toEqual({ failures: 1, delayMs: 0 });
  });

  it('backs off 0.5 s, 1 s, 2 s … up to 30 s while workers die soon after they start', () => {
    let failures = 0;
    const delays: number[] = [];
    for (let crash = 0; crash < 10; crash++) {
      const next = restartDelay(failures, 200);
      failures = next.failures;
      delays.push(next.delayMs);
    }
    expect(delays).toEqual([0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});
