import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Guards against a hang, not bounds on speed: the suite must pass with every core busy.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests bind real sockets on 127.0.0.1 port 0; forks keep each file's handles apart.
    pool: 'forks',
  },
});
