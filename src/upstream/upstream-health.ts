/** Per-upstream health for GET /v1/ui/sources: the last outcome of each try, counts and the last round trip. Fed by the client's onTry. */
import type { UpstreamServer } from './upstream-client.js';

export interface UpstreamHealthRow {
  readonly server: string;
  /** `ok` when the last try got a reply; `timeout` or `error` when it did not; `unused` before any try. */
  readonly state: 'ok' | 'timeout' | 'error' | 'unused';
  readonly ok: number;
  readonly timeouts: number;
  readonly errors: number;
  /** Epoch ms of the last try and of the last reply. */
  readonly lastTryAt: number | undefined;
  readonly lastOkAt: number | undefined;
  /** Round trip of the last reply, ms. */
  readonly lastRttMs: number | undefined;
}

export interface UpstreamHealth {
  observe(server: UpstreamServer, outcome: 'ok' | 'timeout' | 'error', seconds: number): void;
  rows(): UpstreamHealthRow[];
}

export function createUpstreamHealth(servers: readonly UpstreamServer[], now: () => number = Date.now): UpstreamHealth {
  const label = (s: UpstreamServer) => (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`);
  const rows = new Map<string, { -readonly [K in keyof UpstreamHealthRow]: UpstreamHealthRow[K] }>();
  for (const s of servers) {
    rows.set(label(s), { server: label(s), state: 'unused', ok: 0, timeouts: 0, errors: 0, lastTryAt: undefined, lastOkAt: undefined, lastRttMs: undefined });
  }
  return {
    observe(server, outcome, seconds) {
      const row = rows.get(label(server));
      if (!row) return;
      const at = now();
      row.state = outcome;
      row.lastTryAt = at;
      if (outcome === 'ok') {
        row.ok++;
        row.lastOkAt = at;
        row.lastRttMs = Math.round(seconds * 100_000) / 100;
      } else if (outcome === 'timeout') row.timeouts++;
      else row.errors++;
    },
    rows: () => [...rows.values()].map((r) => ({ ...r })),
  };
}
