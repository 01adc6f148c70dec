/** `--ready-file PATH`: the bound addresses as JSON, written atomically once the server is ready, for harnesses in any language. */
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * What the file holds, e.g.
 * `{"dns":{"address":"127.0.0.1","port":40213},"http":{"address":"127.0.0.1","port":41999},"pid":4242}`.
 * `dns` is the UDP and TCP address (one port for both); `http` is null with `--http off`.
 */
export interface ReadyAnnouncement {
  readonly dns: { readonly address: string; readonly port: number };
  readonly http: { readonly address: string; readonly port: number } | null;
  readonly pid: number;
}

/** Checked before the server starts, so a typo is exit 2 naming the flag, not a harness waiting for ever. */
export function checkReadyFilePath(path: string, label = '--ready-file'): void {
  if (path.trim() === '') throw new ConfigError(`${label}: needs a file path`);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`${label}: directory "${dir}" does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new ConfigError(`${label}: "${path}" is a directory`);
}

/**
 * Written to a temporary file beside it, then renamed over it (rename(2) is atomic within a file
 * system): a harness polling for the file never reads half of it.
 */
export function writeReadyFile(path: string, announcement: ReadyAnnouncement): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(announcement)}\n`, { mode: 0o644 });
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/** Removed at exit so a stale file never announces a server that is gone; only if it is still ours. */
export function removeReadyFile(path: string): void {
  try {
    const announced = JSON.parse(readFileSync(path, 'utf8')) as Partial<ReadyAnnouncement>;
    if (announced.pid === process.pid) unlinkSync(path);
  } catch {
    // Gone already, or replaced by someone else's: leave it.
  }
}
