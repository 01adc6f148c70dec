/**
 * Per-snapshot memo of answers: a cluster answer depends only on (name, type) and the registry
 * snapshot, so it is computed once per snapshot and the same object is returned after that, which
 * also lets the encoder reuse its wire bytes. Bounded; a new snapshot starts empty.
 */
import type { RecordsAnswer } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';

export interface AnswerMemo {
  /** The memoised answer, or `compute()`; an answer for which `keep` says false is not stored. */
  get(registry: Registry, lowerName: string, qtype: number, compute: () => RecordsAnswer, keep?: (answer: RecordsAnswer) => boolean): RecordsAnswer;
}

export function createAnswerMemo(maxEntries = 50_000): AnswerMemo {
  const bySnapshot = new WeakMap<Registry, Map<string, RecordsAnswer>>();
  return {
    get(registry, lowerName, qtype, compute, keep) {
      let memo = bySnapshot.get(registry);
      if (!memo) bySnapshot.set(registry, (memo = new Map()));
      const key = `${qtype}|${lowerName}`;
      let answer = memo.get(key);
      if (answer === undefined) {
        answer = compute();
        if (keep && !keep(answer)) return answer;
        // A flood of distinct names must not grow memory without bound: start over when full.
        if (memo.size >= maxEntries) memo.clear();
        memo.set(key, answer);
      }
      return answer;
    },
  };
}
