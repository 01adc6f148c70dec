/** Library option validation as a table: every option with a good value, a wrong type, and unknown names. */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDnsServer } from '../../../src/server.js';
import { ConfigError } from '../../../src/errors.js';
import { parseCidr } from '../../../src/dns/cidr.js';
import { ingressAddresses, OPTION_SPECS, resolveOptions, type DnsServerOptions } from '../../../src/options.js';

/** One row per option: a good value and what it resolves to, and a value of the wrong type. */
const ROWS: Record<keyof DnsServerOptions, { good: unknown; resolved: unknown; wrong: unknown; message: string }> = {
  zones: { good: 'zones', resolved: ['zones'], wrong: 42, message: 'zones: expected a path or an array of paths, got 42' },
  host: { good: '::1', resolved: '::1', wrong: 'localhost', message: 'host: expected an IP address, got "localhost"' },
  port: { good: 0, resolved: 0, wrong: '53', message: 'port: expected a port number (0-65535), got "53"' },
  clusterDomain: { good: 'Example.ORG.', resolved: 'example.org', wrong: 'bad..domain', message: 'clusterDomain: expected a domain name or a list of them, got "bad..domain"' },
  defaultNamespace: { good: 'shop', resolved: 'shop', wrong: 'Shop_1', message: 'defaultNamespace: expected a namespace name (RFC 1123 label), got "Shop_1"' },
  ttl: { good: 30, resolved: 30, wrong: -1, message: 'ttl: expected a TTL in seconds (0-2147483647), got -1' },
  pods: { good: 'verified', resolved: 'verified', wrong: 'sometimes', message: 'pods: expected one of disabled, insecure, verified, got "sometimes"' },
  upstream: {
    good: '1.1.1.1, 8.8.8.8:5353',
    resolved: [{ address: '1.1.1.1', port: 53 }, { address: '8.8.8.8', port: 5353 }],
    wrong: 53,
    message: 'upstream: expected "none", a list such as "1.1.1.1, 8.8.8.8:53", or an array of addresses or { address, port }, got 53',
  },
  upstreamTimeoutMs: { good: 500, resolved: 500, wrong: 0, message: 'upstreamTimeoutMs: expected a timeout in ms (1-60000), got 0' },
  cacheSize: { good: 0, resolved: 0, wrong: 1.5, message: 'cacheSize: expected a number of entries (0 = off), got 1.5' },
  upstreamMaxInFlight: { good: 5, resolved: 5, wrong: '5', message: 'upstreamMaxInFlight: expected a whole number from 1 to 1000000, got "5"' },
  tcpMaxConnections: { good: 10, resolved: 10, wrong: 0, message: 'tcpMaxConnections: expected a whole number from 1 to 1000000, got 0' },
  tcpMaxInFlight: { good: 4, resolved: 4, wrong: 70000, message: 'tcpMaxInFlight: expected a whole number from 1 to 65535, got 70000' },
  tcpIdleTimeoutMs: { good: 100, resolved: 100, wrong: null, message: 'tcpIdleTimeoutMs: expected a whole number from 1 to 3600000, got null' },
  tcpBusyIdleTimeoutMs: { good: 200, resolved: 200, wrong: '1s', message: 'tcpBusyIdleTimeoutMs: expected a whole number from 1 to 3600000, got "1s"' },
  tcpSlowTimeoutMs: { good: 100, resolved: 100, wrong: true, message: 'tcpSlowTimeoutMs: expected a whole number from 1 to 3600000, got true' },
  tcpMaxBufferedBytes: { good: 65537, resolved: 65537, wrong: 1000, message: 'tcpMaxBufferedBytes: expected a whole number from 65537 to 1073741824, got 1000' },
  maxRegistryBytes: { good: 1048576, resolved: 1048576, wrong: 0, message: 'maxRegistryBytes: expected a size in bytes, got 0' },
  strict: { good: true, resolved: true, wrong: 'yes', message: 'strict: expected true or false, got "yes"' },
  watch: { good: false, resolved: false, wrong: 0, message: 'watch: expected true or false, got 0' },
  http: { good: '127.0.0.1:0', resolved: { host: '127.0.0.1', port: 0 }, wrong: 'localhost:9153', message: 'http: expected HOST:PORT or off, got "localhost:9153"' },
  probes: { good: '0.0.0.0:8080', resolved: { host: '0.0.0.0', port: 8080 }, wrong: 8080, message: 'probes: expected HOST:PORT or off, got 8080' },
  httpOptional: { good: true, resolved: true, wrong: 'true', message: 'httpOptional: expected true or false, got "true"' },
  httpToken: { good: 's3cret', resolved: 's3cret', wrong: 123, message: 'httpToken: expected a string, got 123' },
  httpAllowedHosts: { good: 'dns.test, Box.Local', resolved: ['dns.test', 'box.local'], wrong: 'evil.test:80', message: 'httpAllowedHosts: expected a host name or an array of host names (no port, no wildcard), got "evil.test:80"' },
  shutdownGraceMs: { good: 10, resolved: 10, wrong: -5, message: 'shutdownGraceMs: expected a duration in ms, got -5' },
  logQueries: { good: true, resolved: true, wrong: {}, message: 'logQueries: expected true or false, got the object {}' },
  queryLogSize: { good: 50, resolved: 50, wrong: -1, message: 'queryLogSize: expected a number of queries (0 = off), got -1' },
  allowRecursion: { good: '10.0.0.0/8, ::1', resolved: ['10.0.0.0/8', '::1'], wrong: [1, 2], message: 'allowRecursion: expected a CIDR or an array of CIDRs, got the array [1,2]' },
  kubernetes: { good: { kubeconfig: 'kc.yaml' }, resolved: { kubeconfig: 'kc.yaml' }, wrong: 'in-cluster', message: 'kubernetes: expected an object { mode?, kubeconfig?, context?, namespaces?, labels? }, got "in-cluster"' },
  serviceCidrs: { good: '10.0.0.0/16', resolved: [parseCidr('10.0.0.0/16')], wrong: 16, message: 'serviceCidrs: expected a CIDR or an array of CIDRs, got 16' },
  podCidrs: { good: ['10.1.0.0/16'], resolved: [parseCidr('10.1.0.0/16')], wrong: false, message: 'podCidrs: expected a CIDR or an array of CIDRs, got false' },
  workers: { good: 2, resolved: 2, wrong: 0, message: 'workers: expected a number of processes (1-1024) or auto, got 0' },
  ingressZones: { good: 'Example.TEST., apps.internal', resolved: ['example.test', 'apps.internal'], wrong: 'bad..zone', message: 'ingressZones: expected a domain name or a list of them, got "bad..zone"' },
  ingressAddress: { good: ['192.0.2.10', 'FD00::1'], resolved: ['192.0.2.10', 'fd00::1'], wrong: '192.0.2.1,192.0.2.2', message: 'ingressAddress: expected one IPv4 and/or one IPv6 address, got "192.0.2.1,192.0.2.2"' },
  udpEngine: { good: 'dgram', resolved: 'dgram', wrong: 'uring', message: 'udpEngine: expected one of auto, native, dgram, got "uring"' },
  publicShortForms: { good: true, resolved: true, wrong: 'yes', message: 'publicShortForms: expected true or false, got "yes"' },
  rrlRate: { good: 50, resolved: 50, wrong: -1, message: 'rrlRate: expected a number of responses per second per client prefix (0 = off), got -1' },
  logLevel: { good: 'debug', resolved: 'debug', wrong: 'loud', message: 'logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"' },
};

