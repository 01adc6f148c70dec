/**
 * The UDP engine the suites run on: CLUSTER_DNS_UDP_ENGINE (the CLI reads the same variable), set by
 * the `dgram` project in vitest.config.ts to run the UDP suites a second time on node:dgram.
 * Default `auto`: the native engine wherever its addon was built (CI builds it).
 */
import { loadNativeUdpAddon } from '../../src/transport/native-addon.js';

export const UDP_ENGINE = (process.env.CLUSTER_DNS_UDP_ENGINE ?? 'auto') as 'auto' | 'native' | 'dgram';

/** Whether the addon loads here (tests of the native engine itself are skipped, saying so, when not). */
export const nativeAvailable = 'addon' in loadNativeUdpAddon();
