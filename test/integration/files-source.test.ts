import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/registry/publisher.js';
import { createRegistryRef, type MutableRegistryRef } from '../../src/registry/registry-ref.js';
import { FilesSource, type FilesSourceOptions } from '../../src/sources/files-source.js';
import { OFF_THREAD_BYTES } from '../../src/sources/off-thread-parse.js';
import type { RegistryLog } from '../../src/registry/registry-source.js';
import { RegistryError } from '../../src/errors.js';
import { queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempZones(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-files-'));
  dirs.push(dir);
  return dir;
}

/** Log lines as `level message`, for asserting what a reload said. */
function recordingLog(): RegistryLog & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_fields: object, message: string) => void lines.push(`${level} ${message}`);
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: () => {} };
}

async function startFiles(options: Omit<FilesSourceOptions, 'strict' | 'watch'> & Partial<FilesSourceOptions>): Promise<{ files: FilesSource; ref: MutableRegistryRef }> {
  const ref = createRegistryRef();
  const publisher = createPublisher(ref, { clusterDomain: 'cluster.local', ttl: 5 });
  const files = new FilesSource({ strict: false, watch: false, ...options });
  publisher.add(files);
  stops.push(() => publisher.stop());
  await publisher.start();
  await publisher.published();
  return { files, ref };
}

const a = (ref: MutableRegistryRef, name: string) => ref.current()?.names.get(`${name}.cluster.local`)?.a.map((r) => r.address);

const services = (web: string, db: string, api: string) =>
  [
    'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { clusterIP: ' + web + ' }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: db, namespace: shop }\nspec: { clusterIP: ' + db + ' }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: api, namespace: shop }\nspec: { clusterIP: ' + api + ' }',
  ].join('\n---\n') + '\n';

