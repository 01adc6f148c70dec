/**
 * Extra cluster zones (`--cluster-domain cluster.local,cluster.internal`): a name under an alias zone
 * is answered as the same name under the first zone, with every name in the answer moved to the
 * alias, as CoreDNS's kubernetes plugin answers each of its zones. Authoritative like the cluster stage.
 */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { DomainName, RecordsAnswer, ResourceRecord } from '../dns/types.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { answerClusterName, isInZone, type ClusterZoneOptions } from './cluster-answers.js';
import { createAnswerMemo } from './answer-memo.js';
import type { CnameChaser } from './cname-chase.js';
import type { Stage } from './stage.js';

export interface ZoneAliasStageOptions extends ClusterZoneOptions {
  /** Lowercase alias zones without the trailing dot; empty: the stage passes everything on. */
  readonly aliases: readonly DomainName[];
  readonly chaser?: CnameChaser;
}

/** `name` under `from` moved under `to`; a name outside `from` (an ExternalName's target) stays. */
export function moveName(name: DomainName, from: DomainName, to: DomainName): DomainName {
  if (name === from) return to;
  return isInZone(name, from) ? `${name.slice(0, name.length - from.length)}${to}` : name;
}

function moveRecord(r: ResourceRecord, from: DomainName, to: DomainName): ResourceRecord {
  const name = moveName(r.name, from, to);
  switch (r.type) {
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return { ...r, name, target: moveName(r.target, from, to) };
    case 'SRV':
      return { ...r, name, target: moveName(r.target, from, to) };
    case 'SOA':
      return { ...r, name, mname: moveName(r.mname, from, to), rname: moveName(r.rname, from, to) };
    default:
      return { ...r, name };
  }
}

/** An answer computed in zone `from`, every name in it moved to zone `to`. */
export function moveAnswer(answer: RecordsAnswer, from: DomainName, to: DomainName): RecordsAnswer {
  const move = (list: readonly ResourceRecord[]) => list.map((r) => moveRecord(r, from, to));
  return { ...answer, answer: move(answer.answer), authority: move(answer.authority), additional: move(answer.additional) };
}

export function createZoneAliasStage(registryRef: RegistryRef, options: ZoneAliasStageOptions): Stage {
  if (options.aliases.length === 0) return (query, next) => next(query);
  const memo = createAnswerMemo();
  const notReady = servfail({ code: ExtendedError.NOT_READY, text: 'registry not loaded yet' });
  return (query, next) => {
    const alias = options.aliases.find((zone) => isInZone(query.lowerName, zone));
    if (alias === undefined) return next(query);
    const registry = registryRef.current();
    if (!registry) return notReady;
    let answer = memo.find(registry, query.lowerName, query.type);
    if (answer === undefined) {
      const primary = registry.zone;
      answer = moveAnswer(answerClusterName(registry, options, moveName(query.lowerName, alias, primary), query.type), primary, alias);
      // Only positive answers: random names must not fill the memo (the cluster stage shares its negatives instead).
      if (answer.answer.length > 0) memo.keep(registry, query.lowerName, query.type, answer);
    }
    return options.chaser === undefined ? answer : options.chaser.complete(registry, query, answer);
  };
}
