/** Builds the query pipeline: guard → cluster zone → its alias zones → ingress zones → reverse → short forms → upstream (or REFUSED). */
import type { RegistryRef } from '../registry/registry-ref.js';
import type { PodMode } from './cluster-answers.js';
import { createClusterStage } from './cluster-stage.js';
import { createCnameChaser, type CnameChaseOptions } from './cname-chase.js';
import { createGuardStage } from './guard-stage.js';
import { createIngressStage } from './ingress-stage.js';
import { refuseOutOfZone } from './refuse-stage.js';
import { createReverseStage } from './reverse-stage.js';
import { createReverseZones } from './reverse-zones.js';
import type { Cidr } from '../dns/cidr.js';
import { createShortFormStage } from './short-form-stage.js';
import { createZoneAliasStage } from './zone-alias-stage.js';
import { compose, type Next, type Stage } from './stage.js';

export interface ResolverOptions {
  readonly zone: string;
  readonly podMode: PodMode;
  readonly defaultNamespace: string;
  /** Registered services answer short forms ending in a public TLD (short-form-stage.ts). Default false. */
  readonly publicShortForms?: boolean;
  readonly nameServerAddresses: readonly string[];
  /** Stages that answer what the registry does not (cache, forward); none means REFUSED. */
  readonly outOfZone?: readonly Stage[];
  /**
   * With forwarding on: how CNAME chains that leave the zone (ExternalName) are completed upstream.
   * Without it such an answer is the CNAME alone.
   */
  readonly chase?: CnameChaseOptions;
  /** The cluster's Service and Pod ranges: their reverse names are answered here, never forwarded. Default: none. */
  readonly reverseCidrs?: readonly Cidr[];
  /** Further cluster zones answering every name as the first (`--cluster-domain a,b`). Default: none. */
  readonly clusterAliases?: readonly string[];
  /** Zones whose names come from Ingress, Gateway and LoadBalancer hostnames (--ingress-zones). Default: none. */
  readonly ingressZones?: readonly string[];
}

export function createResolver(registryRef: RegistryRef, options: ResolverOptions): Next {
  const baseOptions = {
    zone: options.zone,
    podMode: options.podMode,
    nameServerAddresses: options.nameServerAddresses,
    defaultNamespace: options.defaultNamespace,
  };
  const chaser = options.chase ? createCnameChaser(baseOptions, options.chase) : undefined;
  const zoneOptions = chaser ? { ...baseOptions, chaser } : baseOptions;
  const shortFormOptions = { ...zoneOptions, publicShortForms: options.publicShortForms ?? false };
  return compose(
    [
      createGuardStage(),
      createClusterStage(registryRef, zoneOptions),
      createZoneAliasStage(registryRef, { ...zoneOptions, aliases: options.clusterAliases ?? [] }),
      createIngressStage(registryRef, { zones: options.ingressZones ?? [], nameServerAddresses: options.nameServerAddresses }),
      createReverseStage(registryRef, { zones: createReverseZones(options.reverseCidrs ?? []), nameServerAddresses: options.nameServerAddresses }),
      createShortFormStage(registryRef, shortFormOptions),
      ...(options.outOfZone ?? []),
    ],
    refuseOutOfZone,
  );
}
