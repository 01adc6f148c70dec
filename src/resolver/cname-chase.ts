/**
 * Completes a CNAME chain that leaves the cluster zone, as a recursive server must (RFC 1034 §4.3.2,
 * step 3a): an ExternalName's target is resolved through the injected out-of-zone lookup (reply
 * cache, then upstream) and the answer carries the whole chain, the target's records of the asked
 * type and the upstream's rcode. A target that leads back into the zone is followed in the registry.
 * Pure: the lookup and the clock are handed in.
 */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import { Rcode, RecordType } from '../dns/types.js';
import type { DomainName, Query, RecordsAnswer, ResourceRecord } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';
import { readReplyRecords } from '../wire/reply-records.js';
import { answerClusterName, isInZone, MAX_CNAME_CHAIN, type ClusterZoneOptions } from './cluster-answers.js';
import type { Next } from './stage.js';

export interface CnameChaseOptions {
  /** Resolves a name outside the cluster zone: the reply cache and the upstream (no ACL; see `mayRecurse`). */
  readonly lookup: Next;
  /** Clients whose chains may be completed upstream (`--allow-recursion`). Default: everyone. */
  readonly mayRecurse?: (clientAddress: string) => boolean;
  /** Composed answers kept per registry snapshot, each for its chain's smallest TTL; 0 = none. Default 10000. */
  readonly maxEntries?: number;
  /** Clock in ms, for the composed answers' lifetimes. Default Date.now. */
  readonly now?: () => number;
}

export interface CnameChaser {
  /**
   * What to send for `answer`, which the cluster or short-form stage computed for `query`: the answer
   * itself unless it ends in a CNAME whose target lies outside the zone and the client asked for
   * recursion; otherwise a promise of the completed chain. Cheap when there is nothing to chase.
   */
  complete(registry: Registry, query: Query, answer: RecordsAnswer): RecordsAnswer | Promise<RecordsAnswer>;
}

interface Entry {
  readonly answer: RecordsAnswer;
  readonly storedAt: number;
  readonly expiresAt: number;
}

/** Our advertised EDNS size: target lookups ask for it so long answers need no TCP retry upstream. */
const LOOKUP_EDNS = { udpPayloadSize: 1232, version: 0, dnssecOk: false } as const;
const cnameLoop = servfail({ code: ExtendedError.OTHER, text: 'CNAME loop' });
const cnameTooLong = servfail({ code: ExtendedError.OTHER, text: `CNAME chain longer than ${MAX_CNAME_CHAIN}` });

/**
 * The out-of-zone name an answer's chain stops at, or undefined: a positive answer whose last record
 * is a CNAME to a name outside the zone (in-zone targets were already followed). CNAME and ANY
 * questions are answered by the CNAME itself (RFC 1034 §3.6.2).
 */
export function chainExit(answer: RecordsAnswer, qtype: number, zone: DomainName): DomainName | undefined {
  if (answer.rcode !== Rcode.NOERROR || qtype === RecordType.CNAME || qtype === RecordType.ANY) return undefined;
  const last = answer.answer[answer.answer.length - 1];
  if (last === undefined || last.type !== 'CNAME' || answer.authority.length !== 0) return undefined;
  return isInZone(last.target, zone) ? undefined : last.target;
}

