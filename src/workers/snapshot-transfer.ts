/**
 * A registry snapshot as bytes for the workers of `--workers`: serialized once in the primary
 * (v8's structured clone keeps Maps, Sets, arrays and records), whatever the number of workers, and
 * read back in each worker, both in parts with the event loop free between them, so a worker taking in a
 * large registry (27 MB for 10,000 services and 20,000 endpoints) keeps answering from the one it
 * has, as the publisher's sliced builds do in one process. The snapshot is swapped in only whole.
 */
import { deserialize, serialize } from 'node:v8';
import type { Registry } from '../registry/registry.js';

/** Map entries or array items per part: a few ms of deserializing each for the bench's large registry. */
const PART_ENTRIES = 500;

export interface SnapshotBytes {
  /** The snapshot with its large Maps and arrays left empty. */
  readonly head: Uint8Array;
  /** Their entries (a Map's as [key, value] pairs), one slice per part, in order. */
  readonly parts: readonly { readonly field: string; readonly bytes: Uint8Array }[];
}

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The snapshot without `inputs` (those are for explain, which the primary answers), in parts,
 * awaiting `pause()` between parts (default: one turn of the event loop) so the primary's HTTP and
 * watches are not held up by a large registry.
 */
export async function encodeSnapshot(registry: Registry, options: { partEntries?: number; pause?: () => Promise<void> } = {}): Promise<SnapshotBytes> {
  const partEntries = options.partEntries ?? PART_ENTRIES;
  const pause = options.pause ?? nextTurn;
  const { inputs: _inputs, ...snapshot } = registry;
  const head: Record<string, unknown> = {};
  const parts: { field: string; bytes: Uint8Array }[] = [];
  for (const [field, value] of Object.entries(snapshot)) {
    const items = value instanceof Map ? [...value] : Array.isArray(value) ? value : undefined;
    if (!items || items.length <= partEntries) {
      head[field] = value;
      continue;
    }
    head[field] = value instanceof Map ? new Map() : [];
    for (let i = 0; i < items.length; i += partEntries) {
      await pause();
      parts.push({ field, bytes: serialize(items.slice(i, i + partEntries)) });
    }
  }
  return { head: serialize(head), parts };
}

/** Reads a snapshot back, awaiting `pause()` between parts (default: one turn of the event loop). */
export async function decodeSnapshot(bytes: SnapshotBytes, options: { pause?: () => Promise<void> } = {}): Promise<Registry> {
  const pause = options.pause ?? nextTurn;
  const head = deserialize(bytes.head) as Record<string, unknown>;
  for (const part of bytes.parts) {
    await pause();
    const target = head[part.field];
    const items = deserialize(part.bytes) as unknown[];
    if (target instanceof Map) for (const [key, value] of items as [unknown, unknown][]) target.set(key, value);
    else (target as unknown[]).push(...items);
  }
  return head as unknown as Registry;
}
