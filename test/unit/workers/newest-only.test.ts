// One run at a time, and of the inputs that arrive meanwhile only the newest is run next.
import { describe, expect, it } from 'vitest';
import { newestOnly } from '../../../src/workers/newest-only.js';

describe('newestOnly', () => {
  it('runs the first input, then only the newest of those that arrived while it ran', async () => {
    const ran: number[] = [];
    const releases: (() => void)[] = [];
    const submit = newestOnly((n: number) => new Promise<void>((resolve) => {
      ran.push(n);
      releases.push(resolve);
    }));
    const first = submit(1);
    void submit(2);
    void submit(3);
    void submit(4);
    expect(ran).toEqual([1]);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([1, 4]);
    releases.shift()!();
    await first;
    expect(ran).toEqual([1, 4]);
    // Idle again: the next input runs at once.
    const later = submit(5);
    expect(ran).toEqual([1, 4, 5]);
    releases.shift()!();
    await later;
  });

  it('rejects the call that started the run when the work throws, and runs again afterwards', async () => {
    const submit = newestOnly(async (n: number) => {
      if (n === 1) throw new Error('bad snapshot');
    });
    await expect(submit(1)).rejects.toThrow('bad snapshot');
    await expect(submit(2)).resolves.toBeUndefined();
  });
});
