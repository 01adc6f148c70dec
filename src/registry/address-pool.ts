/**
 * Deterministic address allocation inside one CIDR: a key hashes to an offset and probes forward
 * past taken addresses, the way the API server's allocator scans from a random offset. Pure.
 */
import { createHash } from 'node:crypto';
import { bytesToIp, cidrContains, type Cidr } from '../dns/cidr.js';
import { ipBytes } from '../dns/ip.js';

export interface AddressPool {
  readonly cidr: Cidr;
  /** Marks an address as in use (an explicit ClusterIP, a real Pod IP); addresses outside the range are ignored. */
  reserve(address: string): void;
  /** True when the address lies in the range and is reserved or allocated. */
  isTaken(address: string): boolean;
  /** The address for `key`, stable for the same key and taken set; undefined when the range is full. */
  allocate(key: string): string | undefined;
}

export interface AddressPoolOptions {
  /**
   * Prefer the upper part of the range, leaving the lower band to explicit addresses (KEP-3070,
   * the ClusterIP allocator's `calculateRangeOffset`): min(max(16, size/16), 256) addresses.
   */
  readonly staticBand?: boolean;
}

/**
 * Offsets 0 (the network) and 1 (the first address: the `kubernetes` Service's ClusterIP, a pod
 * range's gateway) are never handed out, nor the IPv4 broadcast address.
 */
export function createAddressPool(cidr: Cidr, options: AddressPoolOptions = {}): AddressPool {
  const bits = cidr.family === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - cidr.prefix);
  const first = 2n;
  const end = cidr.family === 4 ? size - 1n : size; // exclusive
  const usable = end > first ? end - first : 0n;
  const band = options.staticBand ? staticBandSize(size) : 0n;
  const network = bytesToBigInt(cidr.bytes);
  const taken = new Set<bigint>();
  let used = 0n; // taken offsets inside the usable range

  const offsetOf = (address: string): bigint | undefined =>
    cidrContains(cidr, address) ? bytesToBigInt(ipBytes(address)) - network : undefined;
  const addressOf = (offset: bigint): string => bytesToIp(bigIntToBytes(network + offset, cidr.bytes.length));
  const usableOffset = (offset: bigint) => offset >= first && offset < end;

  return {
    cidr,
    reserve(address) {
      const offset = offsetOf(address);
      if (offset !== undefined && !taken.has(offset)) mark(offset);
    },
    isTaken(address) {
      const offset = offsetOf(address);
      return offset !== undefined && taken.has(offset);
    },
    allocate(key) {
      if (used >= usable) return undefined;
      // Start in the dynamic band when there is one, scan to the end, then wrap to the start.
      const low = first + band < end ? first + band : first;
      const start = low + (hashKey(key) % (end - low));
      for (let offset = start; offset < end; offset++) {
        if (!taken.has(offset)) return take(offset);
      }
      for (let offset = first; offset < start; offset++) {
        if (!taken.has(offset)) return take(offset);
      }
      return undefined;
    },
  };

  function mark(offset: bigint): void {
    taken.add(offset);
    if (usableOffset(offset)) used++;
  }

  function take(offset: bigint): string {
    mark(offset);
    return addressOf(offset);
  }
}

/** min(max(16, size/16), 256), and no band at all for ranges of 16 addresses or fewer. */
function staticBandSize(size: bigint): bigint {
  if (size <= 16n) return 0n;
  const offset = size / 16n;
  return offset < 16n ? 16n : offset > 256n ? 256n : offset;
}

/** 128 bits of SHA-256: enough spread for a /56 pod range, identical on every run and machine. */
function hashKey(key: string): bigint {
  const digest = createHash('sha256').update(key).digest();
  return bytesToBigInt(digest.subarray(0, 16));
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
