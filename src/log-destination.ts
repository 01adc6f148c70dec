/** The log's destination when stderr is a pipe or socket: never blocks the process, drops and counts what the reader does not take. */
import { Socket } from 'node:net';

/**
 * Why not pino's own destination (sonic-boom): once the pipe is full it retries forever, and at
 * exit it flushes synchronously, spinning until the reader drains the pipe: a harness that stops
 * reading stderr could not stop the server (issue 19). Node's stderr on a pipe is a non-blocking
 * libuv stream that queues in memory; this bounds that queue and never waits on it at exit.
 */
export interface LogDestination {
  /** Queues one line (newline included); drops it, counted, while more than the bound is unwritten. */
  write(line: string): boolean;
  /** Lines dropped so far. */
  readonly dropped: number;
  /** Called once the reader has caught up after drops, with the lines dropped since the last call. */
  onCaughtUp: ((dropped: number) => void) | undefined;
  /** Lines dropped and not yet reported by onCaughtUp; counts them as reported. */
  takeUnreported(): number;
  /** Resolves once everything queued is written, or after `timeoutMs` whatever the reader does. */
  close(timeoutMs: number): Promise<void>;
  readonly closed: boolean;
}

/** 1 MiB unwritten: minutes of start-up and reload lines, a few thousand query lines. */
export const DEFAULT_MAX_UNWRITTEN_BYTES = 1024 * 1024;

/** True when the stream is a pipe or socket (not a terminal, not a file): where a reader can stall. */
export function isPipeStream(stream: NodeJS.WritableStream): stream is Socket {
  return stream instanceof Socket && (stream as { isTTY?: boolean }).isTTY !== true;
}

/** A bounded destination over a non-blocking stream (process.stderr on a pipe); lines of one tick go out in one write. */
export function createLogDestination(stream: Socket, maxUnwrittenBytes = DEFAULT_MAX_UNWRITTEN_BYTES): LogDestination {
  let batch = '';
  let scheduled = false;
  let dropped = 0;
  let unreported = 0;
  let broken = false;
  let closed = false;
  let writing = 0; // stream writes not yet handed to the kernel
  const idle: (() => void)[] = [];

  // EPIPE once the reader has closed its end: stop writing, keep serving (an unhandled 'error' would crash).
  stream.on('error', () => {
    broken = true;
  });
  const written = (): void => {
    if (--writing > 0) return;
    for (const resolve of idle.splice(0)) resolve();
    if (unreported === 0 || destination.onCaughtUp === undefined || broken) return;
    const n = unreported;
    unreported = 0;
    destination.onCaughtUp(n);
  };
  const flush = (): void => {
    scheduled = false;
    if (batch === '' || broken) return;
    const text = batch;
    batch = '';
    writing++;
    stream.write(text, written);
  };
  // Lines still batched when the process exits go to the stream, which writes what the pipe takes
  // at once and never waits.
  process.once('exit', flush);

  const destination: LogDestination = {
    onCaughtUp: undefined,
    get dropped() {
      return dropped;
    },
    get closed() {
      return closed;
    },
    takeUnreported(): number {
      const n = unreported;
      unreported = 0;
      return n;
    },
    write(line: string): boolean {
      if (broken || stream.writableLength + batch.length > maxUnwrittenBytes) {
        dropped++;
        unreported++;
        return false;
      }
      batch += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return true;
    },
    close(timeoutMs: number): Promise<void> {
      closed = true;
      flush();
      if (broken || writing === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  return destination;
}
