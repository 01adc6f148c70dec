/** Reverse stage: PTR answers for ClusterIPs and ready endpoint IPs; other reverse names pass on. */
import { answered } from '../dns/outcomes.js';
import { RecordType } from '../dns/types.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import type { Stage } from './stage.js';
import { createAnswerMemo } from './answer-memo.js';

export function createReverseStage(registryRef: RegistryRef): Stage {
  const memo = createAnswerMemo();
  return (query, next) => {
    if (query.type !== RecordType.PTR && query.type !== RecordType.ANY) return next(query);
    const name = query.lowerName;
    if (!name.endsWith('.in-addr.arpa') && !name.endsWith('.ip6.arpa')) return next(query);
    const registry = registryRef.current();
    const ptrs = registry?.reverse.get(name);
    // Addresses the registry does not know belong to someone else: the upstream answers them.
    if (!registry || !ptrs) return next(query);
    const memoised = memo.find(registry, name, query.type);
    if (memoised) return memoised;
    const answer = answered(ptrs);
    memo.keep(registry, name, query.type, answer);
    return answer;
  };
}
