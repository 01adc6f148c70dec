/** The one dns2 import: a typed facade over its record codec (Packet.Writer, Packet.Name, Packet.Resource). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** dns2's bit-level writer, with the name-offset map that drives compression (RFC 1035 §4.1.4). */
export interface Dns2Writer {
  names: Map<string, number> | undefined;
  write(value: number, bits: number): void;
  bitLength(): number;
  byteLength(): number;
  patch(bitOffset: number, value: number, bits: number): void;
  toBuffer(): Buffer;
}

interface RdataCodec {
  encode(record: object, writer: Dns2Writer): void;
}

interface Dns2PacketStatics {
  Writer: new () => Dns2Writer;
  Name: { encode(name: string, writer: Dns2Writer): void };
  Resource: Record<'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS' | 'TXT' | 'SRV' | 'SOA', RdataCodec>;
}

// dns2's entry point also loads its clients and servers (DoH pulls in node:http2: ~50 ms of every
// start); the codec is `packet.js` alone, which the package's exports map does not list, so it is
// required by its path next to the entry point.
const requireFromHere = createRequire(import.meta.url);
const packet = requireFromHere(join(dirname(requireFromHere.resolve('dns2')), 'packet.js')) as Dns2PacketStatics;

export function createWriter(): Dns2Writer {
  const writer = new packet.Writer();
  writer.names = new Map();
  return writer;
}

export const encodeName = (name: string, writer: Dns2Writer): void => packet.Name.encode(name, writer);
export const rdataCodecs = packet.Resource;
