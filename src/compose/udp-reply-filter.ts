/** Response rate limiting wired to the UDP listeners: replies beyond --rrl-rate per client prefix are dropped, every second one sent truncated. */
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../http/metrics.js';
import { clientPrefix, createResponseRateLimiter } from '../transport/response-rate-limit.js';
import { truncateReply } from '../wire/truncate-reply.js';

/** A reply filter for the listeners' `filterUdpReply`, or undefined when `rrlRate` is 0 (off). */
export function createUdpReplyFilter(
  rrlRate: number,
  deps: { readonly now: () => number; readonly metrics: ServerMetrics | undefined; readonly rateLimited: Pick<Logger, 'warn'> },
): ((reply: Uint8Array, client: string) => Uint8Array | undefined) | undefined {
  if (rrlRate <= 0) return undefined;
  const rateLimiter = createResponseRateLimiter({ ratePerSecond: rrlRate, now: deps.now });
  return (reply, client) => {
    const verdict = rateLimiter.check(client);
    if (verdict === 'send') return reply;
    deps.metrics?.observeRateLimited(verdict);
    deps.rateLimited.warn({ limit: 'rrl', prefix: clientPrefix(client), rrlRate }, 'limit reached: rrl (UDP replies to a client prefix beyond --rrl-rate)');
    return verdict === 'slip' ? truncateReply(reply) : undefined;
  };
}
