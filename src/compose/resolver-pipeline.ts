/** Pipeline assembly: the server's options and forwarding parts → the resolver's stages over the live registry. */
import { nameServerAddresses, type ResolvedOptions } from '../options.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { createResolver } from '../resolver/create-resolver.js';
import type { Next } from '../resolver/stage.js';
import type { Forwarding } from './forwarding.js';

/** The resolver this server answers with: cluster zones first, then forwarding's stages (or REFUSED). */
export function createServerResolver(options: ResolvedOptions, registryRef: RegistryRef, forwarding: Pick<Forwarding, 'outOfZone' | 'chase'>): Next {
  return createResolver(registryRef, {
    zone: options.clusterDomain,
    podMode: options.pods,
    defaultNamespace: options.defaultNamespace,
    publicShortForms: options.publicShortForms,
    nameServerAddresses: nameServerAddresses(options.host),
    outOfZone: forwarding.outOfZone,
    ...(forwarding.chase ? { chase: forwarding.chase } : {}),
    reverseCidrs: [...options.serviceCidrs, ...options.podCidrs],
    ingressZones: options.ingressZones,
    clusterAliases: options.clusterDomains.slice(1),
  });
}
