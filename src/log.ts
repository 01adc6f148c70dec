/** The one pino import: a root logger per server, and a child per component. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** JSON lines on stderr (stdout stays free for command output such as `check` and `records`). */
export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { name: 'cluster-dns' } }, pino.destination({ fd: 2, sync: false }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Logs a repeated message at most once per interval per message text; the next line that gets
 * through says how many were suppressed. For errors a client can trigger at packet rate.
 */
export function createRateLimitedLogger(log: Logger, intervalMs = 10_000): Pick<Logger, 'error' | 'warn'> {
  const last = new Map<string, { at: number; suppressed: number }>();
  const emit = (level: 'error' | 'warn', fields: object, message: string) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed++;
      return;
    }
    if (last.size > 1000) last.clear();
    last.set(message, { at: now, suppressed: 0 });
    log[level]({ ...fields, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) }, message);
  };
  return {
    error: ((fields: object, message: string) => emit('error', fields, message)) as Logger['error'],
    warn: ((fields: object, message: string) => emit('warn', fields, message)) as Logger['warn'],
  };
}
