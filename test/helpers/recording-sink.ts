/** A RegistrySink that keeps what a source pushed and the order it pushed it, for source tests. */
import type { Diagnostic } from '../../src/registry/diagnostics.js';
import type { RegistryInput } from '../../src/registry/model.js';
import type { ObjectKey, RegistrySink, SourceEntry } from '../../src/registry/registry-source.js';

export interface RecordingSink extends RegistrySink {
  readonly objects: Map<ObjectKey, RegistryInput>;
  /** `upsert service/shop/web`, `remove …`, `replaceAll 3`, `synced` in call order. */
  readonly calls: string[];
  readonly reports: (readonly Diagnostic[])[];
  syncedCount: number;
}

export function recordingSink(): RecordingSink {
  const sink: RecordingSink = {
    objects: new Map(),
    calls: [],
    reports: [],
    syncedCount: 0,
    upsert(key, input) {
      sink.objects.set(key, input);
      sink.calls.push(`upsert ${key}`);
    },
    remove(key) {
      sink.objects.delete(key);
      sink.calls.push(`remove ${key}`);
    },
    replaceAll(entries: Iterable<SourceEntry>) {
      sink.objects.clear();
      let n = 0;
      for (const e of entries) {
        sink.objects.set(e.key, e.input);
        n++;
      }
      sink.calls.push(`replaceAll ${n}`);
    },
    report(diagnostics) {
      sink.reports.push(diagnostics);
    },
    synced() {
      sink.syncedCount++;
      sink.calls.push('synced');
    },
    published: () => Promise.resolve(),
  };
  return sink;
}
