/** The upstreams taken from resolv.conf, and the start-up warnings: forwarding silently off, systemd-resolved's stub. */
import { describe, expect, it } from 'vitest';
import { systemUpstreams } from '../../../src/system-upstreams.js';

const off = (why: string) => `forwarding is off: /etc/resolv.conf ${why}; names outside the cluster get REFUSED (pass --upstream IP[,IP] to forward)`;
const stub = (ip: string) =>
  `upstream ${ip} is systemd-resolved's stub: if resolved sends this server more than ~cluster.local (a global DNS= or ~. route), those names loop; pass --upstream with resolved's own servers (resolvectl dns) to be sure`;

describe('systemUpstreams', () => {
  it.each<[string, string | undefined, ReturnType<typeof systemUpstreams>]>([
    ['nameservers as upstreams, no warning', 'search lan\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n', { upstream: [{ address: '10.0.0.2', port: 53 }, { address: '10.0.0.3', port: 53 }], warnings: [] }],
    ['an empty file: forwarding off, said', '', { upstream: 'none', warnings: [off('names no nameserver')] }],
    ['only comments and options', '# generated\noptions edns0\n', { upstream: 'none', warnings: [off('names no nameserver')] }],
    ['only this server', 'nameserver 127.0.0.1\n', { upstream: 'none', warnings: [off('names only this server')] }],
    ['unreadable', undefined, { upstream: 'none', warnings: ['forwarding is off: /etc/resolv.conf could not be read; names outside the cluster get REFUSED (pass --upstream IP[,IP] to forward)'] }],
    ['systemd-resolved\'s stub: kept, with a loop warning', 'nameserver 127.0.0.53\noptions edns0 trust-ad\n', { upstream: [{ address: '127.0.0.53', port: 53 }], warnings: [stub('127.0.0.53')] }],
    ['resolved\'s proxy stub too', 'nameserver 127.0.0.54\nnameserver 10.0.0.2\n', { upstream: [{ address: '127.0.0.54', port: 53 }, { address: '10.0.0.2', port: 53 }], warnings: [stub('127.0.0.54')] }],
  ])('%s', (_what, text, expected) => {
    expect(systemUpstreams(text, '127.0.0.1', 53)).toEqual(expected);
  });
});
