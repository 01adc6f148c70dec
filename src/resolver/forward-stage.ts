/**
 * Forward stage: relays what no cluster stage answered to the upstream resolvers, as bytes, so record
 * types nobody here models pass through untouched. Identical queries in flight share one upstream
 * exchange. Failure is SERVFAIL with an RFC 8914 extended error saying why. A query of our own that
 * came back around is a loop: SERVFAIL at once, reported through `onLoopDetected`.
 */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { Answer, Query } from '../dns/types.js';
import type { UpstreamClient, UpstreamErrorCode } from '../upstream/upstream-client.js';
import { addressReplyTo } from '../wire/reply-inspector.js';
import { buildUpstreamQuery } from '../wire/upstream-query.js';
import { replyKey } from './cache-stage.js';
import type { Stage } from './stage.js';

export interface ForwardStageOptions {
  /**
   * Called for each query recognised as our own come back (a forwarding loop), before it is answered
   * SERVFAIL. The caller decides how often to log it (once is enough). Default: nothing.
   */
  readonly onLoopDetected?: (query: Query) => void;
  /** @deprecated the same as `onLoopDetected`. */
  readonly onLoop?: (query: Query) => void;
}

const LOOP_TEXT = 'forwarding loop: this query was forwarded by this server and came back to it';

/** Creates the forward stage; `client` may be any object with `exchange` (tests pass fakes). */
export function createForwardStage(client: Pick<UpstreamClient, 'exchange'> & Partial<Pick<UpstreamClient, 'isOwnQuery' | 'answeredBy'>>, options: ForwardStageOptions = {}): Stage {
  const onLoop = options.onLoopDetected ?? options.onLoop;
  const inFlight = new Map<string, Promise<Uint8Array>>();
  return async (query): Promise<Answer> => {
    // Before coalescing: a looped query would otherwise wait on its own exchange until the timeout.
    if (query.wire && client.isOwnQuery?.(query.wire)) {
      onLoop?.(query);
      return servfail({ code: ExtendedError.OTHER, text: LOOP_TEXT });
    }
    const wire = query.wire ?? buildUpstreamQuery(query);
    if (!wire) return servfail({ code: ExtendedError.OTHER, text: 'the query name cannot be forwarded' });
    const key = replyKey(query);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = client.exchange(wire).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    try {
      // Shared by every waiter: each gets its own id and question case.
      const reply = await pending;
      const upstream = client.answeredBy?.(reply);
      return upstream === undefined ? { kind: 'relayed', bytes: addressReplyTo(reply, wire) } : { kind: 'relayed', bytes: addressReplyTo(reply, wire), upstream };
    } catch (error) {
      return servfail(extendedErrorFor(error));
    }
  };
}

const EXTENDED_ERRORS: Record<UpstreamErrorCode, number> = {
  UPSTREAM_TIMEOUT: ExtendedError.NO_REACHABLE_AUTHORITY,
  UPSTREAM_UNREACHABLE: ExtendedError.NETWORK_ERROR,
  UPSTREAM_BUSY: ExtendedError.OTHER,
  UPSTREAM_CLOSED: ExtendedError.OTHER,
};

/** RFC 8914 §4: 22 when nobody answered in time, 23 when the network said no; the text says who. */
function extendedErrorFor(error: unknown): { code: number; text: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  const text = error instanceof Error ? error.message : 'upstream failed';
  if (typeof code === 'string' && code in EXTENDED_ERRORS) return { code: EXTENDED_ERRORS[code as UpstreamErrorCode], text };
  return { code: ExtendedError.OTHER, text };
}
