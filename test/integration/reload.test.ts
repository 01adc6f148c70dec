import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempZones(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-zones-'));
  dirs.push(dir);
  return dir;
}
const service = (ip: string, name = 'web') => `namespace: shop\nservices:\n  ${name}: { clusterIP: ${ip} }\n`;

async function answerOf(port: number, name = 'web.shop.svc.cluster.local'): Promise<string> {
  const r = await queryUdp(port, name, 'A');
  return r.rcode === 'NOERROR' ? r.answer.map((a) => a.split(' ').pop()).join(',') : r.rcode;
}
const becomes = (port: number, expected: string, name?: string) =>
  pollUntil(async () => ((await answerOf(port, name)) === expected ? true : undefined), 3000);

describe('live reload of --zones', () => {
  it('sees in-place writes, atomic renames, new files in new directories and deletes', async () => {
    const dir = tempZones();
    writeFileSync(join(dir, 'shop.yaml'), service('10.96.0.1'));
    const { port } = await startServer({ zones: [dir] });
    expect(await answerOf(port)).toBe('10.96.0.1');

    writeFileSync(join(dir, 'shop.yaml'), service('10.96.0.2'));
    await becomes(port, '10.96.0.2');

    writeFileSync(join(dir, '.shop.yaml.swp'), service('10.96.0.3'));
    renameSync(join(dir, '.shop.yaml.swp'), join(dir, 'shop.yaml'));
    await becomes(port, '10.96.0.3');

    mkdirSync(join(dir, 'team'));
    writeFileSync(join(dir, 'team', 'api.yaml'), service('10.96.0.4', 'api'));
    await becomes(port, '10.96.0.4', 'api.shop.svc.cluster.local');

    unlinkSync(join(dir, 'shop.yaml'));
    await becomes(port, 'NXDOMAIN');
    expect(await answerOf(port, 'api.shop.svc.cluster.local')).toBe('10.96.0.4');
  });

  it('follows a Kubernetes ConfigMap style ..data symlink swap', async () => {
    const dir = tempZones();
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'shop.yaml'), service('10.96.1.1'));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'shop.yaml'), join(dir, 'shop.yaml'));
    const { port } = await startServer({ zones: [dir] });
    expect(await answerOf(port)).toBe('10.96.1.1');

    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'shop.yaml'), service('10.96.1.2'));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    await becomes(port, '10.96.1.2');
  });

  it('keeps serving the last good content of a file that turns bad, and recovers on a good save', async () => {
    const dir = tempZones();
    writeFileSync(join(dir, 'shop.yaml'), service('10.96.2.1'));
    writeFileSync(join(dir, 'other.yaml'), service('10.96.2.9', 'other'));
    const { port, server } = await startServer({ zones: [dir] });

    writeFileSync(join(dir, 'shop.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.2.300 }\n');
    writeFileSync(join(dir, 'other.yaml'), service('10.96.2.8', 'other'));
    await becomes(port, '10.96.2.8', 'other.shop.svc.cluster.local');
    expect(await answerOf(port)).toBe('10.96.2.1');
    const report = await server.reload();
    expect(report.diagnostics).toEqual([`${join(dir, 'shop.yaml')}:3: services.web.clusterIP: "10.96.2.300" is not an IP address`]);

    writeFileSync(join(dir, 'shop.yaml'), service('10.96.2.2'));
    await becomes(port, '10.96.2.2');
  });

  it('reloads on demand (SIGHUP) with watching off, and skips rebuilding unchanged content', async () => {
    const dir = tempZones();
    writeFileSync(join(dir, 'shop.yaml'), service('10.96.3.1'));
    const { port, server } = await startServer({ zones: [dir], watch: false });
    writeFileSync(join(dir, 'shop.yaml'), service('10.96.3.2'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await answerOf(port)).toBe('10.96.3.1');
    expect((await server.reload()).changed).toBe(true);
    expect(await answerOf(port)).toBe('10.96.3.2');
    expect((await server.reload()).changed).toBe(false);
  });

  it('never answers from a mixed or broken registry while reloading under a query stream', async () => {
    const dir = tempZones();
    const version = (v: number) =>
      `namespace: shop\nservices:\n  db:\n    headless: true\n    endpoints: [${Array.from({ length: 8 }, (_, i) => `10.${v}.0.${i + 1}`).join(', ')}]\n`;
    writeFileSync(join(dir, 'db.yaml'), version(1));
    const { port } = await startServer({ zones: [dir] });
    let writing = true;
    const seen = new Set<string>();
    // Each version is written once the previous one is served: a file is read only after it held
    // still for the debounce, so a writer faster than that would never be read mid-stream.
    const writer = (async () => {
      for (let v = 2; v <= 12; v++) {
        writeFileSync(join(dir, 'db.yaml.tmp'), version(v));
        renameSync(join(dir, 'db.yaml.tmp'), join(dir, 'db.yaml'));
        await pollUntil(() => (seen.has(String(v)) ? true : undefined), 10_000);
      }
      writing = false;
    })();
    let queries = 0;
    while (writing || queries < 50) {
      const r = await queryUdp(port, 'db.shop.svc.cluster.local', 'A');
      queries++;
      expect(r.rcode).toBe('NOERROR');
      expect(r.answer).toHaveLength(8);
      const versions = new Set(r.answer.map((a) => a.split(' ').pop()!.split('.')[1]));
      expect(versions.size).toBe(1);
      seen.add([...versions][0]!);
    }
    await writer;
    await becomes(port, Array.from({ length: 8 }, (_, i) => `10.12.0.${i + 1}`).join(','), 'db.shop.svc.cluster.local');
    expect(seen.size).toBeGreaterThan(1);
  });
});
