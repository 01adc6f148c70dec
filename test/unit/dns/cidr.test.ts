import { describe, expect, it } from 'vitest';
import { bytesToIp, cidrContains, cidrsOverlap, parseCidr } from '../../../src/dns/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.0/12'],
    ['10.111.255.255/12', '10.96.0.0/12'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['FD00:10:96:0::1/108', 'fd00:10:96::/108'],
    ['fd00:10:244::ffff/56', 'fd00:10:244::/56'],
    ['2001:db8::1:2:3/125', '2001:db8::1:2:0/125'],
    ['::/0', '::/0'],
  ])('%s → %s', (text, normal) => {
    expect(parseCidr(text)?.text).toBe(normal);
  });

  it.each(['10.96.0.0', '10.96.0.0/', '10.96.0.0/33', 'fd00::/129', '10.96.0.0/1a', '10.96.0.0/-1', 'web/12', '300.1.1.1/8', 'fe80::1%eth0/64', '10.96.0.0/0012'])(
    'rejects %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});

describe('cidrContains', () => {
  const v4 = parseCidr('10.96.0.0/12')!;
  const v6 = parseCidr('fd00:10:96::/108')!;
  it.each([
    [v4, '10.96.0.1', true],
    [v4, '10.111.255.255', true],
    [v4, '10.112.0.0', false],
    [v4, '10.95.255.255', false],
    [v4, 'fd00:10:96::1', false],
    [v6, 'fd00:10:96::f:ffff', true],
    [v6, 'fd00:10:96::10:0', false],
    [v6, '10.96.0.1', false],
    [v6, 'not an address', false],
  ])('%o contains %s: %s', (cidr, address, inside) => {
    expect(cidrContains(cidr, address)).toBe(inside);
  });

  it('detects overlap in either direction, never across families', () => {
    expect(cidrsOverlap(v4, parseCidr('10.100.0.0/16')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/8')!, v4)).toBe(true);
    expect(cidrsOverlap(v4, parseCidr('10.244.0.0/16')!)).toBe(false);
    expect(cidrsOverlap(v4, parseCidr('::/0')!)).toBe(false);
  });

  it('writes bytes back as canonical text', () => {
    expect(bytesToIp(Uint8Array.from([10, 96, 0, 10]))).toBe('10.96.0.10');
    expect(bytesToIp(parseCidr('fd00:10:96::/108')!.bytes)).toBe('fd00:10:96::');
  });
});
