/**
 * A registry snapshot as bytes for the workers of `--workers`. The primary serializes it once
 * (v8's structured clone keeps Maps, Sets, arrays and records) in chunks named by a hash of their
 * bytes; a worker is sent only the chunks it does not hold from the snapshot it serves, so a change
 * to one service moves a few chunks, not the whole registry (27 MB for 10,000 services and 20,000
 * endpoints). Both sides work a chunk at a time with the event loop free between chunks, so a worker
 * keeps answering from the snapshot it has until the new one is whole.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { Registry } from '../registry/registry.js';

/**
 * A Map's chunks end after a key whose hash is 0 modulo this (content-defined, so an added or
 * removed name changes the chunk it is in and no other), or at MAX_CHUNK_ENTRIES. Arrays are cut
 * every MAX_CHUNK_ENTRIES items.
 */
const MAP_CHUNK_MODULUS = 64;
const MAX_CHUNK_ENTRIES = 500;

export interface SnapshotLayout {
  /** The snapshot with its large Maps and arrays left empty. */
  readonly head: Uint8Array;
  /** Which chunks refill each of them, in order. */
  readonly fields: readonly { readonly field: string; readonly chunks: readonly string[] }[];
}

/** One encoded snapshot: its layout and every chunk's bytes by id. */
export interface EncodedSnapshot extends SnapshotLayout {
  readonly chunks: ReadonlyMap<string, Uint8Array>;
}

/** What goes to one worker: the layout and the chunks it lacks. */
export interface SnapshotBytes extends SnapshotLayout {
  readonly chunks: ReadonlyMap<string, Uint8Array>;
}

/** The decoded items of each chunk a worker holds, by id: what the next snapshot may reuse. */
export type ChunkStore = ReadonlyMap<string, readonly unknown[]>;

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** FNV-1a over the key's text: cheap, stable across processes. */
function keyHash(key: unknown): number {
  const text = String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The snapshot without `inputs` (those are for explain, which the primary answers), in chunks,
 * awaiting `pause()` between chunks (default: one turn of the event loop).
 */
export async function encodeSnapshot(registry: Registry, options: { maxChunkEntries?: number; pause?: () => Promise<void> } = {}): Promise<EncodedSnapshot> {
  const maxEntries = options.maxChunkEntries ?? MAX_CHUNK_ENTRIES;
  const pause = options.pause ?? nextTurn;
  // `inputs` (explain's, a lazy getter on live views) and the live registry's change log stay here.
  // Every field is read before the first pause: a live registry may change between chunks.
  const snapshot: [string, unknown][] = [];
  for (const field of Object.keys(registry)) {
    if (field === 'inputs' || field === 'changes' || field === 'version') continue;
    const value = (registry as unknown as Record<string, unknown>)[field];
    snapshot.push([field, value instanceof Map ? new Map(value) : value instanceof Set ? new Set(value) : value]);
  }
  const head: Record<string, unknown> = {};
  const fields: { field: string; chunks: string[] }[] = [];
  const chunks = new Map<string, Uint8Array>();
  for (const [field, value] of snapshot) {
    const isMap = value instanceof Map;
    const items: unknown[] | undefined = isMap ? [...value] : Array.isArray(value) ? value : undefined;
    if (!items || items.length <= maxEntries) {
      head[field] = value;
      continue;
    }
    head[field] = isMap ? new Map() : [];
    const ids: string[] = [];
    let start = 0;
    for (let i = 0; i < items.length; i++) {
      const full = i + 1 - start >= maxEntries;
      const boundary = isMap && keyHash((items[i] as [unknown, unknown])[0]) % MAP_CHUNK_MODULUS === 0;
      if (!full && !boundary && i + 1 < items.length) continue;
      await pause();
      const bytes = serialize(items.slice(start, i + 1));
      const id = createHash('sha1').update(bytes).digest('base64');
      chunks.set(id, bytes);
      ids.push(id);
      start = i + 1;
    }
    fields.push({ field, chunks: ids });
  }
  return { head: serialize(head), fields, chunks };
}

/** Every chunk id of a snapshot: what a worker holds once it serves it. */
export function chunkIds(layout: SnapshotLayout): Set<string> {
  return new Set(layout.fields.flatMap((f) => f.chunks));
}

/** The part of `encoded` a worker holding the chunks `known` needs. */
export function bytesFor(encoded: EncodedSnapshot, known: ReadonlySet<string>): SnapshotBytes {
  const chunks = new Map<string, Uint8Array>();
  for (const [id, bytes] of encoded.chunks) if (!known.has(id)) chunks.set(id, bytes);
  return { head: encoded.head, fields: encoded.fields, chunks };
}

/** A chunk the snapshot names is neither sent nor held: the sender's idea of what we hold is wrong. */
export class MissingChunkError extends Error {}

/**
 * Reads a snapshot back from the chunks sent and those held in `store` (the previous snapshot's),
 * awaiting `pause()` between chunks. Returns the registry and the store for the next snapshot.
 */
export async function decodeSnapshot(
  bytes: SnapshotBytes,
  store: ChunkStore = new Map(),
  options: { pause?: () => Promise<void> } = {},
): Promise<{ registry: Registry; store: ChunkStore }> {
  const pause = options.pause ?? nextTurn;
  const head = deserialize(bytes.head) as Record<string, unknown>;
  const next = new Map<string, readonly unknown[]>();
  for (const { field, chunks } of bytes.fields) {
    const target = head[field];
    for (const id of chunks) {
      let items = store.get(id) ?? next.get(id);
      if (!items) {
        const sent = bytes.chunks.get(id);
        if (!sent) throw new MissingChunkError(`snapshot chunk ${id} of ${field} was neither sent nor held`);
        await pause();
        items = deserialize(sent) as unknown[];
      }
      next.set(id, items);
      if (target instanceof Map) for (const [key, value] of items as [unknown, unknown][]) target.set(key, value);
      else (target as unknown[]).push(...items);
    }
  }
  return { registry: head as unknown as Registry, store: next };
}
