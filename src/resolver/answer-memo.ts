/**
 * Per-snapshot memo of answers: a cluster answer depends only on (name, type) and the registry
 * snapshot, so it is computed once per snapshot and the same object is returned after that, which
 * also lets the encoder reuse its wire bytes. Keyed by type, then by the query's own lowercased name
 * (no key string is built per query). Bounded; a new snapshot starts empty and drops the old one.
 */
import type { RecordsAnswer } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';

export interface AnswerMemo {
  /** The answer stored for (name, type) in this snapshot, or undefined. */
  find(registry: Registry, lowerName: string, qtype: number): RecordsAnswer | undefined;
  /** Stores an answer for (name, type) in this snapshot. */
  keep(registry: Registry, lowerName: string, qtype: number, answer: RecordsAnswer): void;
}

export function createAnswerMemo(maxEntries = 50_000): AnswerMemo {
  let snapshot: Registry | undefined;
  let byType = new Map<number, Map<string, RecordsAnswer>>();
  let size = 0;
  const forSnapshot = (registry: Registry) => {
    if (registry !== snapshot) {
      snapshot = registry;
      byType = new Map();
      size = 0;
    }
    return byType;
  };
  return {
    find(registry, lowerName, qtype) {
      if (registry !== snapshot) return undefined;
      return byType.get(qtype)?.get(lowerName);
    },
    keep(registry, lowerName, qtype, answer) {
      const types = forSnapshot(registry);
      // A flood of distinct names must not grow memory without bound: start over when full.
      if (size >= maxEntries) {
        types.clear();
        size = 0;
      }
      let names = types.get(qtype);
      if (!names) types.set(qtype, (names = new Map()));
      if (!names.has(lowerName)) size++;
      names.set(lowerName, answer);
    },
  };
}
