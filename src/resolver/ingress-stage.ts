/**
 * Ingress stage: owns the --ingress-zones and answers everything in them (hostnames of Ingresses,
 * Gateway API routes and LoadBalancer Services), NXDOMAIN and NODATA included; never a name outside.
 */
import { ExtendedError, servfail } from '../dns/outcomes.js';
import type { DomainName } from '../dns/types.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { answerHostName, hostZoneOf } from './host-answers.js';
import type { Stage } from './stage.js';

export interface IngressStageOptions {
  /** Lowercase zones without the trailing dot (--ingress-zones). Empty: the stage passes everything on. */
  readonly zones: readonly DomainName[];
  /** Addresses for `ns.dns.<zone>`, the name server the apex NS record names. */
  readonly nameServerAddresses: readonly string[];
}

export function createIngressStage(registryRef: RegistryRef, options: IngressStageOptions): Stage {
  const notReady = servfail({ code: ExtendedError.NOT_READY, text: 'registry not loaded yet' });
  if (options.zones.length === 0) return (query, next) => next(query);
  return (query, next) => {
    const zone = hostZoneOf(options.zones, query.lowerName);
    if (zone === undefined) return next(query);
    const registry = registryRef.current();
    // As in the cluster zone: "try later" before the first load, never a cacheable NXDOMAIN.
    if (!registry) return notReady;
    return answerHostName(registry, zone, options.nameServerAddresses, query.lowerName, query.type);
  };
}
