/** The pipeline contract: a stage answers or passes the query on, never both (CoreDNS plugin.Handler). */
import type { Answer, Query } from '../dns/types.js';

export type Next = (query: Query) => Answer | Promise<Answer>;
export type Stage = (query: Query, next: Next) => Answer | Promise<Answer>;

/**
 * Chains stages in order; `last` answers what no stage did. Each stage's `next` may be called once:
 * a second call is a bug in the stage and throws.
 */
export function compose(stages: readonly Stage[], last: Next): Next {
  return stages.reduceRight<Next>((next, stage) => (query) => {
    let called = false;
    return stage(query, (q) => {
      if (called) throw new Error('next() called twice by one stage');
      called = true;
      return next(q);
    });
  }, last);
}
