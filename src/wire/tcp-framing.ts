/** DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): a two-byte length before each message. */

/** The largest framed message: a 16-bit length plus the message itself. */
export const MAX_FRAME = 2 + 0xffff;

const EMPTY = Buffer.alloc(0);

/**
 * Incremental decoder: feed it chunks, take whole messages out; split and coalesced frames both work.
 * Messages are views into the received chunks (no copy unless a frame straddles two chunks).
 *
 * Two ways to use it: `push(chunk)` returns every finished message at once; `append(chunk)` then
 * `shift()` hands them out one by one, so a reader can stop taking messages (a cap on queries in
 * flight) while the rest stay buffered and count against the cap on buffered bytes.
 */
export class TcpFrameDecoder {
  private buffered: Buffer = EMPTY;
  private offset = 0;

  /** `maxBufferedBytes`: bytes held at once, complete messages not yet taken out included. */
  constructor(private readonly maxBufferedBytes: number = 4 * MAX_FRAME) {}

  /** Adds a chunk; false when the bytes held now exceed the cap (the caller should drop the stream). */
  append(chunk: Buffer): boolean {
    if (this.offset === this.buffered.length) {
      this.buffered = chunk;
    } else {
      this.buffered = Buffer.concat([this.buffered.subarray(this.offset), chunk]);
    }
    this.offset = 0;
    return this.buffered.length <= this.maxBufferedBytes;
  }

  /** The next complete message, or undefined until more bytes arrive. */
  shift(): Buffer | undefined {
    const available = this.buffered.length - this.offset;
    if (available < 2) return undefined;
    const length = this.buffered.readUInt16BE(this.offset);
    if (available - 2 < length) return undefined;
    const start = this.offset + 2;
    this.offset = start + length;
    const message = this.buffered.subarray(start, this.offset);
    if (this.offset === this.buffered.length) {
      this.buffered = EMPTY;
      this.offset = 0;
    }
    return message;
  }

  /** True when a complete message is waiting to be taken out. */
  hasMessage(): boolean {
    const available = this.buffered.length - this.offset;
    return available >= 2 && available - 2 >= this.buffered.readUInt16BE(this.offset);
  }

  /**
   * Appends a chunk and returns the complete messages it finished, or 'overflow' when the unfinished
   * remainder exceeds the cap.
   */
  push(chunk: Buffer): Buffer[] | 'overflow' {
    this.append(chunk);
    const messages: Buffer[] = [];
    for (let message = this.shift(); message; message = this.shift()) messages.push(message);
    return this.pendingBytes > this.maxBufferedBytes ? 'overflow' : messages;
  }

  /** Bytes held: an unfinished frame and any complete messages not taken out yet. */
  get pendingBytes(): number {
    return this.buffered.length - this.offset;
  }
}

/** Prefixes a message with its length. Throws RangeError for a message over 65535 octets. */
export function frameMessage(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new RangeError(`a DNS message over TCP is at most 65535 octets, not ${message.length}`);
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}
