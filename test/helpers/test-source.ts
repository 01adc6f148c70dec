/** A registry source a test drives by hand: it pushes whatever the test tells it to, through the real sink. */
import type { RegistryInput, ServiceInput } from '../../src/registry/model.js';
import { emptyRegistryInput } from '../../src/registry/model.js';
import type { RegistrySink, RegistrySource } from '../../src/registry/registry-source.js';

export class TestSource implements RegistrySource {
  sink: RegistrySink | undefined;
  stopped = false;
  constructor(readonly id: string) {}

  async start(sink: RegistrySink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** The sink, once the publisher has started this source. */
  get to(): RegistrySink {
    if (!this.sink) throw new Error(`source ${this.id} is not started`);
    return this.sink;
  }
}

/** A ClusterIP service as one source object, `service/<ns>/<name>`. */
export function clusterIpService(namespace: string, name: string, ip: string, file = 'test'): { key: string; input: RegistryInput } {
  const service: ServiceInput = {
    namespace,
    name,
    kind: 'ClusterIP',
    clusterIPs: [ip],
    externalName: undefined,
    ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
    publishNotReadyAddresses: false,
    origin: { file, line: 1 },
  };
  return { key: `service/${namespace}/${name}`, input: { ...emptyRegistryInput(), services: [service] } };
}

/** A headless service with its endpoints, as one object. */
export function headlessService(namespace: string, name: string, ips: readonly string[], file = 'test'): { key: string; input: RegistryInput } {
  return {
    key: `service/${namespace}/${name}`,
    input: {
      ...emptyRegistryInput(),
      services: [{ namespace, name, kind: 'Headless', clusterIPs: [], externalName: undefined, ports: [], publishNotReadyAddresses: false, origin: { file, line: 1 } }],
      endpointGroups: [{ namespace, service: name, source: 'EndpointSlice', ports: [], endpoints: ips.map((ip) => ({ addresses: [ip], hostname: undefined, ready: true })), origin: { file, line: 1 } }],
    },
  };
}
