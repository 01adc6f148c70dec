/**
 * The install step that builds the native UDP engine (scripts/build-native.mjs), in a copy of the
 * package's files: with g++, make and python3 it builds an addon that loads; on a PATH without them
 * (a machine with no compiler) it says so in one line and still exits 0, so the install succeeds
 * and the server runs on node:dgram (udp-engine-cli.test.ts shows that fallback).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The files `npm pack` ships for the build, in a fresh directory. */
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-native-build-'));
  dirs.push(dir);
  for (const path of ['native', 'binding.gyp', 'scripts/build-native.mjs', 'package.json']) cpSync(path, join(dir, path), { recursive: true });
  return dir;
}

function runBuild(cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/build-native.mjs'], { cwd, env }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
  });
}

describe.runIf(process.platform === 'linux')('scripts/build-native.mjs (npm install step)', () => {
  it('builds an addon that loads, with g++, make and python3 on PATH', async () => {
    const dir = packageCopy();
    const { code, stderr } = await runBuild(dir, { ...process.env, CLUSTER_DNS_SKIP_NATIVE: '' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'cluster-dns: native UDP engine built (build/Release/udp_engine.node)\n' });
    const addon = createRequire(import.meta.url)(join(dir, 'build/Release/udp_engine.node')) as Record<string, unknown>;
    expect(Object.keys(addon).sort()).toEqual(['close', 'open', 'send', 'start', 'stats']);
  });

  it('without a compiler, make or python3 it says why in one line and exits 0 (the install goes on)', async () => {
    const dir = packageCopy();
    // A PATH with node and sh only, as on a machine with nothing to build with.
    const bin = join(dir, 'bare-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const { code, stderr } = await runBuild(dir, { PATH: bin, HOME: dir, npm_config_node_gyp: process.env.npm_config_node_gyp ?? '' });
    expect(code).toBe(0);
    expect(stderr).toMatch(/^cluster-dns: native UDP engine not built \(.+\); UDP runs on node:dgram\. It needs g\+\+, make and python3\.\n$/);
    expect(existsSync(join(dir, 'build/Release/udp_engine.node'))).toBe(false);
  });

  it('CLUSTER_DNS_SKIP_NATIVE=1 skips the build, saying so', async () => {
    const dir = packageCopy();
    const { code, stderr } = await runBuild(dir, { ...process.env, CLUSTER_DNS_SKIP_NATIVE: '1' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'cluster-dns: native UDP engine skipped (CLUSTER_DNS_SKIP_NATIVE=1): UDP runs on node:dgram\n' });
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });
});
