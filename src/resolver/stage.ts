/** The pipeline contract: a stage answers or passes the query on, never both (CoreDNS plugin.Handler). */
import type { Answer, Query } from '../dns/types.js';

export type Next = (query: Query) => Answer | Promise<Answer>;
export type Stage = (query: Query, next: Next) => Answer | Promise<Answer>;

export interface ComposeOptions {
  /**
   * Wrap each stage's `next` so that a second call throws: a check for tests of new stages. It costs
   * a closure per stage per query, so the server runs without it. Default false.
   */
  readonly checkNext?: boolean;
}

/**
 * Chains stages in order; `last` answers what no stage did. Each stage is bound to its `next` once,
 * here, so a query passes through the chain without allocating anything.
 */
export function compose(stages: readonly Stage[], last: Next, options: ComposeOptions = {}): Next {
  let next = last;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    const after = next;
    next = options.checkNext ? checkedLink(stage, after) : (query) => stage(query, after);
  }
  return next;
}

function checkedLink(stage: Stage, after: Next): Next {
  return (query) => {
    let called = false;
    return stage(query, (q) => {
      if (called) throw new Error('next() called twice by one stage');
      called = true;
      return after(q);
    });
  };
}
