// An endpoint whose IPv6 address ends in "::" is named with a trailing "0" (CoreDNS endpointHostname), never "…--".
import { describe, expect, it } from 'vitest';
import { RecordClass, RecordType, type Query, type RecordsAnswer } from '../../../src/dns/types.js';
import { dashedIp, reverseName } from '../../../src/dns/ip.js';
import { buildRegistry } from '../../../src/registry/build-registry.js';
import type { RegistryInput } from '../../../src/registry/model.js';
import { createRegistryRef } from '../../../src/registry/registry-ref.js';
import { createResolver } from '../../../src/resolver/create-resolver.js';
import { listRecords } from '../../../src/resolver/list-records.js';
import { parseDashedIp } from '../../../src/resolver/pod-name.js';
import { answerText } from '../../helpers/zone-text.js';

const origin = { file: 'v6.yaml', line: 1 };
const input: RegistryInput = {
  namespaces: [{ name: 'shop', origin }],
  services: [{
    namespace: 'shop', name: 'db', kind: 'Headless', clusterIPs: [], externalName: undefined,
    ports: [{ name: 'postgres', protocol: 'tcp', port: 5432 }], publishNotReadyAddresses: false, origin,
  }],
  endpointGroups: [{
    namespace: 'shop', service: 'db', source: 'EndpointSlice', ports: [{ name: 'postgres', protocol: 'tcp', port: 5432 }],
    endpoints: [{ addresses: ['2001:db8:6666::'], hostname: undefined, ready: true }],
    origin,
  }],
  pods: [{ namespace: 'shop', name: 'db-0', ips: ['2001:db8:6666::'], origin }],
};

function ask(name: string, type: number) {
  const registry = buildRegistry([input], { clusterDomain: 'cluster.local', ttl: 5, serial: 1 }).registry;
  const resolve = createResolver(createRegistryRef(registry), {
    zone: 'cluster.local', podMode: 'verified', defaultNamespace: 'shop', nameServerAddresses: ['127.0.0.1'],
  });
  const q: Query = {
    id: 1, opcode: 0, recursionDesired: true, checkingDisabled: false, name, lowerName: name, type, class: RecordClass.IN,
    edns: undefined, transport: 'udp', client: { address: '127.0.0.1', port: 5353 },
  };
  return answerText(resolve(q) as RecordsAnswer);
}

const ok = (answer: string[], additional: string[] = []) => ({ rcode: 'NOERROR', aa: true, answer, authority: [], additional });
const ENDPOINT = '2001-db8-6666--0.db.shop.svc.cluster.local';

describe('IPv6 addresses ending in "::" as labels', () => {
  it('dashedIp appends 0 where the label would end in "-", and the label reads back as the same address', () => {
    expect(dashedIp('2001:db8:6666::')).toBe('2001-db8-6666--0');
    expect(dashedIp('fd00::5')).toBe('fd00--5');
    expect(dashedIp('10.244.1.5')).toBe('10-244-1-5');
    expect(parseDashedIp('2001-db8-6666--0')).toBe('2001:db8:6666::');
  });

  it('names the endpoint …--0 in AAAA, SRV and PTR answers (the old …-- name is NXDOMAIN)', () => {
    expect(ask(ENDPOINT, RecordType.AAAA)).toEqual(ok([`${ENDPOINT}. 5 IN AAAA 2001:db8:6666::`]));
    expect(ask('_postgres._tcp.db.shop.svc.cluster.local', RecordType.SRV)).toEqual(ok(
      [`_postgres._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 100 5432 ${ENDPOINT}.`],
      [`${ENDPOINT}. 5 IN AAAA 2001:db8:6666::`],
    ));
    expect(ask(reverseName('2001:db8:6666::'), RecordType.PTR)).toEqual(ok([`${reverseName('2001:db8:6666::')}. 5 IN PTR ${ENDPOINT}.`]));
    expect(ask('2001-db8-6666--.db.shop.svc.cluster.local', RecordType.AAAA).rcode).toBe('NXDOMAIN');
  });

  it('names the pod …--0 in its pod name and in the records listing', () => {
    expect(ask('2001-db8-6666--0.shop.pod.cluster.local', RecordType.AAAA)).toEqual(ok(['2001-db8-6666--0.shop.pod.cluster.local. 5 IN AAAA 2001:db8:6666::']));
    const registry = buildRegistry([input], { clusterDomain: 'cluster.local', ttl: 5, serial: 1 }).registry;
    const names = listRecords(registry, { podMode: 'verified', nameServerAddresses: [] })
      .filter((r) => r.data.includes('6666')).map((r) => `${r.name} ${r.type} ${r.data}`);
    expect(names.sort()).toEqual([
      `${ENDPOINT}. AAAA 2001:db8:6666::`,
      `${reverseName('2001:db8:6666::')}. PTR ${ENDPOINT}.`,
      '2001-db8-6666--0.shop.pod.cluster.local. AAAA 2001:db8:6666::',
      `_postgres._tcp.db.shop.svc.cluster.local. SRV 0 100 5432 ${ENDPOINT}.`,
      'db.shop.svc.cluster.local. AAAA 2001:db8:6666::',
      `db.shop.svc.cluster.local. SRV 0 100 5432 ${ENDPOINT}.`,
    ].sort());
  });
});
