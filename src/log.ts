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