export function createCnameChaser(zoneOptions: ClusterZoneOptions, options: CnameChaseOptions): CnameChaser {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const bySnapshot = new WeakMap<Registry, Map<string, Entry>>();

  async function chase(registry: Registry, query: Query, partial: RecordsAnswer, exit: DomainName): Promise<RecordsAnswer> {
    const key = `${query.type}|${query.lowerName}|${query.checkingDisabled ? 'cd' : ''}`;
    let entries = bySnapshot.get(registry);
    const hit = entries?.get(key);
    const at = now();
    if (hit && at < hit.expiresAt) return aged(hit, at);
    const answer = await followChain(registry, query, partial, exit);
    const lifetime = answer === partial ? 0 : smallestTtl(answer);
    if (maxEntries > 0 && lifetime > 0) {
      if (!entries) bySnapshot.set(registry, (entries = new Map()));
      // A flood of distinct names must not grow memory without bound: start over when full.
      if (entries.size >= maxEntries) entries.clear();
      const storedAt = now();
      entries.set(key, { answer, storedAt, expiresAt: storedAt + lifetime * 1000 });
    }
    return answer;
  }

  async function followChain(registry: Registry, query: Query, partial: RecordsAnswer, exit: DomainName): Promise<RecordsAnswer> {
    const zone = registry.zone;
    const records: ResourceRecord[] = [...partial.answer];
    // Every name the chain has reached: a CNAME to any of them is a loop.
    const reached = new Set<DomainName>([query.lowerName]);
    let cnames = 0;
    for (const r of records) {
      if (r.type !== 'CNAME') continue;
      reached.add(r.target);
      cnames++;
    }
    let target = exit;
    for (;;) {
      if (isInZone(target, zone)) {
        // The upstream's chain came back into the cluster: the registry answers from here.
        const inZone = answerClusterName(registry, zoneOptions, target, query.type);
        if (inZone.rcode === Rcode.SERVFAIL) return inZone;
        for (const r of inZone.answer) {
          if (r.type !== 'CNAME') continue;
          if (reached.has(r.target)) return cnameLoop;
          reached.add(r.target);
          if (++cnames > MAX_CNAME_CHAIN) return cnameTooLong;
        }
        records.push(...inZone.answer);
        const next = chainExit(inZone, query.type, zone);
        if (next === undefined) return composed(partial, inZone.rcode, records, inZone.authority, inZone.additional);
        target = next;
        continue;
      }

      const reply = await options.lookup(targetQuery(query, target));
      if (reply.kind === 'records') {
        // REFUSED comes from our own pipeline (forwarding not offered): the chain as far as we know it.
        if (reply.rcode === Rcode.REFUSED) return composed(partial, Rcode.NOERROR, records, [], []);
        return reply.rcode === Rcode.SERVFAIL ? reply : servfail({ code: ExtendedError.OTHER, text: `no answer for the CNAME target ${target}` });
      }
      const upstream = readReplyRecords(reply.bytes);
      if (!upstream || upstream.truncated) return servfail({ code: ExtendedError.OTHER, text: `unreadable upstream reply for the CNAME target ${target}` });
      if (upstream.rcode !== Rcode.NOERROR && upstream.rcode !== Rcode.NXDOMAIN) {
        return servfail({ code: ExtendedError.OTHER, text: `upstream answered rcode ${upstream.rcode} for the CNAME target ${target}` });
      }
      // Only records on the chain from the target count (RFC 2181 §5.4.1): anything else is ignored.
      let name = target;
      for (;;) {
        const link = upstream.answer.find((r) => r.type === 'CNAME' && r.name === name);
        if (link === undefined || link.type !== 'CNAME') break;
        if (reached.has(link.target)) return cnameLoop;
        reached.add(link.target);
        if (++cnames > MAX_CNAME_CHAIN) return cnameTooLong;
        records.push(link);
        name = link.target;
      }
      const data = upstream.answer.filter((r) => r.name === name && r.type !== 'CNAME');
      if (data.length === 0 && name !== target && isInZone(name, zone)) {
        target = name;
        continue;
      }
      records.push(...data);
      // A negative answer keeps the upstream's SOA, so whoever caches it knows for how long (RFC 2308).
      const negative = upstream.rcode === Rcode.NXDOMAIN || data.length === 0;
      return composed(partial, upstream.rcode, records, negative ? upstream.authority.filter((r) => r.type === 'SOA') : [], []);
    }
  }

  return {
    complete(registry, query, answer) {
      const exit = chainExit(answer, query.type, registry.zone);
      if (exit === undefined) return answer;
      // Without RD, or for a client that may not recurse, the CNAME alone (RFC 1034 §4.3.2 step 1).
      if (!query.recursionDesired || (options.mayRecurse && !options.mayRecurse(query.client.address))) return answer;
      return chase(registry, query, answer, exit);
    },
  };
}

/** The target's question, asked as a fresh recursive query: same type and class, EDNS without DO. */
function targetQuery(query: Query, target: DomainName): Query {
  return {
    id: query.id,
    opcode: query.opcode,
    recursionDesired: true,
    checkingDisabled: query.checkingDisabled,
    name: target,
    lowerName: target,
    type: query.type,
    class: query.class,
    edns: LOOKUP_EDNS,
    transport: query.transport,
    client: query.client,
  };
}

function composed(partial: RecordsAnswer, rcode: number, answer: readonly ResourceRecord[], authority: readonly ResourceRecord[], additional: readonly ResourceRecord[]): RecordsAnswer {
  // AA follows the first name of the chain, ours or not (RFC 1035 §4.1.1): as the stage decided.
  return { kind: 'records', rcode: rcode as RecordsAnswer['rcode'], authoritative: partial.authoritative, answer, authority, additional };
}

/** Seconds a composed answer may be reused: its smallest TTL; for a negative one also the SOA's (RFC 2308 §5). */
function smallestTtl(answer: RecordsAnswer): number {
  if (answer.rcode !== Rcode.NOERROR && answer.rcode !== Rcode.NXDOMAIN) return 0;
  let ttl = Infinity;
  for (const r of answer.answer) ttl = Math.min(ttl, r.ttl);
  for (const r of answer.authority) ttl = Math.min(ttl, r.type === 'SOA' ? Math.min(r.ttl, r.minimum) : r.ttl);
  return ttl === Infinity ? 0 : ttl;
}

/** A cached composed answer with every TTL less the whole seconds it was kept (the same object in its first second). */
function aged(entry: Entry, at: number): RecordsAnswer {
  const elapsed = Math.floor((at - entry.storedAt) / 1000);
  if (elapsed <= 0) return entry.answer;
  const age = (r: ResourceRecord): ResourceRecord => ({ ...r, ttl: Math.max(0, r.ttl - elapsed) });
  const a = entry.answer;
  return { ...a, answer: a.answer.map(age), authority: a.authority.map(age), additional: a.additional.map(age) };
}
