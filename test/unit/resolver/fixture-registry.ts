/** A small cluster as RegistryInput objects, for resolver tests that need no parser. */
import { buildRegistry } from '../../../src/registry/build-registry.js';
import type { RegistryInput } from '../../../src/registry/model.js';
import type { Registry } from '../../../src/registry/registry.js';

const origin = { file: 'fixture.yaml', line: 1 };

export const fixtureInput: RegistryInput = {
  namespaces: [{ name: 'shop', origin }, { name: 'empty', origin }],
  services: [
    {
      namespace: 'shop', name: 'web', kind: 'ClusterIP', clusterIPs: ['10.96.0.10'], externalName: undefined,
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }, { name: 'dns', protocol: 'udp', port: 53 }, { name: undefined, protocol: 'tcp', port: 9090 }],
      publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'shop', name: 'api', kind: 'ClusterIP', clusterIPs: ['10.96.0.11', 'fd00::11'], externalName: undefined,
      ports: [{ name: 'HTTPS', protocol: 'tcp', port: 443 }], publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'shop', name: 'db', kind: 'Headless', clusterIPs: [], externalName: undefined,
      ports: [{ name: 'postgres', protocol: 'tcp', port: 5432 }], publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'shop', name: 'idle', kind: 'Headless', clusterIPs: [], externalName: undefined,
      ports: [{ name: 'http', protocol: 'tcp', port: 80 }], publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'shop', name: 'payments', kind: 'ExternalName', clusterIPs: [], externalName: 'payments.example.org',
      ports: [], publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'shop', name: 'alias', kind: 'ExternalName', clusterIPs: [], externalName: 'web.shop.svc.cluster.local',
      ports: [], publishNotReadyAddresses: false, origin,
    },
    {
      namespace: 'default', name: 'kubernetes', kind: 'ClusterIP', clusterIPs: ['10.96.0.1'], externalName: undefined,
      ports: [{ name: 'https', protocol: 'tcp', port: 443 }], publishNotReadyAddresses: false, origin,
    },
  ],
  endpointGroups: [
    {
      namespace: 'shop', service: 'db', source: 'EndpointSlice', ports: [{ name: 'postgres', protocol: 'tcp', port: 5432 }],
      endpoints: [
        { addresses: ['10.244.1.10'], hostname: 'db-0', ready: true },
        { addresses: ['10.244.1.11'], hostname: undefined, ready: true },
        { addresses: ['10.244.1.12'], hostname: 'db-2', ready: false },
      ],
      origin,
    },
    {
      namespace: 'shop', service: 'db', source: 'EndpointSlice', ports: [{ name: 'postgres', protocol: 'tcp', port: 5432 }],
      endpoints: [{ addresses: ['fd00::10'], hostname: 'db-0', ready: true }],
      origin,
    },
    {
      namespace: 'shop', service: 'idle', source: 'EndpointSlice', ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
      endpoints: [{ addresses: ['10.244.3.1'], hostname: undefined, ready: false }],
      origin,
    },
    {
      namespace: 'shop', service: 'web', source: 'EndpointSlice', ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
      endpoints: [{ addresses: ['10.244.2.5'], hostname: undefined, ready: true }],
      origin,
    },
  ],
  pods: [{ namespace: 'shop', name: 'web-1', ips: ['10.244.2.5'], origin }],
};

export function fixtureRegistry(zone = 'cluster.local'): Registry {
  return buildRegistry([fixtureInput], { clusterDomain: zone, ttl: 5, serial: 42 }).registry;
}
