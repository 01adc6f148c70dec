import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests bind real sockets on 127.0.0.1 port 0; forks keep each file's handles apart.
    pool: 'forks',
  },
});
