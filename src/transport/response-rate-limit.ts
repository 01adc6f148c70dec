/**
 * Response rate limiting for UDP replies, as Knot's `rrl` module and BIND's `rate-limit` do: one
 * token bucket per client prefix (/24 for IPv4, /56 for IPv6), refilled at `ratePerSecond` and
 * holding at most one second's worth. A reply beyond it is dropped, except every `slip`th, which
 * goes out truncated (TC=1) so a real client retries over TCP (RFC 7766), which is not limited: a
 * spoofed victim gets few small replies, a real client only a detour. Pure: the clock is passed in.
 */

/** What to do with one UDP reply. */
export type RateVerdict = 'send' | 'slip' | 'drop';

export interface ResponseRateLimitOptions {
  /** Replies per second per client prefix; also the burst (one second's worth). At least 1. */
  readonly ratePerSecond: number;
  /** Every `slip`th limited reply is sent truncated; 0 drops them all. Default 2 (Knot's and BIND's default). */
  readonly slip?: number;
  /** Prefixes tracked at once; beyond it the one tracked longest is forgotten (it starts full again). Default 100000. */
  readonly maxPrefixes?: number;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
}

export interface ResponseRateLimiter {
  /** The verdict for one reply to `address` (as the socket reports it: `a.b.c.d`, `x::y`, `::ffff:a.b.c.d`). */
  check(address: string): RateVerdict;
  /** Prefixes tracked now. */
  size(): number;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Replies limited so far, for the slip count. */
  limited: number;
}

export function createResponseRateLimiter(options: ResponseRateLimitOptions): ResponseRateLimiter {
  const rate = options.ratePerSecond;
  const slip = options.slip ?? 2;
  const maxPrefixes = options.maxPrefixes ?? 100_000;
  const buckets = new Map<string, Bucket>();
  return {
    check(address) {
      const key = clientPrefix(address);
      const t = options.now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        // Map keeps insertion order: the first key is the one tracked longest.
        if (buckets.size >= maxPrefixes) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: rate, last: t, limited: 0 };
        buckets.set(key, bucket);
      } else if (t > bucket.last) {
        bucket.tokens = Math.min(rate, bucket.tokens + ((t - bucket.last) * rate) / 1000);
        bucket.last = t;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 'send';
      }
      bucket.limited++;
      return slip > 0 && bucket.limited % slip === 0 ? 'slip' : 'drop';
    },
    size: () => buckets.size,
  };
}

/**
 * The prefix a client is limited by: `v4:a.b.c` for IPv4 (and IPv4-mapped IPv6), `v6:` and the
 * first 56 bits as hex for IPv6, the sizes Knot and BIND default to (an ISP hands a site a /56).
 */
export function clientPrefix(address: string): string {
  const mapped = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!mapped.includes(':')) return `v4:${mapped.slice(0, mapped.lastIndexOf('.'))}`;
  const zone = mapped.indexOf('%');
  const groups = ipv6Groups(zone < 0 ? mapped : mapped.slice(0, zone));
  const hex = groups.slice(0, 4).map((g) => g.toString(16).padStart(4, '0')).join('');
  return `v6:${hex.slice(0, 14)}`;
}

/** The first groups of an IPv6 text as numbers (`::` expanded; an IPv4 tail never reaches the first 56 bits). */
function ipv6Groups(text: string): number[] {
  const [left = '', right] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => (g.includes('.') ? 0 : parseInt(g, 16))));
  const l = parse(left);
  if (right === undefined) return l;
  const r = parse(right);
  // An IPv4 tail counts as two groups.
  const tail = right.includes('.') ? 1 : 0;
  return [...l, ...new Array<number>(Math.max(0, 8 - l.length - r.length - tail)).fill(0), ...r];
}
