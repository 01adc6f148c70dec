/** Cluster stage: owns the cluster domain and answers everything in it, NXDOMAIN and NODATA included. */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { answerClusterName, isInZone, type ClusterZoneOptions } from './cluster-answers.js';
import type { Stage } from './stage.js';

export interface ClusterStageOptions extends ClusterZoneOptions {
  /** Lowercase cluster domain without the trailing dot. */
  readonly zone: string;
}

export function createClusterStage(registryRef: RegistryRef, options: ClusterStageOptions): Stage {
  return (query, next) => {
    if (!isInZone(query.lowerName, options.zone)) return next(query);
    const registry = registryRef.current();
    // Before the first registry loads, say "try later" rather than a cacheable NXDOMAIN.
    if (!registry) return servfail({ code: ExtendedError.NOT_READY, text: 'registry not loaded yet' });
    return answerClusterName(registry, options, query.lowerName, query.type);
  };
}