describe('resolveOptions, option by option', () => {
  it('has a row for every option the library accepts', () => {
    expect(Object.keys(ROWS).sort()).toEqual(Object.keys(OPTION_SPECS).sort());
  });

  it.each(Object.entries(ROWS))('%s: a good value resolves, a wrong one throws one line naming it', (name, row) => {
    const resolved = resolveOptions({ [name]: row.good } as DnsServerOptions) as unknown as Record<string, unknown>;
    expect(name === 'allowRecursion' ? resolved.allowRecursionText : resolved[name]).toEqual(row.resolved);
    let thrown: unknown;
    try {
      resolveOptions({ [name]: row.wrong } as DnsServerOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', option: name, message: row.message });
    expect((thrown as Error).message).not.toMatch(/undefined|\[object Object\]|\n/);
  });

  it('treats an undefined value as not given', () => {
    expect(resolveOptions({ port: undefined }).port).toBe(1053);
  });

  it.each([
    [{ prot: 53 }, 'prot: unknown option (did you mean port?)'],
    [{ zone: 'zones' }, 'zone: unknown option (did you mean zones?)'],
    [{ upstreams: 'none' }, 'upstreams: unknown option (did you mean upstream?)'],
    [{ logLevl: 'info' }, 'logLevl: unknown option (did you mean logLevel?)'],
    [{ frobnicate: 1 }, 'frobnicate: unknown option'],
  ])('rejects the unknown option %j', (options, message) => {
    expect(() => resolveOptions(options as DnsServerOptions)).toThrow(expect.objectContaining({ message, code: 'CONFIG_INVALID' }));
  });

  it('accepts upstream as none, a string list, and an array of strings and objects', () => {
    expect(resolveOptions({ upstream: 'none' }).upstream).toBe('none');
    expect(resolveOptions({ upstream: ['1.1.1.1', '[::1]:5300', { address: '9.9.9.9', port: 9953 }] }).upstream).toEqual([
      { address: '1.1.1.1', port: 53 }, { address: '::1', port: 5300 }, { address: '9.9.9.9', port: 9953 },
    ]);
    expect(() => resolveOptions({ upstream: [] })).toThrowError('upstream: empty list (use "none" to turn forwarding off)');
    expect(() => resolveOptions({ upstream: [{ address: '1.1.1.1', port: 0 }] })).toThrowError('upstream: expected a port number (1-65535) for 1.1.1.1, got 0');
  });

  it('ingressZones may not overlap the cluster domain or be a reverse zone; ingressAddress defaults to the loopback listen address', () => {
    expect(() => resolveOptions({ ingressZones: 'svc.cluster.local' })).toThrow(expect.objectContaining({
      option: 'ingressZones', message: 'ingressZones: "svc.cluster.local" overlaps the cluster domain "cluster.local" (give a zone of its own, such as example.test)',
    }));
    expect(() => resolveOptions({ ingressZones: 'local' })).toThrowError('ingressZones: "local" overlaps the cluster domain "cluster.local"');
    expect(() => resolveOptions({ ingressZones: '10.in-addr.arpa' })).toThrowError('ingressZones: "10.in-addr.arpa" is a reverse zone, not a zone for host names');
    expect(ingressAddresses(resolveOptions({}))).toEqual(['127.0.0.1']);
    expect(ingressAddresses(resolveOptions({ host: '::1' }))).toEqual(['::1']);
    expect(ingressAddresses(resolveOptions({ host: '0.0.0.0' }))).toEqual(['127.0.0.1']);
    expect(ingressAddresses(resolveOptions({ host: '0.0.0.0', ingressAddress: '192.0.2.7' }))).toEqual(['192.0.2.7']);
    expect(() => resolveOptions({ ingressAddress: 'gateway' })).toThrowError('ingressAddress: expected one IPv4 and/or one IPv6 address, got "gateway"');
  });

  it('clusterDomain takes several zones side by side; the first names the registry', () => {
    expect(resolveOptions({ clusterDomain: 'cluster.local, Cluster.Internal.' })).toMatchObject({ clusterDomain: 'cluster.local', clusterDomains: ['cluster.local', 'cluster.internal'] });
    expect(() => resolveOptions({ clusterDomain: 'cluster.local,svc.cluster.local' })).toThrow(expect.objectContaining({
      option: 'clusterDomain', message: 'clusterDomain: "svc.cluster.local" overlaps "cluster.local" (give zones side by side, such as cluster.local,cluster.internal)',
    }));
    expect(() => resolveOptions({ clusterDomain: 'cluster.local,cluster.internal', ingressZones: 'cluster.internal' })).toThrowError('ingressZones: "cluster.internal" overlaps the cluster domain "cluster.internal"');
  });

  it('rejects a non-object', () => {
    expect(() => resolveOptions('zones' as never)).toThrowError('options: expected an object, got "zones"');
  });
});

describe('createDnsServer validates at the factory', () => {
  it('takes zones as a string, and an empty directory is fine', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cluster-dns-empty-'));
    const server = createDnsServer({ zones: empty, port: 0 });
    const { udp } = await server.start();
    expect(udp.port).toBeGreaterThan(0);
    expect(server.registry()?.counts.services).toBe(0);
    await server.stop();
  });

  it('a zones path that does not exist is an error, not an empty registry', () => {
    expect(() => createDnsServer({ zones: ['does-not-exist'] })).toThrow(expect.objectContaining({ message: 'zones: "does-not-exist" does not exist', option: 'zones' }));
  });

  it('checks the embedding hooks too', () => {
    expect(() => createDnsServer({ logger: 'pino' as never })).toThrowError('logger: expected a pino logger, got "pino"');
    expect(() => createDnsServer({ now: 5 as never })).toThrowError('now: expected a function returning epoch ms, got 5');
  });

  it('workers: auto is the available parallelism; more than one process is the CLI’s, refused by name', () => {
    expect(resolveOptions({ workers: 'auto' }).workers).toBe(availableParallelism());
    expect(resolveOptions({ workers: '3' as never }).workers).toBe(3); // the CLI passes text
    expect(() => createDnsServer({ workers: 1, port: 0 })).not.toThrow();
    expect(() => createDnsServer({ workers: 2 })).toThrow(
      expect.objectContaining({ option: 'workers', message: "workers: 2 processes are the CLI's --workers (node:cluster); an embedded server answers in its own process, so give 1" }),
    );
  });

  it('upstream as a plain string works (it used to throw "find is not a function")', () => {
    expect(() => createDnsServer({ upstream: '127.0.0.1:5300', port: 0 })).not.toThrow();
  });
});
