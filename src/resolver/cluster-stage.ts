/** Cluster stage: owns the cluster domain and answers everything in it, NXDOMAIN and NODATA included. */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { answerClusterName, isInZone, negativeAnswers, type ClusterZoneOptions } from './cluster-answers.js';
import { answerScope, createAnswerMemo } from './answer-memo.js';
import type { CnameChaser } from './cname-chase.js';
import type { Stage } from './stage.js';

export interface ClusterStageOptions extends ClusterZoneOptions {
  /** Lowercase cluster domain without the trailing dot. */
  readonly zone: string;
  /** Completes chains that leave the zone (forwarding on); without it an ExternalName is its CNAME alone. */
  readonly chaser?: CnameChaser;
}

export function createClusterStage(registryRef: RegistryRef, options: ClusterStageOptions): Stage {
  const memo = createAnswerMemo();
  const chaser = options.chaser;
  const notReady = servfail({ code: ExtendedError.NOT_READY, text: 'registry not loaded yet' });
  return (query, next) => {
    if (!isInZone(query.lowerName, options.zone)) return next(query);
    const registry = registryRef.current();
    // Before the first registry loads, say "try later" rather than a cacheable NXDOMAIN.
    if (!registry) return notReady;
    let answer = memo.find(registry, query.lowerName, query.type);
    if (answer === undefined) {
      answer = answerClusterName(registry, options, query.lowerName, query.type);
      // Misses are shared objects already; memoising them would only let random names fill the memo.
      const negative = negativeAnswers(registry);
      if (answer !== negative.nxdomain && answer !== negative.nodata) memo.keep(registry, query.lowerName, query.type, answer, answerScope(registry.zone, query.lowerName, answer));
    }
    // Only a chain that leaves the zone goes async; every other answer is returned as it is.
    return chaser === undefined ? answer : chaser.complete(registry, query, answer);
  };
}
