/** "Did you mean …?" for a mistyped name: the nearest known names by edit distance (pure). */

/** Levenshtein distance with adjacent transpositions counted as one edit (`prot` → `port`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known names closest to `given` (case-insensitive), nearest first, at most `limit`. A name counts
 * as near when it is within a third of its length in edits (at least 1, at most 3), or when one is a
 * prefix of the other (`--zone` → `--zones`).
 */
export function nearestNames(given: string, known: Iterable<string>, limit = 3): string[] {
  const g = given.toLowerCase();
  const scored: { name: string; distance: number }[] = [];
  for (const name of known) {
    const n = name.toLowerCase();
    if (n === g) continue;
    const distance = editDistance(g, n);
    const allowed = Math.min(3, Math.max(1, Math.floor(Math.max(g.length, n.length) / 3)));
    const prefix = g.length >= 3 && (n.startsWith(g) || g.startsWith(n));
    if (distance <= allowed || prefix) scored.push({ name, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/** ` (did you mean port?)`, or '' when nothing is near. `format` renders each name (`--port`). */
export function didYouMean(given: string, known: Iterable<string>, format: (name: string) => string = (n) => n): string {
  const near = nearestNames(given, known, 2);
  if (near.length === 0) return '';
  return ` (did you mean ${near.map(format).join(' or ')}?)`;
}
