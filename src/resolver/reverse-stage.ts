/**
 * Reverse stage: names inside our reverse zones (--service-cidr, --pod-cidr) are answered here in
 * full, NXDOMAIN included, and never forwarded; elsewhere, PTR for a known ClusterIP or endpoint IP
 * is answered and every other reverse name passes on to the upstream.
 */
import { answered, ExtendedError, servfail } from '../dns/outcomes.js';
import { RecordType } from '../dns/types.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import type { Stage } from './stage.js';
import { createAnswerMemo } from './answer-memo.js';
import { answerOwnedReverse, type ReverseZones } from './reverse-zones.js';

export interface ReverseStageOptions {
  /** The reverse zones we own; none: only known addresses are answered. */
  readonly zones?: ReverseZones;
  /** Addresses of `ns.dns.<zone>`, for NS at a reverse zone's apex. */
  readonly nameServerAddresses?: readonly string[];
}

export function createReverseStage(registryRef: RegistryRef, options: ReverseStageOptions = {}): Stage {
  const memo = createAnswerMemo();
  const zones = options.zones;
  const nameServers = options.nameServerAddresses ?? [];
  const notReady = servfail({ code: ExtendedError.NOT_READY, text: 'registry not loaded yet' });
  return (query, next) => {
    const name = query.lowerName;
    if (!name.endsWith('.arpa')) return next(query);
    const owned = zones?.locate(name);
    const registry = registryRef.current();
    if (owned !== undefined) {
      // Our zone: "try later" before the first registry, never a cacheable NXDOMAIN or a forward.
      if (!registry) return notReady;
      const memoised = memo.find(registry, name, query.type);
      if (memoised) return memoised;
      const owner = answerOwnedReverse(registry, owned, name, query.type, nameServers);
      // Only positive answers are memoised; the negatives are shared objects already.
      if (owner.answer.length > 0) memo.keep(registry, name, query.type, owner, owner.answer.every((r) => r.type === 'PTR') && owner.additional.length === 0 ? name : undefined);
      return owner;
    }
    if (query.type !== RecordType.PTR && query.type !== RecordType.ANY) return next(query);
    const ptrs = registry?.reverse.get(name);
    // Addresses outside our ranges that the registry does not know belong to someone else.
    if (!registry || !ptrs) return next(query);
    const memoised = memo.find(registry, name, query.type);
    if (memoised) return memoised;
    const answer = answered(ptrs);
    memo.keep(registry, name, query.type, answer, name);
    return answer;
  };
}
