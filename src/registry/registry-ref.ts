/** The one swappable reference to the current registry snapshot (build whole, then swap). */
import type { Registry } from './registry.js';

export interface RegistryRef {
  /** The snapshot to answer from, or undefined before the first registry has loaded. */
  current(): Registry | undefined;
}

export interface MutableRegistryRef extends RegistryRef {
  /** Publishes a complete new snapshot; a query that already read the old one keeps it. */
  swap(next: Registry): void;
}

export function createRegistryRef(initial?: Registry): MutableRegistryRef {
  let snapshot = initial;
  return {
    current: () => snapshot,
    swap(next) {
      snapshot = next;
    },
  };
}
