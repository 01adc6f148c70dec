/**
 * One resource's list/watch loop, as client-go's Reflector runs it: a paged list (limit/continue)
 * remembers the collection's resourceVersion; a watch from there with bookmarks and a randomized
 * timeoutSeconds advances it with every event; a stream that ends is resumed from the last version;
 * 410 Gone (HTTP or an in-stream ERROR Status) lists again and replaces everything, so the deletes
 * missed meanwhile happen; other failures back off with jitter. Time comes from injected timers.
 */
import { ApiError, type ApiClient, type SkippedLine, type WatchEvent } from './api-client.js';
import { sleep, type Timers } from './timers.js';

export type KubeObject = Record<string, unknown>;

export interface ResourceSpec {
  /** Plural resource name, for logs and the restart metric: `services`. */
  readonly resource: string;
  /** Collection path: `/api/v1/services`, `/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices`. */
  readonly path: string;
  /** Kind and apiVersion of the items: list items come without them (the API sets them on the List only). */
  readonly kind: string;
  readonly apiVersion: string;
  /** Sent as labelSelector on list and watch. */
  readonly labelSelector?: string | undefined;
}

export interface ReflectorHandlers {
  /** The whole collection after a list (the first, or one after 410): anything delivered before and not in it is gone. */
  replace(objects: readonly KubeObject[]): void;
  upsert(object: KubeObject): void;
  remove(object: KubeObject): void;
  /** The first list has been delivered. */
  synced(): void;
  /** A request failed; the next try is in `retryInMs`. */
  failed(error: unknown, retryInMs: number): void;
  /** A list or watch succeeded after failures. */
  recovered(): void;
  /** A watch is opened again (after a stream end, an error or a relist): the restart metric. */
  restarted(): void;
  /** A watch line too large to read (over 16 MiB) was skipped; the watch goes on. */
  skipped?(line: SkippedLine): void;
}

export interface BackoffOptions {
  /** First delay after a failure. Default 1000 ms. */
  readonly initialMs?: number;
  /** Largest delay. Default 30000 ms. */
  readonly maxMs?: number;
  /** Up to this fraction is added at random, so replicas do not retry in step. Default 0.25. */
  readonly jitter?: number;
  /** A connection that stayed healthy this long starts the next outage from `initialMs` again. Default 60000 ms. */
  readonly resetAfterMs?: number;
}

export interface ReflectorOptions {
  readonly client: ApiClient;
  readonly timers: Timers;
  /** Items per list page. Default 500 (client-go's pager default). */
  readonly pageSize?: number;
  /** timeoutSeconds is drawn from [min, max). Defaults 300 and 600, as client-go (5–10 min). */
  readonly minWatchSeconds?: number;
  readonly maxWatchSeconds?: number;
  /** A watch silent for its timeout plus this is half-open (dead). Default 30000 ms. */
  readonly watchSlackMs?: number;
  readonly backoff?: BackoffOptions;
}

export interface Reflector {
  /** Stops the loop and any request in flight; resolves when it has ended. */
  stop(): Promise<void>;
}

/** A Status with code 410 (or reason Expired/Gone): the version is compacted away; list again. */
export class GoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoneError';
  }
}

/** Next delay for the `attempt`-th consecutive failure (0-based). */
export function backoffDelay(attempt: number, random: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.min(max, Math.round(base * (1 + (options.jitter ?? 0.25) * random)));
}

/** A watch that ends this soon without an event is a failure, not a resume (client-go's "very short watch"). */
const SHORT_WATCH_MS = 1000;

