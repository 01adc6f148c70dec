/**
 * What the zones watcher reacts to, on a real directory: a --zones file reloads for its own name (a
 * write, an editor's rename, a ConfigMap `..data` swap), never for other files beside it, such as the
 * server's own log; a --zones directory reloads for anything in it. Ordered, not timed: a watcher of
 * the whole directory (which sees every event) is the witness that an event has been delivered.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchZones, type ZonesWatcher } from '../../../src/sources/zones-watcher.js';
import { pollUntil } from '../../helpers/poll.js';

const open: ZonesWatcher[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function counted(paths: string[]): Promise<{ count: () => number }> {
  let n = 0;
  open.push(await watchZones(paths, () => n++, { debounceMs: 0 }));
  return { count: () => n };
}

/** Writes `file` and waits until the whole-directory witness has reloaded for it; one more turn lets every watcher's timer run. */
async function writeAndWitness(witness: { count: () => number }, file: string, text: string): Promise<void> {
  const before = witness.count();
  writeFileSync(file, text);
  await pollUntil(() => (witness.count() > before ? true : undefined));
  await new Promise((r) => setTimeout(r, 0));
}

describe('watchZones', () => {
  it('a --zones file ignores other files in its directory (the server log beside it), and reacts to its own writes and renames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zones-watch-'));
    dirs.push(dir);
    const zone = join(dir, 'records.yaml');
    writeFileSync(zone, 'namespaces: {}\n');
    const witness = await counted([dir]);
    const file = await counted([zone]);

    for (let i = 0; i < 5; i++) await writeAndWitness(witness, join(dir, 'server.log'), `line ${i}\n`);
    expect(file.count()).toBe(0);

    await writeAndWitness(witness, zone, 'namespaces: { shop: {} }\n');
    expect(file.count()).toBe(1);

    // An editor's save: write a temporary file, then rename it over the zone file.
    writeFileSync(join(dir, 'records.yaml.tmp'), 'namespaces: { shop: {}, dev: {} }\n');
    const before = witness.count();
    renameSync(join(dir, 'records.yaml.tmp'), zone);
    await pollUntil(() => (file.count() > 1 ? true : undefined));
    await pollUntil(() => (witness.count() > before ? true : undefined));
  });

  it('a --zones file behind a ConfigMap mount reloads when `..data` is swapped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zones-watch-'));
    dirs.push(dir);
    // The kubelet's layout: records.yaml → ..data/records.yaml, ..data → a timestamped directory.
    const v1 = join(dir, '..2026_12_02_v1');
    const v2 = join(dir, '..2026_12_02_v2');
    mkdirSync(v1);
    mkdirSync(v2);
    writeFileSync(join(v1, 'records.yaml'), 'namespaces: {}\n');
    writeFileSync(join(v2, 'records.yaml'), 'namespaces: { shop: {} }\n');
    symlinkSync('..2026_12_02_v1', join(dir, '..data'));
    symlinkSync('..data/records.yaml', join(dir, 'records.yaml'));
    const file = await counted([join(dir, 'records.yaml')]);

    symlinkSync('..2026_12_02_v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await pollUntil(() => (file.count() > 0 ? true : undefined));
  });

  it('a --zones directory reacts to any file in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zones-watch-'));
    dirs.push(dir);
    const zones = await counted([dir]);
    writeFileSync(join(dir, 'new.yaml'), 'namespaces: {}\n');
    await pollUntil(() => (zones.count() > 0 ? true : undefined));
  });
});
