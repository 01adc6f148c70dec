/** localRecursionCidrs: which interface networks count as local for the default recursion ACL. */
import { describe, expect, it } from 'vitest';
import { localRecursionCidrs, type InterfaceTable } from '../../../src/dns/local-networks.js';
import { recursionPolicy, resolveOptions } from '../../../src/options.js';

describe('localRecursionCidrs', () => {
  it('keeps loopback and private networks, and only the host itself on a public network', () => {
    const table: InterfaceTable = {
      lo: [
        { address: '127.0.0.1', cidr: '127.0.0.1/8', internal: true },
        { address: '::1', cidr: '::1/128', internal: true },
      ],
      eth0: [
        { address: '192.168.1.5', cidr: '192.168.1.5/24', internal: false },
        { address: '203.0.113.9', cidr: '203.0.113.9/24', internal: false },
        { address: 'fd00::2', cidr: 'fd00::2/64', internal: false },
        { address: 'fe80::fc:ff:fe00:1', cidr: 'fe80::fc:ff:fe00:1/64', internal: false },
        { address: '2001:db8::7', cidr: '2001:db8::7/64', internal: false },
      ],
      docker0: [{ address: '172.17.0.1', cidr: '172.17.0.1/16', internal: false }],
    };
    expect(localRecursionCidrs(table)).toEqual([
      '127.0.0.0/8',
      '::1/128',
      '192.168.1.0/24',
      '203.0.113.9/32',
      'fd00::/64',
      'fe80::/64',
      '2001:db8::7/128',
      '172.17.0.0/16',
    ]);
  });

  it('never widens past the private range an address sits in, and takes the address alone without a netmask', () => {
    const table: InterfaceTable = {
      odd: [
        { address: '10.1.2.3', cidr: '10.1.2.3/4', internal: false },
        { address: '192.168.7.7', cidr: null, internal: false },
      ],
      twice: [{ address: '10.9.9.9', cidr: '10.9.9.9/2', internal: false }],
    };
    expect(localRecursionCidrs(table)).toEqual(['10.0.0.0/8', '192.168.7.7/32']);
  });
});

describe('recursionPolicy', () => {
  it('is everyone on loopback, the listed CIDRs when given, else the local networks', () => {
    const table = (): InterfaceTable => ({ eth0: [{ address: '192.168.1.5', cidr: '192.168.1.5/24', internal: false }] });
    expect(recursionPolicy(resolveOptions({ host: '127.0.0.1' }), table)).toEqual({ kind: 'everyone' });
    expect(recursionPolicy(resolveOptions({ host: '0.0.0.0', allowRecursion: '10.0.0.0/8' }), table)).toMatchObject({ kind: 'listed', from: 'allow-recursion', cidrs: ['10.0.0.0/8'] });
    expect(recursionPolicy(resolveOptions({ host: '0.0.0.0' }), table)).toMatchObject({ kind: 'listed', from: 'local networks', cidrs: ['192.168.1.0/24'] });
  });

  it('falls back to loopback only, never to everyone, when the interfaces cannot be listed', () => {
    const policy = recursionPolicy(resolveOptions({ host: '::' }), () => {
      throw new Error('uv_interface_addresses returned Unknown system error 1');
    });
    expect(policy).toMatchObject({ kind: 'listed', from: 'local networks', cidrs: ['127.0.0.0/8', '::1/128'] });
    if (policy.kind !== 'listed') return;
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1', '2001:db8::1'].map(policy.allowed)).toEqual([true, true, true, false, false]);
  });
});
