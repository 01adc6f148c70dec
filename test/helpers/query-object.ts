/** Builds a decoded `Query` by hand, with `wire` holding the same query as bytes, to drive one stage. */
import type { Query } from '../../src/dns/types.js';
import { buildQuery, TYPES, type QueryOptions } from './dns-client.js';

export function queryObject(name: string, type: string | number, o: QueryOptions = {}): Query {
  const wire = buildQuery(name, type, o);
  return {
    id: o.id ?? 0x1234,
    opcode: o.opcode ?? 0,
    recursionDesired: o.rd !== false,
    checkingDisabled: o.cd === true,
    name: name.replace(/\.$/, ''),
    lowerName: name.replace(/\.$/, '').toLowerCase(),
    type: typeof type === 'number' ? type : TYPES[type]!,
    class: o.qclass ?? 1,
    edns: o.edns ? { udpPayloadSize: o.edns.udpSize ?? 1232, version: o.edns.version ?? 0, dnssecOk: o.edns.do === true } : undefined,
    transport: 'udp',
    client: { address: '127.0.0.1', port: 40000 },
    wire,
  };
}

/** The same query as it arrived in `wire` (e.g. a query an upstream sent back to us). */
export function queryFromWire(wire: Uint8Array, like: Query): Query {
  return { ...like, id: (wire[0]! << 8) | wire[1]!, wire };
}
