import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseResolvConf } from '../../../src/cli-args.js';
import { ConfigError } from '../../../src/errors.js';
import { parseCidr } from '../../../src/dns/cidr.js';
import { resolveOptions } from '../../../src/options.js';

describe('parseCommandLine', () => {
  it('defaults to serve with ./zones and the system upstreams', () => {
    expect(parseCommandLine([], {})).toEqual({
      command: 'serve', options: { zones: ['./zones'], http: '127.0.0.1:9153', httpOptional: true, shutdownGraceMs: 5000 },
      upstreamFromSystem: true, zonesDefaulted: true, output: 'table', logFormat: undefined, readyFile: undefined, args: [], sources: {},
      setup: { os: undefined, action: 'print', root: '/' },
    });
  });

  it('setup-resolver takes --os, --apply or --undo, and --root; other commands refuse them by name', () => {
    expect(parseCommandLine(['setup-resolver', '--os', 'macos', '--apply', '--root', '/tmp/r'], {}).setup).toEqual({ os: 'macos', action: 'apply', root: '/tmp/r' });
    expect(parseCommandLine(['setup-resolver', '--undo'], {}).setup).toEqual({ os: undefined, action: 'undo', root: '/' });
    expect(() => parseCommandLine(['setup-resolver', '--apply', '--undo'], {})).toThrowError('setup-resolver: --apply and --undo exclude each other');
    expect(() => parseCommandLine(['serve', '--apply'], {})).toThrowError('--apply is a setup-resolver flag (cluster-dns setup-resolver --apply …)');
    expect(() => parseCommandLine(['setup-resolver', '--os', 'macosx'], {})).toThrowError('--os: "macosx" must be linux, macos or windows (did you mean macos?)');
  });

  it('reads every flag', () => {
    const line = parseCommandLine(
      ['--zones', 'a', '--zones', 'b.yaml', '--host', '::1', '--port', '0', '--cluster-domain', 'Example.ORG.', '--default-namespace', 'shop',
        '--ttl', '30', '--pods', 'verified', '--upstream', '127.0.0.1:5300,[::1]:53,10.0.0.1', '--log-level', 'debug', '--strict'],
      {},
    );
    expect(line.command).toBe('serve');
    expect(line.upstreamFromSystem).toBe(false);
    expect(line.options).toEqual({
      zones: ['a', 'b.yaml'], host: '::1', port: 0, clusterDomain: 'Example.ORG.', defaultNamespace: 'shop', ttl: 30, pods: 'verified',
      upstream: [{ address: '127.0.0.1', port: 5300 }, { address: '::1', port: 53 }, { address: '10.0.0.1', port: 53 }],
      logLevel: 'debug', strict: true, http: '127.0.0.1:9153', httpOptional: true, shutdownGraceMs: 5000,
    });
    expect(resolveOptions(line.options).clusterDomain).toBe('example.org');
  });

  it('takes environment variables, and flags win over them', () => {
    const env = { CLUSTER_DNS_PORT: '5353', CLUSTER_DNS_ZONES: 'x, y', CLUSTER_DNS_UPSTREAM: 'none', CLUSTER_DNS_STRICT: 'true', CLUSTER_DNS_TTL: '7', CLUSTER_DNS_HTTP: 'off', CLUSTER_DNS_SHUTDOWN_GRACE: '0' };
    const line = parseCommandLine(['--port', '5454'], env);
    expect(line.options).toEqual({ zones: ['x', 'y'], port: 5454, ttl: 7, upstream: 'none', strict: true, http: 'off', shutdownGraceMs: 0 });
    expect(line.upstreamFromSystem).toBe(false);
  });

  it('knows the subcommands', () => {
    expect(parseCommandLine(['check', '--zones', 'z'], {}).command).toBe('check');
    expect(parseCommandLine(['records', '--output', 'json'], {}).output).toBe('json');
    expect(parseCommandLine(['--help'], {}).command).toBe('help');
  });

  it.each([
    [['--bogus'], /^unknown option --bogus$/],
    [['--prot', '1054'], /^unknown option --prot \(did you mean --port\?\)$/],
    [['--zone', 'z'], /^unknown option --zone \(did you mean --zones\?\)$/],
    [['--port'], /^--port needs a value$/],
    [['--strict=yes'], /^--strict takes no value \(got "yes"\)$/],
    [['--port', 'abc'], /^--port: "abc" is not a whole number$/],
    [['--upstream', 'dns.google'], /^--upstream: "dns.google" is not IP\[:port\]/],
    [['--upstream', '1.2.3.4:99999'], /^--upstream: "1.2.3.4:99999" has a bad port$/],
    [['frobnicate'], /^unknown command "frobnicate" \(expected serve, check/],
    [['chekc'], /^unknown command "chekc" \(did you mean check\?\)$/],
    [['--output', 'xml'], /^--output: "xml" must be table, json, hosts$/],
    [['explain'], /^explain: which name\?/],
    [['--log-format', 'jsno'], /^--log-format: "jsno" must be pretty or json \(did you mean json\?\)$/],
  ])('rejects %j with one clear line', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrowError(message);
    try { parseCommandLine(argv, {}); } catch (e) { expect((e as ConfigError).code).toBe('CONFIG_INVALID'); }
  });

  it('reads the cluster ranges from flags and environment, comma-separated', () => {
    expect(parseCommandLine(['--service-cidr', '10.0.0.0/16, fd00:1::/112', '--pod-cidr', '10.1.0.0/16'], {}).options).toMatchObject({
      serviceCidrs: ['10.0.0.0/16', 'fd00:1::/112'],
      podCidrs: ['10.1.0.0/16'],
    });
    const fromEnv = parseCommandLine([], { CLUSTER_DNS_SERVICE_CIDR: '10.0.0.0/16', CLUSTER_DNS_POD_CIDR: 'fd00:2::/64,10.1.0.0/16' }).options;
    expect(fromEnv).toMatchObject({ serviceCidrs: ['10.0.0.0/16'], podCidrs: ['fd00:2::/64', '10.1.0.0/16'] });
    expect(parseCommandLine(['--service-cidr', '10.9.0.0/16'], { CLUSTER_DNS_SERVICE_CIDR: '10.0.0.0/16' }).options.serviceCidrs).toEqual(['10.9.0.0/16']);
    expect(() => resolveOptions(parseCommandLine(['--pod-cidr', ','], {}).options)).toThrowError('pod-cidr: empty list');
  });

  it('names the variable a bad value came from', () => {
    expect(() => parseCommandLine([], { CLUSTER_DNS_PORT: 'x' })).toThrowError(/^CLUSTER_DNS_PORT: "x" is not a whole number$/);
    expect(parseCommandLine([], { CLUSTER_DNS_TTL: '7' }).sources).toEqual({ ttl: 'CLUSTER_DNS_TTL' });
  });

  it('explain takes a name and a type; records takes hosts', () => {
    expect(parseCommandLine(['explain', 'web.shop', 'srv', '--output', 'json'], {})).toMatchObject({ command: 'explain', args: ['web.shop', 'srv'], output: 'json' });
    expect(parseCommandLine(['explain', 'web'], {}).output).toBe('table');
    expect(parseCommandLine(['records', '--output', 'hosts'], {}).output).toBe('hosts');
    expect(parseCommandLine(['help'], {}).command).toBe('help');
  });

  it('rejects a malformed boolean in the environment', () => {
    expect(() => parseCommandLine([], { CLUSTER_DNS_STRICT: 'maybe' })).toThrowError('CLUSTER_DNS_STRICT: "maybe" is not a boolean (true/false)');
  });
});

