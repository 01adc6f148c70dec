/** DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): a two-byte length before each message. */

/** Incremental decoder: feed it chunks, it yields whole messages; handles split and coalesced frames. */
export class TcpFrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBufferedBytes: number = 65537 * 4) {}

  /** Appends a chunk and returns the complete messages it finished, or 'overflow' past the cap. */
  push(chunk: Buffer): Buffer[] | 'overflow' {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    let pos = 0;
    while (this.buffered.length - pos >= 2) {
      const length = this.buffered.readUInt16BE(pos);
      if (this.buffered.length - pos - 2 < length) break;
      messages.push(this.buffered.subarray(pos + 2, pos + 2 + length));
      pos += 2 + length;
    }
    this.buffered = pos === 0 ? this.buffered : this.buffered.subarray(pos);
    if (this.buffered.length > this.maxBufferedBytes) return 'overflow';
    return messages;
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/** Prefixes a message with its length. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}
