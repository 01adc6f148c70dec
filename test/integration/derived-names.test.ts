import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryTcp, queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

// zones/apps.yaml: the Kubernetes docs' Service (selector, no clusterIP) with a Deployment, and a
// StatefulSet with its headless Service. The addresses are derived from namespace/name, so they
// are the same on every run and machine: pinning them here is part of the test.
const zones = ['zones/apps.yaml'];
const MY_SERVICE = '10.109.226.14';
const DB_0 = '10.244.119.45';
const DB_1 = '10.244.159.24';
const MY_APP = ['10.244.21.143', '10.244.215.195'];
const flags = ['qr', 'aa', 'rd'];

const table: [string, string, { answer: string[]; additional?: string[] }][] = [
  ['my-service.default.svc.cluster.local', 'A', { answer: [`my-service.default.svc.cluster.local. 5 IN A ${MY_SERVICE}`] }],
  ['_http._tcp.my-service.default.svc.cluster.local', 'SRV', {
    answer: ['_http._tcp.my-service.default.svc.cluster.local. 5 IN SRV 0 100 80 my-service.default.svc.cluster.local.'],
    additional: [`my-service.default.svc.cluster.local. 5 IN A ${MY_SERVICE}`],
  }],
  [`${MY_SERVICE.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR', { answer: [`${MY_SERVICE.split('.').reverse().join('.')}.in-addr.arpa. 5 IN PTR my-service.default.svc.cluster.local.`] }],
  ['db.default.svc.cluster.local', 'A', { answer: [`db.default.svc.cluster.local. 5 IN A ${DB_0}`, `db.default.svc.cluster.local. 5 IN A ${DB_1}`] }],
  ['db-0.db.default.svc.cluster.local', 'A', { answer: [`db-0.db.default.svc.cluster.local. 5 IN A ${DB_0}`] }],
  ['db-1.db.default.svc.cluster.local', 'A', { answer: [`db-1.db.default.svc.cluster.local. 5 IN A ${DB_1}`] }],
  ['_pg._tcp.db.default.svc.cluster.local', 'SRV', {
    answer: [
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-1.db.default.svc.cluster.local.',
    ],
    additional: [`db-0.db.default.svc.cluster.local. 5 IN A ${DB_0}`, `db-1.db.default.svc.cluster.local. 5 IN A ${DB_1}`],
  }],
  [`${DB_0.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR', { answer: [`${DB_0.split('.').reverse().join('.')}.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local.`] }],
  [`${MY_APP[0]!.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR', {
    answer: [`${MY_APP[0]!.split('.').reverse().join('.')}.in-addr.arpa. 5 IN PTR ${MY_APP[0]!.replaceAll('.', '-')}.my-service.default.svc.cluster.local.`],
  }],
];

describe.each(['udp', 'tcp'] as const)('names derived from manifests as written, over %s', (transport) => {
  it.each(table)('%s %s', async (name, type, e) => {
    const { port } = await startServer({ zones });
    const reply = transport === 'udp' ? await queryUdp(port, name, type) : await queryTcp(port, name, type);
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.flags).toEqual(flags);
    expect(reply.answer).toEqual(e.answer);
    expect(reply.authority).toEqual([]);
    expect(reply.additional).toEqual(e.additional ?? []);
  });
});

describe('derived names across reloads', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const a = async (port: number, name: string) => (await queryUdp(port, name, 'A')).answer;

  it('keeps allocated and simulated addresses when other objects come and go, and gives way to real Pods', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-dns-derived-'));
    copyFileSync('zones/apps.yaml', join(dir, 'apps.yaml'));
    const { port } = await startServer({ zones: [dir], watch: true });
    expect(await a(port, 'my-service.default.svc.cluster.local')).toEqual([`my-service.default.svc.cluster.local. 5 IN A ${MY_SERVICE}`]);

    // Twenty more Services without clusterIP and a pinned one: my-service keeps its address.
    const more = Array.from({ length: 20 }, (_, i) => `apiVersion: v1\nkind: Service\nmetadata: {name: extra-${i}}\nspec: {ports: [{port: 80}]}\n`).join('---\n');
    writeFileSync(join(dir, 'more.yaml'), `${more}---\napiVersion: v1\nkind: Service\nmetadata: {name: pinned}\nspec: {clusterIP: 10.96.0.77}\n`);
    await pollUntil(async () => ((await a(port, 'extra-19.default.svc.cluster.local')).length === 1 ? true : undefined));
    expect(await a(port, 'my-service.default.svc.cluster.local')).toEqual([`my-service.default.svc.cluster.local. 5 IN A ${MY_SERVICE}`]);
    expect(await a(port, 'db-0.db.default.svc.cluster.local')).toEqual([`db-0.db.default.svc.cluster.local. 5 IN A ${DB_0}`]);

    // A real Pod of the StatefulSet appears: it replaces the simulated ones.
    writeFileSync(join(dir, 'pods.yaml'), [
      'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: db-0', '  labels: {app: db}',
      '  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true, uid: x}]',
      'spec: {hostname: db-0, subdomain: db, containers: [{name: postgres, image: postgres, ports: [{name: pg, containerPort: 5433}]}]}',
      'status: {phase: Running, conditions: [{type: Ready, status: "True"}], podIPs: [{ip: 10.244.9.9}]}',
    ].join('\n'));
    await pollUntil(async () => ((await a(port, 'db-0.db.default.svc.cluster.local'))[0]?.endsWith('10.244.9.9') ? true : undefined));
    expect(await a(port, 'db.default.svc.cluster.local')).toEqual(['db.default.svc.cluster.local. 5 IN A 10.244.9.9']);
    expect((await queryUdp(port, '_pg._tcp.db.default.svc.cluster.local', 'SRV')).answer).toEqual([
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 100 5433 db-0.db.default.svc.cluster.local.',
    ]);
    expect((await queryUdp(port, 'db-1.db.default.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('gives the same addresses after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-dns-derived-'));
    const first = await startServer({ zones });
    const before = await a(first.port, 'my-service.default.svc.cluster.local');
    await first.server.stop();
    const second = await startServer({ zones });
    expect(await a(second.port, 'my-service.default.svc.cluster.local')).toEqual(before);
  });
});
