/** The response rate limiter with a fake clock: bucket per prefix, refill, burst, slip, table cap. */
import { describe, expect, it } from 'vitest';
import { clientPrefix, createResponseRateLimiter } from '../../../src/transport/response-rate-limit.js';

function limiter(ratePerSecond: number, extra: { slip?: number; maxPrefixes?: number } = {}) {
  const clock = { ms: 1_000_000 };
  const rrl = createResponseRateLimiter({ ratePerSecond, now: () => clock.ms, ...extra });
  const burst = (address: string, n: number) => Array.from({ length: n }, () => rrl.check(address));
  return { clock, rrl, burst };
}

describe('createResponseRateLimiter', () => {
  it('sends a burst of one second, then drops, slipping every second limited reply', () => {
    const { burst } = limiter(3);
    expect(burst('192.0.2.1', 9)).toEqual(['send', 'send', 'send', 'drop', 'slip', 'drop', 'slip', 'drop', 'slip']);
  });

  it('refills at the rate, never beyond one second of burst', () => {
    const { clock, burst } = limiter(10);
    expect(burst('192.0.2.1', 11).filter((v) => v === 'send')).toHaveLength(10);
    clock.ms += 100; // one token
    expect(burst('192.0.2.1', 2)).toEqual(['send', 'slip']);
    clock.ms += 60_000; // a minute idle still gives only one second's worth
    expect(burst('192.0.2.1', 12).filter((v) => v === 'send')).toHaveLength(10);
  });

  it('limits a /24 together and keeps other prefixes apart', () => {
    const { burst } = limiter(2);
    expect(burst('198.51.100.1', 2)).toEqual(['send', 'send']);
    expect(burst('198.51.100.200', 2)).toEqual(['drop', 'slip']);
    expect(burst('198.51.101.1', 1)).toEqual(['send']);
    expect(burst('2001:db8:0:ab00::1', 2)).toEqual(['send', 'send']);
    expect(burst('2001:db8:0:abff:1:2:3:4', 1)).toEqual(['drop']);
    expect(burst('2001:db8:0:ac00::1', 1)).toEqual(['send']);
  });

  it('with slip 0 drops every limited reply, with slip 1 truncates every one', () => {
    expect(limiter(1, { slip: 0 }).burst('192.0.2.1', 4)).toEqual(['send', 'drop', 'drop', 'drop']);
    expect(limiter(1, { slip: 1 }).burst('192.0.2.1', 3)).toEqual(['send', 'slip', 'slip']);
  });

  it('tracks at most maxPrefixes, forgetting the one tracked longest', () => {
    const { rrl, burst } = limiter(1, { maxPrefixes: 2 });
    burst('10.0.1.1', 1);
    burst('10.0.2.1', 1);
    burst('10.0.3.1', 1);
    expect(rrl.size()).toBe(2);
    // 10.0.1.x was forgotten: it starts full again; 10.0.3.x is still empty.
    expect([rrl.check('10.0.1.1'), rrl.check('10.0.3.1')]).toEqual(['send', 'drop']);
  });

  it('does not refill when the clock steps back', () => {
    const { clock, burst } = limiter(1);
    burst('192.0.2.1', 1);
    clock.ms -= 5000;
    expect(burst('192.0.2.1', 1)).toEqual(['drop']);
  });
});

describe('clientPrefix', () => {
  it.each([
    ['192.0.2.77', 'v4:192.0.2'],
    ['::ffff:192.0.2.77', 'v4:192.0.2'],
    ['2001:db8:1:2ff::1', 'v6:20010db8000102'],
    ['2001:db8:1:200::', 'v6:20010db8000102'],
    ['::1', 'v6:00000000000000'],
    ['fe80::1%eth0', 'v6:fe800000000000'],
    ['64:ff9b::192.0.2.1', 'v6:0064ff9b000000'],
  ])('%s → %s', (address, prefix) => {
    expect(clientPrefix(address)).toBe(prefix);
  });
});
