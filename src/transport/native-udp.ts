/**
 * UDP through the native engine (native/udp-engine.c): the addon reads up to BATCH datagrams per
 * wake-up with recvmmsg into shared memory and calls `onBatch` once; each is handed to the same
 * PacketHandler node:dgram's path uses, and synchronous replies go back in one sendmmsg. Replies
 * that come later (forwarded names, CNAME chases) are sent one by one.
 */
import { isIPv6 } from 'node:net';
import type { NativeHandle, NativeUdpAddon, NativeUdpStats } from './native-addon.js';
import { callHandler, type BoundAddress, type ListenerMeta, type PacketHandler } from './packet-handler.js';

/** Datagrams per recvmmsg: the probe in issue 22 measured the gain flattening out near 64. */
const BATCH = 64;
/** A slot holds the largest UDP payload, so no query is cut short (untouched pages cost no memory). */
const IN_SLOT = 65536;
/** Our UDP replies are at most 1232 octets (EDNS_UDP_SIZE); a larger one is sent on its own. */
const OUT_SLOT = 4096;
/** Family, 0, port, 16 address octets: as native/udp-engine.c writes them. */
const ADDR_RECORD = 20;
/** Received packets are copied here, so a query answered later still owns its bytes. */
const SLAB_BYTES = 256 * 1024;

export interface NativeUdpSocket {
  address(): BoundAddress;
  /** Starts reading: each datagram goes to `handler`; failures go to `onError` (that query is lost). */
  serve(handler: PacketHandler, onError: (error: unknown, meta: ListenerMeta) => void): void;
  stats(): NativeUdpStats;
  /** Stops reading and closes the socket; resolves once the port is free. */
  close(): Promise<void>;
}

/** Binds a UDP socket through the addon (SO_REUSEPORT when `reusePort`); errors carry a code (EADDRINUSE). */
export function bindNativeUdp(addon: NativeUdpAddon, host: string, port: number, reusePort: boolean, bufferBytes: number): NativeUdpSocket {
  const family = isIPv6(host) ? 6 : 4;
  const opened = addon.open(family, host, port, reusePort, bufferBytes);
  const handle: NativeHandle = opened.handle;
  let open = true;
  let closed: Promise<void> | undefined;

  const bound: BoundAddress = { address: host, family: family === 6 ? 'IPv6' : 'IPv4', port: opened.port };
  return {
    address: () => bound,
    serve(handler, onError) {
      const inBytes = new ArrayBuffer(BATCH * IN_SLOT);
      const inLengths = new Int32Array(BATCH);
      const addresses = new Uint8Array(BATCH * ADDR_RECORD);
      const outBytes = new Uint8Array(BATCH * OUT_SLOT);
      const outLengths = new Int32Array(BATCH);
      const received = Buffer.from(inBytes);
      let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      let slabUsed = 0;

      const onBatch = (count: number): void => {
        for (let i = 0; i < count; i++) {
          const length = inLengths[i]!;
          if (slabUsed + length > SLAB_BYTES) {
            slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length));
            slabUsed = 0;
          }
          const start = i * IN_SLOT;
          received.copy(slab, slabUsed, start, start + length);
          const packet = slab.subarray(slabUsed, slabUsed + length);
          slabUsed += length;
          const at = i * ADDR_RECORD;
          const meta: ListenerMeta = { transport: 'udp', client: clientOf(addresses, at) };
          const reply = callHandler(handler, packet, meta, onError);
          if (reply === undefined) continue;
          if (reply instanceof Uint8Array) {
            if (reply.length <= OUT_SLOT) {
              outBytes.set(reply, i * OUT_SLOT);
              outLengths[i] = reply.length;
            } else {
              addon.send(handle, reply, addresses.subarray(at, at + ADDR_RECORD));
            }
            continue;
          }
          // The shared address slot is reused by the next batch: keep a copy for the late reply.
          const record = addresses.slice(at, at + ADDR_RECORD);
          reply.then(
            (bytes) => {
              if (bytes && open) addon.send(handle, bytes, record);
            },
            (error: unknown) => onError(error, meta),
          );
        }
      };
      addon.start(handle, onBatch, BATCH, IN_SLOT, OUT_SLOT, inBytes, inLengths.buffer, addresses.buffer, outBytes.buffer, outLengths.buffer);
    },
    stats: () => addon.stats(handle),
    close() {
      closed ??= new Promise<void>((resolve) => {
        open = false;
        addon.close(handle, resolve);
      });
      return closed;
    },
  };
}

/** IPv4 source addresses as text, kept: a server hears from few clients, so most are repeats. */
const ipv4Text = new Map<number, string>();
const IPV4_TEXT_KEPT = 4096;

/** The datagram's source as node:dgram's rinfo gives it: dotted IPv4, or IPv6 text (RFC 5952). */
function clientOf(record: Uint8Array, at: number): { address: string; port: number } {
  const port = (record[at + 2]! << 8) | record[at + 3]!;
  if (record[at] === 4) {
    const key = ((record[at + 4]! << 24) | (record[at + 5]! << 16) | (record[at + 6]! << 8) | record[at + 7]!) >>> 0;
    let address = ipv4Text.get(key);
    if (address === undefined) {
      if (ipv4Text.size >= IPV4_TEXT_KEPT) ipv4Text.clear();
      address = `${record[at + 4]}.${record[at + 5]}.${record[at + 6]}.${record[at + 7]}`;
      ipv4Text.set(key, address);
    }
    return { address, port };
  }
  return { address: formatIPv6(record, at + 4), port };
}

/**
 * IPv6 text as libuv's uv_inet_ntop writes it (what node:dgram reports): lowercase hex groups, the
 * longest run of two or more zero groups as `::`, and IPv4-mapped or -compatible addresses ending
 * in dotted IPv4 (`::ffff:192.0.2.1`).
 */
export function formatIPv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestStart !== -1 && i >= bestStart && i < bestStart + bestLength) {
      if (i === bestStart) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    // RFC 4291 §2.5.5: the last 32 bits of an IPv4-mapped (or -compatible) address as dotted IPv4.
    if (i === 6 && bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
      text += `${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
      break;
    }
    text += groups[i]!.toString(16);
  }
  if (bestStart !== -1 && bestStart + bestLength === 8) text += ':';
  return text;
}
