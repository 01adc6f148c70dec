import { describe, expect, it } from 'vitest';
import type { Query } from '../../../src/dns/types.js';
import { carriesToken, createLoopToken, LOOP_OPTION_CODE, markQuery } from '../../../src/upstream/loop-token.js';
import { upstreamIsSelf, findSelfUpstream, canonicalIp } from '../../../src/upstream/self-address.js';
import { buildUpstreamQuery, encodeQueryName } from '../../../src/wire/upstream-query.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { queryObject } from '../../helpers/query-object.js';

describe('the EDNS loop marker', () => {
  const token = createLoopToken();

  it('is appended to the OPT record of a query that has one, and recognised only with the same token', () => {
    const query = buildQuery('example.org', 'A', { edns: { do: true, options: Uint8Array.from([0, 10, 0, 2, 0xab, 0xcd]) } });
    const marked = Buffer.from(markQuery(query, token));
    expect(marked.length).toBe(query.length + 4 + token.length);
    expect(marked.subarray(0, query.length - 6 - 2)).toEqual(query.subarray(0, query.length - 6 - 2)); // up to RDLENGTH
    expect(marked.readUInt16BE(query.length - 8)).toBe(6 + 4 + token.length); // RDLENGTH grew
    expect(marked.readUInt16BE(query.length)).toBe(LOOP_OPTION_CODE);
    expect(carriesToken(marked, token)).toBe(true);
    expect(carriesToken(marked, createLoopToken())).toBe(false);
    expect(carriesToken(query, token)).toBe(false);
  });

  it('leaves a query without EDNS as it was', () => {
    const query = buildQuery('example.org', 'A');
    expect(Buffer.from(markQuery(query, token))).toEqual(query);
    expect(carriesToken(query, token)).toBe(false);
  });

  it('does not throw on garbage', () => {
    expect(carriesToken(Uint8Array.from([1, 2, 3]), token)).toBe(false);
    expect(Buffer.from(markQuery(Uint8Array.from([1, 2, 3]), token))).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe('upstreamIsSelf', () => {
  it.each([
    [{ address: '127.0.0.1', port: 1053 }, '127.0.0.1', 1053, true],
    [{ address: '127.0.0.1', port: 53 }, '127.0.0.1', 1053, false],
    [{ address: '127.0.0.2', port: 1053 }, '127.0.0.1', 1053, false],
    [{ address: '127.0.0.1', port: 1053 }, '0.0.0.0', 1053, true],
    [{ address: '::ffff:127.0.0.1', port: 1053 }, '127.0.0.1', 1053, true],
    [{ address: '0:0:0:0:0:0:0:1', port: 1053 }, '::1', 1053, true],
    [{ address: '::1', port: 1053 }, '0.0.0.0', 1053, false],
    [{ address: '127.0.0.1', port: 1053 }, '::', 1053, true],
    [{ address: '192.0.2.77', port: 1053 }, '0.0.0.0', 1053, false],
    // Docker's embedded resolver, seen from a container where cluster-dns listens on 0.0.0.0:53.
    [{ address: '127.0.0.11', port: 53 }, '0.0.0.0', 53, false],
    [{ address: '0.0.0.0', port: 53 }, '0.0.0.0', 53, true],
  ])('%o with the server on %s:%i → %s', (upstream, host, port, self) => {
    expect(upstreamIsSelf(upstream, host, port)).toBe(self);
  });

  it('checks every listening address, and canonicalises IPv6', () => {
    expect(findSelfUpstream([{ address: '9.9.9.9', port: 53 }, { address: '::1', port: 5353 }], [{ address: '127.0.0.1', port: 5353 }, { address: '::1', port: 5353 }])).toEqual({ address: '::1', port: 5353 });
    expect(canonicalIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
  });
});

describe('buildUpstreamQuery (a query without its wire bytes)', () => {
  it('builds the same bytes a client would have sent', () => {
    const q = queryObject('Example.ORG', 'AAAA', { id: 4321, cd: true, edns: { udpSize: 4096, do: true } });
    const { wire, ...withoutWire } = q;
    expect(Buffer.from(buildUpstreamQuery(withoutWire as Query)!)).toEqual(wire);
    const plain = queryObject('example.org', 'A', { rd: false });
    expect(Buffer.from(buildUpstreamQuery({ ...plain, wire: undefined } as Query)!)).toEqual(plain.wire);
  });

  it('reads presentation escapes and refuses names that cannot be written', () => {
    expect(encodeQueryName('a\\.b.c')).toEqual([3, 0x61, 0x2e, 0x62, 1, 0x63, 0]);
    expect(encodeQueryName('\\065')).toEqual([1, 65, 0]);
    expect(encodeQueryName('')).toEqual([0]);
    expect(encodeQueryName('a..b')).toBeUndefined();
    expect(encodeQueryName('x'.repeat(64))).toBeUndefined();
    expect(encodeQueryName(Array(130).fill('ab').join('.'))).toBeUndefined();
  });
});
