/**
 * Loads the native UDP engine (native/udp-engine.c, built at install into build/Release) and decides
 * which UDP engine runs: `auto` takes the addon where it loaded, else node:dgram, with the reason.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What native/udp-engine.c exports (plain N-API; one build serves Node 20 and later). */
export interface NativeUdpAddon {
  open(family: 4 | 6, address: string, port: number, reusePort: boolean, bufferBytes: number): { handle: NativeHandle; port: number };
  start(
    handle: NativeHandle,
    onBatch: (count: number) => void,
    batch: number,
    inSlot: number,
    outSlot: number,
    inBytes: ArrayBuffer,
    inLengths: ArrayBuffer,
    addresses: ArrayBuffer,
    outBytes: ArrayBuffer,
    outLengths: ArrayBuffer,
  ): void;
  send(handle: NativeHandle, bytes: Uint8Array, addressRecord: Uint8Array): void;
  stats(handle: NativeHandle): NativeUdpStats;
  close(handle: NativeHandle, onClosed?: () => void): void;
}

/** An opaque socket handle (an N-API external). */
export type NativeHandle = { readonly __nativeUdpHandle: never };

export interface NativeUdpStats {
  readonly batches: number;
  readonly datagrams: number;
  /** Replies waiting for the kernel's send buffer (EAGAIN) right now. */
  readonly queued: number;
  /** Replies dropped because that queue was full. */
  readonly overflow: number;
  readonly sendErrors: number;
  readonly receiveErrors: number;
}

export type UdpEngineChoice = 'auto' | 'native' | 'dgram';
export type UdpEngine = 'native' | 'dgram';

/**
 * Where the addon is: build/Release of this package (dist/transport and src/transport are both two
 * levels below it). CLUSTER_DNS_UDP_ADDON names another file, for an addon built elsewhere.
 */
function addonPath(): string {
  return process.env.CLUSTER_DNS_UDP_ADDON || fileURLToPath(new URL('../../build/Release/udp_engine.node', import.meta.url));
}

let loaded: { readonly addon: NativeUdpAddon } | { readonly reason: string } | undefined;

/** The addon, or why it is not there (loaded once per process). */
export function loadNativeUdpAddon(): { readonly addon: NativeUdpAddon } | { readonly reason: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { reason: `the native UDP engine is Linux-only (this is ${process.platform})` });
  const path = addonPath();
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as NativeUdpAddon };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    loaded = {
      reason:
        code === 'MODULE_NOT_FOUND'
          ? `the native UDP engine was not built (${path} is missing; npm install builds it where g++, make and python3 are installed)`
          : `the native UDP engine did not load (${path}: ${(error as Error).message.split('\n')[0]!.replace(`${path}: `, '')})`,
    };
  }
  return loaded;
}

/**
 * The engine that runs for `choice`: `auto` is native where the addon loaded, else dgram with
 * `fallback` saying why; `native` without the addon is `unavailable` (the caller refuses to start).
 */
export function chooseUdpEngine(choice: UdpEngineChoice): { engine: UdpEngine; fallback?: string; unavailable?: string } {
  if (choice === 'dgram') return { engine: 'dgram' };
  const result = loadNativeUdpAddon();
  if ('addon' in result) return { engine: 'native' };
  return choice === 'native' ? { engine: 'native', unavailable: result.reason } : { engine: 'dgram', fallback: result.reason };
}
