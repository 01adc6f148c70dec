/**
 * `cluster-dns setup-resolver`: prints what routes the cluster and ingress zones to this server on
 * this OS; `--apply` writes it and keeps a record of what it wrote, `--undo` removes exactly that.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { nameServerAddresses, type ResolvedOptions } from '../options.js';
import { formatResolverPlan, parseSystemdVersion, planResolverSetup, type ResolverOs, type ResolverPlan } from './resolver-plan.js';

/** What setup-resolver wrote, so that --undo removes exactly that (and nothing changed since). */
export const RECORD_PATH = '/etc/cluster-dns/setup-resolver.json';

export interface SetupResolverRequest {
  /** Default: this machine's OS. */
  readonly os: ResolverOs | undefined;
  readonly action: 'print' | 'apply' | 'undo';
  /** Prefix for every path written (tests; a chroot). Default `/`; the follow-up commands run only for `/`. */
  readonly root: string;
}

interface SetupRecord {
  readonly os: ResolverOs;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  /** Directories apply created, removed by undo when empty. */
  readonly createdDirs: readonly string[];
  readonly undoCommands: readonly string[];
}

export function currentOs(): ResolverOs {
  return process.platform === 'darwin' ? 'macos' : process.platform === 'win32' ? 'windows' : 'linux';
}

export function runSetupResolver(options: ResolvedOptions, request: SetupResolverRequest, out: Writable, err: Writable): number {
  const os = request.os ?? currentOs();
  if (request.action === 'undo') return undo(request.root, out, err);
  if (options.port === 0) {
    err.write('setup-resolver: needs a fixed --port (0 picks a different port at every start)\n');
    return 2;
  }
  const plan = planResolverSetup({
    os,
    zones: [...options.clusterDomains, ...options.ingressZones],
    address: nameServerAddresses(options.host)[0]!,
    port: options.port,
    systemdVersion: os === 'linux' && os === currentOs() ? systemdVersion() : undefined,
  });
  if (request.action === 'print') {
    out.write(formatResolverPlan(plan));
    return plan.blocker ? 1 : 0;
  }
  return apply(plan, request.root, out, err);
}

function apply(plan: ResolverPlan, root: string, out: Writable, err: Writable): number {
  if (plan.blocker) {
    err.write(`setup-resolver: ${plan.blocker}\n`);
    return 1;
  }
  if (plan.files.length === 0) {
    err.write('setup-resolver --apply: on Windows run the printed commands in an elevated PowerShell (they are not run from here)\n');
    out.write(formatResolverPlan(plan));
    return 1;
  }
  const previous = readRecord(root);
  const targets = [...plan.files.map((f) => f.path), RECORD_PATH];
  for (const path of targets) {
    const denied = unwritable(join(root, dirname(path)));
    if (denied) {
      err.write(`setup-resolver --apply: cannot write ${denied} (needs root: run it with sudo)\n`);
      return 1;
    }
  }
  for (const file of plan.files) {
    const at = join(root, file.path);
    // Never overwrite what someone else wrote: nothing is lost by applying.
    if (existsSync(at) && !previous?.files.some((f) => f.path === file.path && f.sha256 === sha256(readFileSync(at)))) {
      err.write(`setup-resolver --apply: ${at} exists and was not written by setup-resolver; left as it is (move it away, or merge by hand)\n`);
      return 1;
    }
  }
  const createdDirs = [...(previous?.createdDirs ?? [])];
  const written: { path: string; sha256: string }[] = [];
  for (const file of [...plan.files]) {
    ensureDir(root, dirname(file.path), createdDirs);
    writeFileSync(join(root, file.path), file.content, { mode: 0o644 });
    written.push({ path: file.path, sha256: sha256(Buffer.from(file.content)) });
    out.write(`wrote ${join(root, file.path)}\n`);
  }
  // Files of an earlier apply that this plan no longer has (a zone dropped) go, if unchanged.
  for (const old of previous?.files ?? []) if (!written.some((w) => w.path === old.path)) removeIfUnchanged(root, old, out, err);
  ensureDir(root, dirname(RECORD_PATH), createdDirs);
  const record: SetupRecord = { os: plan.os, files: written, createdDirs, undoCommands: plan.undoCommands };
  writeFileSync(join(root, RECORD_PATH), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  return runCommands(plan.commands, root, out, err);
}

function undo(root: string, out: Writable, err: Writable): number {
  const record = readRecord(root);
  if (!record) {
    out.write(`nothing to undo: no ${join(root, RECORD_PATH)} (setup-resolver --apply writes it)\n`);
    return 0;
  }
  const denied = [...record.files.map((f) => dirname(f.path)), dirname(RECORD_PATH)].map((d) => unwritable(join(root, d))).find(Boolean);
  if (denied) {
    err.write(`setup-resolver --undo: cannot write ${denied} (needs root: run it with sudo)\n`);
    return 1;
  }
  let kept = 0;
  for (const file of record.files) if (!removeIfUnchanged(root, file, out, err)) kept++;
  unlinkSync(join(root, RECORD_PATH));
  // Deepest first, and only directories left empty.
  for (const dir of [...record.createdDirs].sort((a, b) => b.length - a.length)) {
    const at = join(root, dir);
    if (existsSync(at) && readdirSync(at).length === 0) rmdirSync(at);
  }
  const status = runCommands(record.undoCommands, root, out, err);
  return kept > 0 ? 1 : status;
}

/** Removes a file we wrote if it still holds what we wrote; one changed since is left and named. */
function removeIfUnchanged(root: string, file: { path: string; sha256: string }, out: Writable, err: Writable): boolean {
  const at = join(root, file.path);
  if (!existsSync(at)) return true;
  if (sha256(readFileSync(at)) !== file.sha256) {
    err.write(`setup-resolver: ${at} changed since setup-resolver wrote it; left in place\n`);
    return false;
  }
  unlinkSync(at);
  out.write(`removed ${at}\n`);
  return true;
}

/** The follow-up commands (restart resolved, flush the cache): run on the real system, printed for another root. */
function runCommands(commands: readonly string[], root: string, out: Writable, err: Writable): number {
  if (commands.length === 0) return 0;
  if (root !== '/') {
    out.write(`not run for --root ${root}:\n${commands.map((c) => `  ${c}\n`).join('')}`);
    return 0;
  }
  for (const command of commands) {
    const [file, ...args] = command.split(' ');
    try {
      execFileSync(file!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      out.write(`ran ${command}\n`);
    } catch (error) {
      err.write(`setup-resolver: \`${command}\` failed (${(error as Error).message.split('\n')[0]}); run it yourself\n`);
      return 1;
    }
  }
  return 0;
}

function ensureDir(root: string, dir: string, created: string[]): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(join(root, d)); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(join(root, d), { mode: 0o755 });
    if (!created.includes(d)) created.push(d);
  }
}

/** The nearest existing directory of `dir` when this process may not write it, else undefined. */
function unwritable(dir: string): string | undefined {
  let d = dir;
  while (!existsSync(d)) d = dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return undefined;
  } catch {
    return d;
  }
}

function readRecord(root: string): SetupRecord | undefined {
  const at = join(root, RECORD_PATH);
  if (!existsSync(at)) return undefined;
  return JSON.parse(readFileSync(at, 'utf8')) as SetupRecord;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function systemdVersion(): number | undefined {
  try {
    return parseSystemdVersion(execFileSync('resolvectl', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return undefined;
  }
}
