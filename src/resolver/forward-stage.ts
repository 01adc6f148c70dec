/**
 * Forward stage: relays what no cluster stage answered to the upstream resolvers, as bytes.
 * Identical queries in flight share one upstream exchange; failure is SERVFAIL with an RFC 8914
 * extended error saying why. A query that is our own, come back around, is a loop: SERVFAIL.
 */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { Answer, Query } from '../dns/types.js';
import type { UpstreamClient } from '../upstream/upstream-client.js';
import { UpstreamError } from '../upstream/upstream-client.js';
import { replyKey } from './cache-stage.js';
import type { Stage } from './stage.js';

export interface ForwardStageOptions {
  /** Called when one of our own forwarded queries arrives back: a forwarding loop. */
  readonly onLoop?: (query: Query) => void;
}

export function createLoopGuardStage(client: Pick<UpstreamClient, 'isOwnQuery'>, options: ForwardStageOptions = {}): Stage {
  return (query, next) => {
    if (query.wire && client.isOwnQuery(query.wire)) {
      options.onLoop?.(query);
      return servfail({ code: ExtendedError.OTHER, text: 'forwarding loop detected: this query came back to cluster-dns' });
    }
    return next(query);
  };
}

export function createForwardStage(client: Pick<UpstreamClient, 'exchange'>): Stage {
  const inFlight = new Map<string, Promise<Uint8Array>>();
  return async (query): Promise<Answer> => {
    if (!query.wire) return servfail({ code: ExtendedError.OTHER, text: 'nothing to forward' });
    const key = replyKey(query);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = client.exchange(query.wire).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    try {
      return { kind: 'relayed', bytes: await pending };
    } catch (error) {
      const timeout = error instanceof UpstreamError && error.upstreamCode === 'UPSTREAM_TIMEOUT';
      return servfail({
        code: timeout ? ExtendedError.NO_REACHABLE_AUTHORITY : ExtendedError.NETWORK_ERROR,
        text: error instanceof Error ? error.message : 'upstream failed',
      });
    }
  };
}
