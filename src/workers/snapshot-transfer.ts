/**
 * A registry snapshot as bytes for the workers of `--workers`: serialized once in the primary
 * (v8's structured clone, which keeps Maps, Sets, arrays and records, shared references included),
 * whatever the number of workers, and read back whole in each worker.
 */
import { deserialize, serialize } from 'node:v8';
import type { Registry } from '../registry/registry.js';

/** The snapshot without `inputs`: those are for explain, which the primary answers. */
export function encodeSnapshot(registry: Registry): Uint8Array {
  const { inputs: _inputs, ...snapshot } = registry;
  return serialize(snapshot);
}

export function decodeSnapshot(bytes: Uint8Array): Registry {
  return deserialize(bytes) as Registry;
}
