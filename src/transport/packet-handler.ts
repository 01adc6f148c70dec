/** What a transport hands the query handler and gets back: the types both UDP engines and TCP share. */

export interface ListenerMeta {
  readonly transport: 'udp' | 'tcp';
  readonly client: { readonly address: string; readonly port: number };
}

/** Answers one message: the reply bytes, or undefined to send nothing (a dropped query). */
export type PacketHandler = (packet: Buffer, meta: ListenerMeta) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** An address a listener is bound to (port 0 resolved to the port the kernel picked). */
export interface BoundAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

/**
 * Calls the handler for one message: a synchronous throw is reported and counts as no reply, so
 * one bad packet never takes a listener down (the three read loops share this).
 */
export function callHandler(handler: PacketHandler, packet: Buffer, meta: ListenerMeta, onError: (error: unknown, meta: ListenerMeta) => void): ReturnType<PacketHandler> {
  try {
    return handler(packet, meta);
  } catch (error) {
    onError(error, meta);
    return undefined;
  }
}
