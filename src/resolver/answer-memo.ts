/**
 * Memo of answers: a cluster answer depends only on (name, type) and the registry, so it is computed
 * once and the same object is returned after that, which also lets the encoder reuse its wire bytes.
 * Keyed by type, then by the query's own lowercased name (no key string is built per query). Bounded.
 * When the live registry changes (a batch), only the answers whose scope changed are dropped, plus
 * the answers with no single scope; a whole new snapshot starts the memo over.
 */
import type { DomainName, RecordsAnswer } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';

export interface AnswerMemo {
  /** The answer stored for (name, type) for this registry, or undefined. */
  find(registry: Registry, lowerName: string, qtype: number): RecordsAnswer | undefined;
  /**
   * Stores an answer for (name, type). `scope` is the one name whose change can change it (a
   * service's name for anything under it, a reverse owner); undefined: any change drops it.
   */
  keep(registry: Registry, lowerName: string, qtype: number, answer: RecordsAnswer, scope?: DomainName): void;
}

export function createAnswerMemo(maxEntries = 50_000): AnswerMemo {
  let snapshot: Registry | undefined;
  let byType = new Map<number, Map<string, RecordsAnswer>>();
  let size = 0;
  /** Scope → the (type, name) entries under it; `unscoped` go at every change. */
  let scoped = new Map<DomainName, [number, string][]>();
  let unscoped: [number, string][] = [];
  /** Entries in the scope lists: a key kept again is listed again, so they are bounded separately. */
  let listed = 0;

  const startOver = () => {
    byType = new Map();
    scoped = new Map();
    unscoped = [];
    size = 0;
    listed = 0;
  };
  const drop = ([qtype, name]: [number, string]) => {
    if (byType.get(qtype)?.delete(name)) size--;
  };
  /** Brings the memo up to `registry`: drops what changed since the view it last saw, or everything. */
  const follow = (registry: Registry) => {
    if (registry === snapshot) return;
    const changed = snapshot?.changes !== undefined && registry.changes === snapshot.changes && snapshot.version !== undefined ? registry.changes.since(snapshot.version) : undefined;
    snapshot = registry;
    if (changed === undefined) return startOver();
    for (const name of changed) {
      const entries = scoped.get(name);
      if (!entries) continue;
      scoped.delete(name);
      listed -= entries.length;
      for (const entry of entries) drop(entry);
    }
    for (const entry of unscoped) drop(entry);
    listed -= unscoped.length;
    unscoped = [];
  };
  return {
    find(registry, lowerName, qtype) {
      follow(registry);
      return byType.get(qtype)?.get(lowerName);
    },
    keep(registry, lowerName, qtype, answer, scope) {
      follow(registry);
      // A flood of distinct names (or of one name kept again and again) must not grow memory
      // without bound: start over when full.
      if (size >= maxEntries || listed >= 2 * maxEntries) startOver();
      let names = byType.get(qtype);
      if (!names) byType.set(qtype, (names = new Map()));
      if (!names.has(lowerName)) size++;
      names.set(lowerName, answer);
      const entry: [number, string] = [qtype, lowerName];
      listed++;
      if (scope === undefined) unscoped.push(entry);
      else {
        const list = scoped.get(scope);
        if (list) list.push(entry);
        else scoped.set(scope, [entry]);
      }
    },
  };
}

/**
 * The scope of a cluster answer for `lowerName`: the service name it lies under
 * (`<svc>.<ns>.svc.<zone>`) when every record it holds, and every SRV target, lies under that name
 * too; otherwise undefined (an ExternalName chain, an SOA-carrying answer, a pod or apex name).
 * The live registry replaces a service's names together, so that one name covers them all.
 * `skip` leading answer records are left out (a short form's own CNAME).
 */
export function answerScope(zone: DomainName, lowerName: DomainName, answer: RecordsAnswer, skip = 0): DomainName | undefined {
  if (answer.authority.length > 0) return undefined;
  const suffix = `.svc.${zone}`;
  if (!lowerName.endsWith(suffix)) return undefined;
  // `<…>.<svc>.<ns>` before `.svc.<zone>`: the scope keeps the last two labels.
  const relative = lowerName.slice(0, lowerName.length - suffix.length);
  const nsDot = relative.lastIndexOf('.');
  if (nsDot <= 0) return undefined;
  const svcDot = relative.lastIndexOf('.', nsDot - 1);
  const scope = `${relative.slice(svcDot + 1)}${suffix}`;
  const within = (name: DomainName) => name === scope || (name.endsWith(scope) && name.charCodeAt(name.length - scope.length - 1) === 46);
  for (let i = skip; i < answer.answer.length; i++) {
    const r = answer.answer[i]!;
    if (r.type === 'CNAME' || !within(r.name) || (r.type === 'SRV' && !within(r.target))) return undefined;
  }
  for (const r of answer.additional) if (!within(r.name)) return undefined;
  return scope;
}
