/**
 * Polls until `check` returns a value that is not undefined, instead of sleeping a fixed time. The
 * give-up time is only there to report the last error before the test runner's own timeout (60 s):
 * it is not a bound on how fast anything must be, so keep it long.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 50_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
