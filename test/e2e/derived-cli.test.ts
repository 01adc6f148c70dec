import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execFileAsync } from '../helpers/cli.js';

describe('the built CLI on manifests as written', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('records marks allocated ClusterIPs and simulated Pods', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['dist/main.js', 'records', '--zones', 'zones/apps.yaml']);
    const lines = stdout.split('\n').map((l) => l.replace(/ +/g, ' '));
    expect(lines.filter((l) => l.startsWith('my-service.default.svc.cluster.local. A '))).toEqual(['my-service.default.svc.cluster.local. A 5 10.109.226.14 ; allocated']);
    expect(lines.filter((l) => l.startsWith('db-0.db.default.svc.cluster.local. '))).toEqual(['db-0.db.default.svc.cluster.local. A 5 10.244.119.45 ; simulated']);
    expect(lines.filter((l) => l.startsWith('_pg._tcp.db.default.svc.cluster.local. '))).toEqual([
      '_pg._tcp.db.default.svc.cluster.local. SRV 5 0 50 5432 db-0.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. SRV 5 0 50 5432 db-1.db.default.svc.cluster.local.',
    ]);
    const json = JSON.parse((await execFileAsync(process.execPath, ['dist/main.js', 'records', '--output', 'json', '--zones', 'zones/apps.yaml'])).stdout) as { name: string; type: string; note?: string }[];
    expect(json.filter((r) => r.type === 'PTR' && r.name === '14.226.109.10.in-addr.arpa.')).toEqual([
      { name: '14.226.109.10.in-addr.arpa.', type: 'PTR', ttl: 5, data: 'my-service.default.svc.cluster.local.', note: 'allocated' },
    ]);
  });

  it('check --strict exits 1 on a kind that looks like a typo; check alone warns and exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-dns-typo-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Servce\nmetadata: {name: web}\nspec: {selector: {app: web}}\n');
    const warning = `${join(dir, 'a.yaml')}:2: warning: kind: unknown kind "Servce": did you mean Service? (skipped)\n`;
    const plain = await execFileAsync(process.execPath, ['dist/main.js', 'check', '--zones', dir]);
    expect(plain.stdout).toBe(`${warning}1 file(s): 4 namespaces, 0 services, 0 ready endpoint addresses, 0 pods; 0 error(s), 1 warning(s)\n`);
    await expect(execFileAsync(process.execPath, ['dist/main.js', 'check', '--strict', '--zones', dir])).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining(warning) });
  });
});
