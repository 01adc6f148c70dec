import { describe, expect, it } from 'vitest';
import { MAX_FRAME, TcpFrameDecoder, frameMessage } from '../../../src/wire/tcp-framing.js';

const msg = (n: number, fill: number) => Buffer.alloc(n, fill);
const frames = (...messages: Buffer[]) => Buffer.concat(messages.map(frameMessage));

describe('TcpFrameDecoder', () => {
  it('yields coalesced frames from one chunk, in order', () => {
    const d = new TcpFrameDecoder();
    expect(d.push(frames(msg(3, 1), msg(0, 2), msg(5, 3)))).toEqual([msg(3, 1), msg(0, 2), msg(5, 3)]);
    expect(d.pendingBytes).toBe(0);
  });

  it('reassembles a frame split anywhere, the length prefix included', () => {
    const stream = frames(msg(300, 7), msg(2, 8));
    for (let cut = 1; cut < stream.length; cut += 37) {
      const d = new TcpFrameDecoder();
      const first = d.push(stream.subarray(0, cut));
      const second = d.push(stream.subarray(cut));
      expect([...(first as Buffer[]), ...(second as Buffer[])]).toEqual([msg(300, 7), msg(2, 8)]);
    }
    const d = new TcpFrameDecoder();
    const got: Buffer[] = [];
    for (const byte of stream) got.push(...(d.push(Buffer.from([byte])) as Buffer[]));
    expect(got).toEqual([msg(300, 7), msg(2, 8)]);
  });

  it('hands messages out one at a time with append/shift, counting what waits', () => {
    const d = new TcpFrameDecoder();
    expect(d.append(frames(msg(4, 1), msg(4, 2)).subarray(0, 9))).toBe(true);
    expect(d.hasMessage()).toBe(true);
    expect(d.shift()).toEqual(msg(4, 1));
    expect(d.hasMessage()).toBe(false);
    expect(d.shift()).toBeUndefined();
    expect(d.pendingBytes).toBe(3);
  });

  it('reports overflow past the cap on held bytes', () => {
    expect(new TcpFrameDecoder(100).push(frameMessage(msg(200, 0)).subarray(0, 150))).toBe('overflow');
    expect(new TcpFrameDecoder(100).append(frames(msg(60, 0), msg(60, 0)))).toBe(false);
    expect(new TcpFrameDecoder(100).push(frames(msg(60, 0), msg(60, 0)))).toHaveLength(2); // complete messages are not held
  });
});

describe('frameMessage', () => {
  it('prefixes the length and refuses what cannot be framed', () => {
    expect(frameMessage(new Uint8Array([9, 9]))).toEqual(Buffer.from([0, 2, 9, 9]));
    expect(frameMessage(msg(0xffff, 0)).length).toBe(MAX_FRAME);
    expect(() => frameMessage(msg(0x10000, 0))).toThrow(RangeError);
  });
});
