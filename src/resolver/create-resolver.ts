/** Builds the query pipeline: guard → cluster zone → reverse → short forms → upstream (or REFUSED). */
import type { RegistryRef } from '../registry/registry-ref.js';
import type { PodMode } from './cluster-answers.js';
import { createClusterStage } from './cluster-stage.js';
import { createGuardStage } from './guard-stage.js';
import { refuseOutOfZone } from './refuse-stage.js';
import { createReverseStage } from './reverse-stage.js';
import { createShortFormStage } from './short-form-stage.js';
import { compose, type Next, type Stage } from './stage.js';

export interface ResolverOptions {
  readonly zone: string;
  readonly podMode: PodMode;
  readonly defaultNamespace: string;
  readonly nameServerAddresses: readonly string[];
  /** Stages that answer what the registry does not (cache, forward); none means REFUSED. */
  readonly outOfZone?: readonly Stage[];
}

export function createResolver(registryRef: RegistryRef, options: ResolverOptions): Next {
  const zoneOptions = {
    zone: options.zone,
    podMode: options.podMode,
    nameServerAddresses: options.nameServerAddresses,
    defaultNamespace: options.defaultNamespace,
  };
  return compose(
    [
      createGuardStage(),
      createClusterStage(registryRef, zoneOptions),
      createReverseStage(registryRef),
      createShortFormStage(registryRef, zoneOptions),
      ...(options.outOfZone ?? []),
    ],
    refuseOutOfZone,
  );
}
