/** The one pino (and pino-pretty) import: a root logger per server, JSON or pretty, and a child per component. */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createLogDestination, isPipeStream, type LogDestination } from './log-destination.js';

export type { Logger } from 'pino';
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** Default `info`. */
  readonly level?: LevelWithSilent;
  /** Default `json`; the CLI picks `pretty` when stderr is a terminal. */
  readonly format?: LogFormat;
}

/** Pretty for a person at a terminal, JSON lines for a collector: the CLI's default for `--log-format`. */
export function defaultLogFormat(stderrIsTty: boolean): LogFormat {
  return stderrIsTty ? 'pretty' : 'json';
}

/**
 * A root logger on stderr (stdout stays free for command output such as `check` and `records`).
 * JSON lines carry ISO-8601 times. Pretty lines go through pino-pretty, loaded only in that mode;
 * they stay one short line each (arrays shown as counts) unless the level is debug or trace, where
 * every field, the registry diff included, gets its own line.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  // A pipe or socket can stall (a harness that stops reading): a bounded destination that drops
  // and counts instead of blocking. A terminal or a file takes every line.
  const pipe = isPipeStream(process.stderr) ? stderrDestination() : undefined;
  if (options.format !== 'pretty') {
    const logger = pino({ level, base: { name: 'cluster-dns' }, timestamp: pino.stdTimeFunctions.isoTime }, pipe ?? pino.destination({ fd: 2, sync: false }));
    if (pipe) reportDrops(pipe, logger);
    return logger;
  }
  const verbose = level === 'debug' || level === 'trace';
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  // One readable line per event at info: `INFO: query: qname=web.shop… rcode=NOERROR …`, not the
  // fields as a JSON blob. At debug and trace every field gets its own line, as pino-pretty does.
  const prettyOptions = verbose
    ? { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name,component', messageFormat: '{if component}{component}: {end}{msg}', singleLine: false }
    : { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name,component', messageFormat: formatPrettyMessage, hideObject: true, singleLine: false };
  let stream: { write(line: string): unknown };
  if (pipe) {
    const prettify = pretty.prettyFactory(prettyOptions);
    stream = { write: (line: string) => pipe.write(prettify(line)) };
    pipeDestinations.set(stream, pipe);
  } else stream = pretty({ ...prettyOptions, destination: 2, sync: true });
  const logger = pino({ level, base: { name: 'cluster-dns' }, formatters: verbose ? {} : { log: shortenFields } }, stream);
  if (pipe) reportDrops(pipe, logger);
  return logger;
}

/** One bounded destination per process over stderr, shared by every logger on it. */
let sharedStderr: LogDestination | undefined;
/** The bounded destination behind a stream pino writes to (itself, or the pretty formatter in front of it). */
const pipeDestinations = new WeakMap<object, LogDestination>();

function stderrDestination(): LogDestination {
  if (!sharedStderr) {
    sharedStderr = createLogDestination(process.stderr as import('node:net').Socket);
    pipeDestinations.set(sharedStderr, sharedStderr);
  }
  return sharedStderr;
}

/** Once the reader catches up, one line says how many were lost (the newest logger says it). */
function reportDrops(destination: LogDestination, logger: Logger): void {
  destination.onCaughtUp = (dropped) => logger.warn({ dropped }, 'log lines dropped: stderr was not read fast enough');
}

function pipeDestinationOf(logger: Logger | undefined): LogDestination | undefined {
  const stream = logger ? (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] : undefined;
  return typeof stream === 'object' && stream !== null ? pipeDestinations.get(stream) : undefined;
}

/**
 * For one short pretty line: a long list becomes its count (`servicesAdded: 120`; debug says
 * which), a short list of plain values stays (`pids: [4242, 4243]`, `upstreams: ['10.0.0.2:53']`),
 * and `{ udp: { address, family, port } }` → `{ udp: '127.0.0.1:1053' }`.
 */
function shortenFields(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    let short: unknown = value;
    if (Array.isArray(value)) short = value.length <= SHORT_LIST && value.every(isPlain) ? value : value.length;
    else if (isAddress(value)) short = value.address.includes(':') ? `[${value.address}]:${value.port}` : `${value.address}:${value.port}`;
    if (short === value) continue;
    out ??= { ...fields };
    out[key] = short;
  }
  return out ?? fields;
}

/** Lists up to this long are shown whole on a pretty line. */
const SHORT_LIST = 8;
/** Keys pino-pretty shows itself, or that the line leaves out. */
const PRETTY_SKIPPED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'component', 'msg']);

const isPlain = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** `component: message key=value key=value` (logfmt-style; strings with spaces quoted, lists comma-joined). */
function formatPrettyMessage(log: Record<string, unknown>): string {
  const head = [typeof log.component === 'string' ? `${log.component}:` : '', typeof log.msg === 'string' ? log.msg : ''].filter(Boolean).join(' ');
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(log)) {
    if (PRETTY_SKIPPED.has(key) || value === undefined) continue;
    pairs.push(`${key}=${prettyValue(key, value)}`);
  }
  return pairs.length ? `${head}${head ? ' ' : ''}${pairs.join(' ')}` : head;
}

function prettyValue(key: string, value: unknown): string {
  if (key === 'err' && typeof value === 'object' && value !== null) return prettyValue('', (value as { message?: unknown }).message ?? '');
  if (Array.isArray(value)) return value.map((v) => prettyValue('', v)).join(',');
  if (typeof value === 'string') return value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (isPlain(value)) return String(value);
  return JSON.stringify(value);
}

function isAddress(value: unknown): value is { address: string; port: number } {
  return typeof value === 'object' && value !== null && typeof (value as { address?: unknown }).address === 'string' && typeof (value as { port?: unknown }).port === 'number';
}

/**
 * Writes a plain line (the CLI's closing error) after every log line written so far. The JSON
 * destination is asynchronous, so a direct stderr write could overtake queued log lines; through
 * the destination itself the order holds. Pretty mode writes synchronously already.
 */
export function writeAfterLog(logger: Logger | undefined, line: string): void {
  const pipe = pipeDestinationOf(logger);
  if (pipe) {
    pipe.write(line);
    return;
  }
  const destination = logger ? (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] : undefined;
  if (isAsyncDestination(destination)) destination.write(line);
  else process.stderr.write(line);
}

/**
 * Resolves once every line written so far is on stderr, for a clean exit. The asynchronous
 * destination is ended, which waits for a write still in flight; flushing it synchronously at exit
 * could put the last lines ahead of that write's. On a pipe it waits at most `timeoutMs` for the
 * reader, after saying how many lines were dropped: a stalled reader never holds the exit.
 */
export function closeLog(logger: Logger | undefined, timeoutMs = 500): Promise<void> {
  const pipe = pipeDestinationOf(logger);
  if (pipe) {
    const dropped = pipe.takeUnreported();
    if (dropped > 0) logger!.warn({ dropped }, 'log lines dropped: stderr was not read fast enough');
    return pipe.close(timeoutMs);
  }
  const destination = logger ? (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] : undefined;
  if (!isAsyncDestination(destination) || destination.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    destination.once('close', () => resolve());
    destination.end();
  });
}

interface AsyncDestination {
  write(line: string): boolean;
  end(): void;
  once(event: 'close', listener: () => void): void;
  readonly destroyed: boolean;
}

function isAsyncDestination(stream: unknown): stream is AsyncDestination {
  return typeof stream === 'object' && stream !== null && typeof (stream as { flushSync?: unknown }).flushSync === 'function' && typeof (stream as { write?: unknown }).write === 'function';
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
