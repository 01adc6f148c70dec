/**
 * Watches the --zones directories and calls back (debounced) when anything in them may have changed:
 * create, change, delete, rename, and the `..data` symlink swap of a Kubernetes ConfigMap mount.
 * It watches directories, not files, because editors save by rename and ConfigMaps swap links.
 * The callback re-reads everything; content hashes decide whether anything really changed.
 * A directory watched only for a --zones file (or a path not there yet) reacts to that name alone
 * (and to a ConfigMap's `..` entries): other files beside it, such as the server's own log, would
 * otherwise reload it on every line written.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface ZonesWatcher {
  close(): void;
}

export interface WatchOptions {
  /** Quiet time before the callback runs, ms. Default 100. */
  readonly debounceMs?: number;
  readonly onError?: (error: unknown) => void;
}

export async function watchZones(paths: readonly string[], onChange: () => void, options: WatchOptions = {}): Promise<ZonesWatcher> {
  const debounceMs = options.debounceMs ?? 100;
  const watchers = new Map<string, FSWatcher>();
  /** Per watched directory: the names in it that matter, or 'all' for a --zones directory itself. */
  let interest = new Map<string, Set<string> | 'all'>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // Trailing debounce, but a burst that never pauses still reloads once a second.
  const maxWaitMs = 1000;
  let burstStarted = 0;
  const trigger = () => {
    if (closed) return;
    clearTimeout(timer);
    const now = Date.now();
    if (burstStarted === 0) burstStarted = now;
    const wait = Math.max(0, Math.min(debounceMs, burstStarted + maxWaitMs - now));
    timer = setTimeout(() => {
      timer = undefined;
      burstStarted = 0;
      void refreshWatchers().finally(() => {
        if (!closed) onChange();
      });
    }, wait);
    timer.unref?.();
  };

  function watchDirectory(dir: string): void {
    if (watchers.has(dir) || closed) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        const names = interest.get(dir);
        // No filename (some platforms cannot tell): assume it mattered.
        if (names === 'all' || names === undefined || filename === null || filename.startsWith('..') || names.has(String(filename))) trigger();
      });
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(dir);
        trigger();
      });
      watchers.set(dir, watcher);
    } catch (error) {
      options.onError?.(error);
    }
  }

  /** The directories to watch for one --zones path, each with the names in it that matter. */
  async function directoriesOf(path: string, depth = 0): Promise<Array<[string, string | 'all']>> {
    let info;
    try {
      info = await stat(path);
    } catch {
      // Not there (yet): watch the nearest parent so its creation is noticed.
      return depth === 0 ? [[dirname(path), basename(path)]] : [];
    }
    if (!info.isDirectory()) return depth === 0 ? [[dirname(path), basename(path)]] : [];
    const out: Array<[string, string | 'all']> = [[path, 'all']];
    if (depth > 16) return out;
    let entries: string[] = [];
    try {
      entries = await readdir(path);
    } catch {
      return out;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      out.push(...(await directoriesOf(join(path, name), depth + 1)));
    }
    return out;
  }

  async function refreshWatchers(): Promise<void> {
    const wanted = new Map<string, Set<string> | 'all'>();
    for (const path of paths) {
      for (const [dir, name] of await directoriesOf(path)) {
        const names = wanted.get(dir);
        if (name === 'all' || names === 'all') wanted.set(dir, 'all');
        else wanted.set(dir, (names ?? new Set<string>()).add(name));
      }
    }
    interest = wanted;
    for (const [dir, watcher] of watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted.keys()) watchDirectory(dir);
  }

  await refreshWatchers();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