describe('resolveOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolveOptions({})).toEqual({
      zones: [], host: '127.0.0.1', port: 1053, clusterDomain: 'cluster.local', defaultNamespace: 'default', ttl: 5, pods: 'insecure',
      upstream: 'none', upstreamTimeoutMs: 2000, cacheSize: 10000,
      upstreamMaxInFlight: 1000, tcpMaxConnections: 256, tcpMaxInFlight: 32, tcpIdleTimeoutMs: 10000, tcpBusyIdleTimeoutMs: 1000, tcpSlowTimeoutMs: 5000, tcpMaxBufferedBytes: 262144, maxRegistryBytes: 67108864,
      strict: false, watch: true, http: 'off', httpToken: undefined, httpAllowedHosts: [], probes: 'off', httpOptional: false, shutdownGraceMs: 0, logQueries: false, queryLogSize: 1000, logLevel: 'info', workers: 1, udpEngine: 'auto', publicShortForms: false, rrlRate: 0,
      serviceCidrs: [parseCidr('10.96.0.0/12'), parseCidr('fd00:10:96::/108')],
      podCidrs: [parseCidr('10.244.0.0/16'), parseCidr('fd00:10:244::/56')],
      ingressZones: [],
      clusterDomains: ['cluster.local'],
    });
  });
  it('normalises the cluster ranges: host bits cleared, IPv6 canonical, order kept', () => {
    const resolved = resolveOptions({ serviceCidrs: [' FD00:0010:0096:0:0:0:0:0/112 ', '172.20.7.9/16'], podCidrs: ['192.168.0.0/17'] });
    expect(resolved.serviceCidrs.map((c) => c.text)).toEqual(['fd00:10:96::/112', '172.20.0.0/16']);
    expect(resolved.podCidrs).toEqual([{ family: 4, network: '192.168.0.0', prefix: 17, text: '192.168.0.0/17', bytes: Uint8Array.from([192, 168, 0, 0]) }]);
  });
  it.each([
    [{ serviceCidrs: ['10.96.0.0'] }, 'service-cidr: "10.96.0.0" is not a CIDR (like 10.96.0.0/12 or fd00:10:96::/108)'],
    [{ serviceCidrs: ['10.96.0.0/33'] }, 'service-cidr: "10.96.0.0/33" is not a CIDR'],
    [{ serviceCidrs: ['cluster/12'] }, 'service-cidr: "cluster/12" is not a CIDR'],
    [{ serviceCidrs: [] }, 'service-cidr: empty list (give one IPv4 and/or one IPv6 CIDR)'],
    [{ serviceCidrs: ['10.96.0.0/12', '10.100.0.0/16'] }, 'service-cidr: "10.100.0.0/16": at most one IPv4 range (dual-stack is one IPv4 and one IPv6)'],
    [{ podCidrs: ['10.244.0.7/32'] }, 'pod-cidr: "10.244.0.7/32" is too small to allocate addresses from'],
    [{ podCidrs: ['fd00::/127'] }, 'pod-cidr: "fd00::/127" is too small to allocate addresses from'],
    [{ podCidrs: ['10.100.0.0/16'] }, 'pod-cidr: "10.100.0.0/16" overlaps service-cidr "10.96.0.0/12"'],
    [{ podCidrs: ['fd00:10:96::/120'] }, 'pod-cidr: "fd00:10:96::/120" overlaps service-cidr "fd00:10:96::/108"'],
  ])('rejects %j', (options, message) => {
    expect(() => resolveOptions(options)).toThrowError(message);
  });
});

describe('parseResolvConf', () => {
  it('reads nameserver lines, IPv6 included, and skips scoped and broken ones', () => {
    const text = '# comment\nnameserver 127.0.0.53\nnameserver 2001:db8::1\nnameserver fe80::1%eth0\nnameserver nonsense\nsearch example.org\noptions edns0\n';
    expect(parseResolvConf(text)).toEqual([{ address: '127.0.0.53', port: 53 }, { address: '2001:db8::1', port: 53 }]);
  });
});