describe('files source: one bad object is one bad object', () => {
  it('keeps an object that turns invalid at its last good version while its neighbours keep updating', async () => {
    const dir = tempZones();
    const file = join(dir, 'shop.yaml');
    writeFileSync(file, services('10.96.0.1', '10.96.0.2', '10.96.0.3'));
    const log = recordingLog();
    const { files, ref } = await startFiles({ paths: [dir], log });
    expect(a(ref, 'web.shop.svc')).toEqual(['10.96.0.1']);

    // db turns invalid; web and api change in the same save.
    writeFileSync(file, services('10.96.1.1', '10.96.1.300', '10.96.1.3'));
    const bad = await files.reload();
    expect(bad.diagnostics).toEqual([`${file}:9: spec.clusterIP: "10.96.1.300" is not an IP address`]);
    expect(bad.keptLastGood).toEqual([file]);
    expect(a(ref, 'web.shop.svc')).toEqual(['10.96.1.1']);
    expect(a(ref, 'db.shop.svc')).toEqual(['10.96.0.2']);
    expect(a(ref, 'api.shop.svc')).toEqual(['10.96.1.3']);
    expect(log.lines).toContain('warn registry has errors; the last good version of each affected object keeps serving');

    // Its neighbours keep updating while db stays broken.
    writeFileSync(file, services('10.96.2.1', '10.96.2.300', '10.96.2.3'));
    await files.reload();
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc'), a(ref, 'api.shop.svc')]).toEqual([['10.96.2.1'], ['10.96.0.2'], ['10.96.2.3']]);

    // A new object that is invalid is left out; the good save recovers and says so.
    writeFileSync(file, services('10.96.2.1', '10.96.2.2', '10.96.2.3') + '---\napiVersion: v1\nkind: Service\nmetadata: { name: new, namespace: shop }\nspec: { clusterIP: nope }\n');
    await files.reload();
    expect(a(ref, 'db.shop.svc')).toEqual(['10.96.2.2']);
    expect(ref.current()?.names.has('new.shop.svc.cluster.local')).toBe(false);
    writeFileSync(file, services('10.96.2.1', '10.96.2.2', '10.96.2.3'));
    const good = await files.reload();
    expect(good.diagnostics).toEqual([]);
    expect(log.lines.at(-1)).toBe('info registry recovered: no errors, every file served as written');
  });

  it('does the same for a large kubectl List (parsed as one merged input), and keeps the whole file on its syntax error', async () => {
    const dir = tempZones();
    const file = join(dir, 'dump.json');
    // A `kubectl get svc -A -o json` dump over the off-thread size: 2,000 services.
    const dump = (web: string, db: string, extra = '') =>
      JSON.stringify(
        {
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: web } },
            { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: db } },
            ...Array.from({ length: 2000 }, (_, i) => ({
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: `svc-${i}`, namespace: 'bulk', labels: { app: `svc-${i}`, tier: 'backend' } },
              spec: { clusterIP: `10.97.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
            })),
          ],
        },
        null,
        2,
      ) + extra;
    writeFileSync(file, dump('10.96.0.1', '10.96.0.2'));
    expect(dump('10.96.0.1', '10.96.0.2').length).toBeGreaterThan(OFF_THREAD_BYTES);
    const { files, ref } = await startFiles({ paths: [dir] });
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc'), a(ref, 'svc-1999.bulk.svc')]).toEqual([['10.96.0.1'], ['10.96.0.2'], ['10.97.7.207']]);

    // db gets a typo'd IP: it keeps its last good address, web and the other 2,000 keep updating.
    writeFileSync(file, dump('10.96.1.1', '10.96.1.300'));
    const bad = await files.reload();
    expect(bad.diagnostics).toEqual([`${file}:24: spec.clusterIP: "10.96.1.300" is not an IP address`]);
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc'), a(ref, 'svc-0.bulk.svc')]).toEqual([['10.96.1.1'], ['10.96.0.2'], ['10.97.0.0']]);

    // A syntax error keeps the whole file as it was last good.
    writeFileSync(file, dump('10.96.3.1', '10.96.3.2', '\n}'));
    await files.reload();
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc')]).toEqual([['10.96.1.1'], ['10.96.0.2']]);

    // The good save recovers everything.
    writeFileSync(file, dump('10.96.4.1', '10.96.4.2'));
    await files.reload();
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc')]).toEqual([['10.96.4.1'], ['10.96.4.2']]);
  });

  it('keeps the whole file on a syntax error, and splits native documents per service', async () => {
    const dir = tempZones();
    const file = join(dir, 'shop.yaml');
    const native = (web: string, db: string) => `namespace: shop\nservices:\n  web: { clusterIP: ${web} }\n  db: { clusterIP: ${db} }\n`;
    writeFileSync(file, native('10.96.0.1', '10.96.0.2'));
    const { files, ref } = await startFiles({ paths: [dir] });

    writeFileSync(file, native('10.96.0.11', '10.96.0.2') + 'pods: [unclosed\n');
    const report = await files.reload();
    expect(report.diagnostics[0]?.startsWith(`${file}:`)).toBe(true);
    expect(report.diagnostics[0]).toContain(': invalid YAML: ');
    expect(a(ref, 'web.shop.svc')).toEqual(['10.96.0.1']);

    writeFileSync(file, native('10.96.0.11', 'bad-ip'));
    expect((await files.reload()).diagnostics).toEqual([`${file}:4: services.db.clusterIP: "bad-ip" is not an IP address`]);
    expect([a(ref, 'web.shop.svc'), a(ref, 'db.shop.svc')]).toEqual([['10.96.0.11'], ['10.96.0.2']]);
  });
});

describe('files source: --strict', () => {
  it('fails start-up when two files define the same service', async () => {
    const dir = tempZones();
    writeFileSync(join(dir, 'a.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1 }\n');
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { clusterIP: 10.96.0.2 }\n');
    const error = await startFiles({ paths: [dir], strict: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).diagnostics).toEqual([
      `${join(dir, 'b.yaml')}:3: metadata.name: service "web" in namespace "shop" is already defined at ${join(dir, 'a.yaml')}:3`,
    ]);
    // Without --strict the first file (in path order) wins and the error is reported.
    const { ref } = await startFiles({ paths: [dir] });
    expect(a(ref, 'web.shop.svc')).toEqual(['10.96.0.1']);
  });
});

describe('files source: reads', () => {
  it('never reads a file mid-write: it waits until size and mtime hold still across the debounce', async () => {
    const dir = tempZones();
    const file = join(dir, 'big.yaml');
    const line = (i: number) => `  svc-${i}: { clusterIP: 10.96.${i >> 8}.${i & 255} }\n`;
    writeFileSync(file, 'namespace: shop\nservices:\n' + line(0));
    // The injected sleep is where a slow writer gets its turn: four more appends, one per debounce.
    let appended = 1;
    let writing = false;
    const sleeps: number[] = [];
    const { files, ref } = await startFiles({
      paths: [dir],
      debounceMs: 50,
      sleep: async (ms) => {
        if (!writing) return;
        sleeps.push(ms);
        if (appended < 5) appendFileSync(file, line(appended++));
      },
    });
    expect(ref.current()?.counts.services).toBe(1);

    writing = true;
    appendFileSync(file, line(appended++)); // the writer starts (2 services on disk) and goes on writing
    const report = await files.reload();
    expect(report.changed).toBe(true);
    expect(appended).toBe(5);
    // Read once, whole: never the 2, 3 or 4 services the file held in between.
    expect(ref.current()?.counts.services).toBe(5);
    expect(sleeps.length).toBeGreaterThanOrEqual(4);
    expect(sleeps.every((ms) => ms === 50)).toBe(true);
  });

  it('coalesces reload requests: 50 at once are one running pass and one pending', async () => {
    const dir = tempZones();
    writeFileSync(join(dir, 'shop.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1 }\n');
    const { files, ref } = await startFiles({ paths: [dir], debounceMs: 20 });
    const before = files.stats().passes;
    writeFileSync(join(dir, 'shop.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.2 }\n');
    const reports = await Promise.all(Array.from({ length: 50 }, () => files.reload()));
    expect(files.stats().passes - before).toBe(2);
    expect(new Set(reports).size).toBe(2);
    expect(a(ref, 'web.shop.svc')).toEqual(['10.96.0.2']);
  });
});

describe('reload feedback through the server', () => {
  it('counts a reload with errors as a failure and logs that the last good content keeps serving', async () => {
    const dir = tempZones();
    const file = join(dir, 'shop.yaml');
    writeFileSync(file, 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1 }\n');
    const { server, port } = await startServer({ zones: [dir], http: '127.0.0.1:0', watch: false });
    const metric = async (result: string) => {
      const text = await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/metrics`)).text();
      const found = text.split('\n').find((l) => l.startsWith(`cluster_dns_registry_reloads_total{result="${result}"}`));
      return found ? Number(found.split(' ').pop()) : 0;
    };
    expect(await metric('failure')).toBe(0);
    writeFileSync(file, 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.300 }\n');
    await server.reload();
    expect(await metric('failure')).toBe(1);
    expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(['web.shop.svc.cluster.local. 5 IN A 10.96.0.1']);
    writeFileSync(file, 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.2 }\n');
    await server.reload();
    expect(await metric('failure')).toBe(1);
    await pollUntil(async () => ((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer[0]?.endsWith('10.96.0.2') ? true : undefined));
  });
});
