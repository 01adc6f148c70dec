// A ~20 MB registry (a kubectl List as JSON: 10k ClusterIP services, 1k headless × 20 endpoints)
// copied into a watched zones directory while a query loop asks the built CLI for an unrelated name
// over UDP: every query is answered, correctly, while the new file is parsed (in a worker thread)
// and built (in slices). Counts, not clocks: a query counts as lost only after sendUdp's long wait.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { buildQuery, decodeReply, queryUdp, sendUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';

interface Generator {
  generateCluster(size: 'large'): unknown;
  toManifests(cluster: unknown): unknown;
  withKubectlDetail(list: unknown): unknown;
}

const SHOP = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80] }\n';
const WEB = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];

describe('a large reload under queries', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('answers every query for an unrelated name while a 20 MB registry is loaded', { timeout: 600_000 }, async () => {
    const zones = await mkdtemp(join(tmpdir(), 'cluster-dns-reload-'));
    const staging = await mkdtemp(join(tmpdir(), 'cluster-dns-staging-'));
    dirs.push(zones, staging);
    await writeFile(join(zones, 'shop.yaml'), SHOP);
    const cli = await startCli(['--zones', zones, '--upstream', 'none'], {}, ['--http', 'off']);
    expect((await queryUdp(cli.port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);

    const generator = (await import(new URL('../../bench/generate.mjs', import.meta.url).href)) as Generator;
    const text = JSON.stringify(generator.withKubectlDetail(generator.toManifests(generator.generateCluster('large'))));
    expect(text.length).toBeGreaterThan(20_000_000);
    await writeFile(join(staging, 'large.json'), text);

    let loading = true;
    let sent = 0;
    let answered = 0;
    const query = buildQuery('web.shop.svc.cluster.local', 'A');
    const loop = (async () => {
      while (loading) {
        sent++;
        const reply = await sendUdp(cli.port, query);
        if (reply && JSON.stringify(decodeReply(reply).answer) === JSON.stringify(WEB)) answered++;
      }
    })();

    const sentBefore = sent;
    await rename(join(staging, 'large.json'), join(zones, 'large.json'));
    // The last service of the large file answering means the reload is complete.
    await pollUntil(async () => ((await queryUdp(cli.port, 'svc-9999.ns-399.svc.cluster.local', 'A')).answer.length > 0 ? true : undefined), 540_000, 100);
    loading = false;
    await loop;

    expect((await queryUdp(cli.port, 'svc-9999.ns-399.svc.cluster.local', 'A')).answer).toEqual(['svc-9999.ns-399.svc.cluster.local. 5 IN A 10.96.39.15']);
    expect((await queryUdp(cli.port, 'hl-999.ns-199.svc.cluster.local', 'A')).answer).toHaveLength(20);
    expect(answered).toBe(sent);
    expect(sent - sentBefore).toBeGreaterThan(10); // the loop ran while the file loaded
    const rebuilt = cli.stderr().split('\n').filter((line) => line.includes('"msg":"registry updated"'));
    expect(rebuilt.some((line) => line.includes('"services":11101') && line.includes('"endpoints":20000'))).toBe(true);
  });
});