export function startReflector(spec: ResourceSpec, handlers: ReflectorHandlers, options: ReflectorOptions): Reflector {
  const { client, timers } = options;
  const stopper = new AbortController();
  const signal = stopper.signal;
  const pageSize = options.pageSize ?? 500;
  const minWatch = options.minWatchSeconds ?? 300;
  const maxWatch = options.maxWatchSeconds ?? 600;
  const slackMs = options.watchSlackMs ?? 30_000;
  const resetAfterMs = options.backoff?.resetAfterMs ?? 60_000;
  const selector: Record<string, string> = spec.labelSelector ? { labelSelector: spec.labelSelector } : {};

  let resourceVersion: string | undefined;
  let synced = false;
  let failing = false;
  let attempts = 0;
  let healthySince: number | undefined;
  let watches = 0;

  const healthy = () => {
    healthySince ??= timers.now();
    if (failing) {
      failing = false;
      handlers.recovered();
    }
  };

  /** Sets kind and apiVersion where the API left them out; the object is freshly parsed and ours to change. */
  const withKind = (object: KubeObject): KubeObject => {
    object.kind ??= spec.kind;
    object.apiVersion ??= spec.apiVersion;
    return object;
  };

  async function list(): Promise<{ version: string; items: KubeObject[] }> {
    const items: KubeObject[] = [];
    let token: string | undefined;
    let version = '';
    do {
      const page = (await client.getJson(spec.path, { ...selector, limit: String(pageSize), ...(token ? { continue: token } : {}) }, signal)) as {
        metadata?: { resourceVersion?: unknown; continue?: unknown };
        items?: unknown;
      };
      if (!Array.isArray(page?.items)) throw new ApiError(200, `list ${spec.path}: the answer has no items`, undefined);
      for (const item of page.items) if (typeof item === 'object' && item !== null) items.push(withKind(item as KubeObject));
      version = typeof page.metadata?.resourceVersion === 'string' ? page.metadata.resourceVersion : '';
      token = typeof page.metadata?.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (token && !signal.aborted);
    if (version === '') throw new ApiError(200, `list ${spec.path}: the answer has no resourceVersion`, undefined);
    return { version, items };
  }

  /** One watch from `resourceVersion` until the server ends it. Returns how many events it carried. */
  async function watchOnce(): Promise<number> {
    const timeoutSeconds = Math.floor(minWatch + (maxWatch - minWatch) * timers.random());
    const stream = new AbortController();
    const stopStream = () => stream.abort();
    signal.addEventListener('abort', stopStream, { once: true });
    let failure: Error | undefined;
    let events = 0;
    let silence = timers.after(timeoutSeconds * 1000 + slackMs, onSilence);
    function onSilence() {
      failure = new Error(`watch ${spec.path} silent for ${timeoutSeconds} s plus ${slackMs} ms: treating the connection as dead`);
      stream.abort();
    }
    const started = timers.now();
    try {
      await client.watch(
        spec.path,
        { ...selector, watch: '1', resourceVersion: resourceVersion!, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) },
        stream.signal,
        {
          onOpen: healthy,
          onSkipped(line: SkippedLine) {
            if (failure) return;
            silence.cancel();
            silence = timers.after(timeoutSeconds * 1000 + slackMs, onSilence);
            handlers.skipped?.(line);
          },
          onEvent(event: WatchEvent) {
            if (failure) return;
            silence.cancel();
            silence = timers.after(timeoutSeconds * 1000 + slackMs, onSilence);
            events++;
            try {
              apply(event);
            } catch (error) {
              failure = error as Error;
              stream.abort();
            }
          },
        },
      );
    } finally {
      silence.cancel();
      signal.removeEventListener('abort', stopStream);
    }
    if (failure) throw failure;
    if (!signal.aborted && events === 0 && timers.now() - started < SHORT_WATCH_MS) {
      throw new Error(`watch ${spec.path} ended at once without an event`);
    }
    return events;
  }

  function apply(event: WatchEvent): void {
    const object = event.object;
    if (event.type === 'ERROR') throw statusError(object);
    const metadata = (object.metadata ?? {}) as { resourceVersion?: unknown };
    const version = typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '' ? metadata.resourceVersion : undefined;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        handlers.upsert(withKind(object));
        break;
      case 'DELETED':
        handlers.remove(withKind(object));
        break;
      case 'BOOKMARK':
        break; // carries only the version (and nothing else we use)
      default:
        throw new ApiError(200, `watch ${spec.path}: unknown event type ${JSON.stringify(event.type)}`, undefined);
    }
    // Every event, bookmarks included, moves the version we resume from.
    if (version) resourceVersion = version;
  }

  /**
   * Lists and hands the whole collection to `replace`: objects deleted while we were away disappear
   * there. Its own function, so the parsed list is garbage once it returns: a list kept in the
   * suspended frame of `run` would hold every object's JSON for as long as the watch runs.
   * False when stopped meanwhile.
   */
  async function relist(): Promise<boolean> {
    const { version, items } = await list();
    if (signal.aborted) return false;
    resourceVersion = version;
    healthy();
    handlers.replace(items);
    if (!synced) {
      synced = true;
      handlers.synced();
    }
    return true;
  }

  async function run(): Promise<void> {
    let goneAgain = false;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined && !(await relist())) break;
        if (watches++ > 0) handlers.restarted();
        const events = await watchOnce();
        if (events > 0) goneAgain = false;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GoneError || (error instanceof ApiError && error.status === 410)) {
          resourceVersion = undefined;
          // A relist that is itself answered 410 (an expired continue token, a broken server) backs off.
          if (!goneAgain) {
            goneAgain = true;
            continue;
          }
        }
        if (healthySince !== undefined && timers.now() - healthySince >= resetAfterMs) attempts = 0;
        healthySince = undefined;
        failing = true;
        const delay = backoffDelay(attempts++, timers.random(), options.backoff);
        handlers.failed(error, delay);
        await sleep(timers, delay, signal);
      }
    }
  }

  const done = run();
  return {
    async stop() {
      stopper.abort();
      await done;
    },
  };
}

function statusError(object: KubeObject): Error {
  const code = typeof object.code === 'number' ? object.code : undefined;
  const reason = typeof object.reason === 'string' ? object.reason : undefined;
  const message = typeof object.message === 'string' ? object.message.slice(0, 300) : 'watch error';
  if (code === 410 || reason === 'Expired' || reason === 'Gone') return new GoneError(`watch: ${message}`);
  return new ApiError(code ?? 500, `watch ERROR event: ${message}`, reason);
}
