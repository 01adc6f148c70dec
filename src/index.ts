/**
 * @module cluster-dns — the library surface: `createDnsServer` and its types.
 *
 * ```ts
 * const server = createDnsServer({ port: 0, zones: ['zones'] });
 * const { udp } = await server.start();
 * await server.apply('namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10 }');
 * await server.stop();
 * ```
 */
export { createDnsServer } from './server.js';
export type {
  CreateDnsServerOptions,
  DnsServer,
  Registration,
  RegistrationInput,
  RegistrationRef,
  ReloadReport,
  ServerAddress,
  ServerAddresses,
} from './server.js';
export type { DnsServerOptions, UpstreamAddress } from './options.js';
export type { PodMode } from './resolver/cluster-answers.js';
export { ClusterDnsError, ConfigError, RegistryError } from './errors.js';
export type { ErrorCode } from './errors.js';
