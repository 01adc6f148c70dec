import { defineConfig } from 'vitest/config';

/** The UDP suites (listeners, server, forwarding, chases, limits, reverse zones, dig e2e, --workers, wire fuzz, engines) run again on node:dgram. */
const UDP_SUITES = [
  'test/integration/server.test.ts',
  'test/integration/forward.test.ts',
  'test/integration/cname-chase.test.ts',
  'test/integration/reverse-zones.test.ts',
  'test/integration/limits.test.ts',
  'test/e2e/cli-dig.test.ts',
  'test/e2e/external-name.test.ts',
  'test/e2e/workers.test.ts',
  'test/fuzz/wire.test.ts',
  'test/integration/udp-engines.test.ts',
  'test/integration/transport/dns-listeners.test.ts',
  'test/e2e/udp-engine-cli.test.ts',
];

export default defineConfig({
  test: {
    // Guards against a hang, not bounds on speed: the suite must pass with every core busy.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests bind real sockets on 127.0.0.1 port 0; forks keep each file's handles apart.
    pool: 'forks',
    projects: [
      // Everything, on the default engine: native where the addon was built (CI builds it), else node:dgram.
      { extends: true, test: { name: 'auto', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'dgram', include: UDP_SUITES, env: { CLUSTER_DNS_UDP_ENGINE: 'dgram' } } },
    ],
  },
});
