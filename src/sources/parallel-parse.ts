/**
 * Parses a large kubectl List off the main thread: its items are split into chunks, each chunk is
 * parsed and converted in a worker, and the results are merged in order. The main thread keeps
 * answering queries from the current registry meanwhile, and on a multi-core machine the chunks
 * parse in parallel. Anything that goes wrong with workers falls back to parsing in-line.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import type { ConvertedSource } from './registry-documents.js';
import { splitKubectlList } from './yaml-documents.js';

export interface ParseChunk {
  readonly file: string;
  readonly items: readonly { text: string; firstLine: number }[];
}

const MAX_WORKERS = 4;

/** Undefined when the text is not a large kubectl List (the caller parses it in-line). */
export async function parseLargeListInWorkers(file: string, text: string): Promise<ConvertedSource | undefined> {
  const items = splitKubectlList(text);
  if (!items) return undefined;
  const workers = Math.max(1, Math.min(MAX_WORKERS, availableParallelism()));
  const size = Math.ceil(items.length / workers);
  const chunks: ParseChunk[] = [];
  for (let i = 0; i < items.length; i += size) chunks.push({ file, items: items.slice(i, i + size) });
  let results: ConvertedSource[];
  try {
    results = await Promise.all(chunks.map(runChunk));
  } catch {
    return undefined;
  }
  const input: { [K in keyof RegistryInput]-?: NonNullable<RegistryInput[K]>[number][] } = { namespaces: [], services: [], endpointGroups: [], pods: [], workloads: [] };
  const diagnostics: Diagnostic[] = [];
  for (const r of results) {
    input.namespaces.push(...r.input.namespaces);
    input.services.push(...r.input.services);
    input.endpointGroups.push(...r.input.endpointGroups);
    input.pods.push(...r.input.pods);
    input.workloads.push(...(r.input.workloads ?? []));
    diagnostics.push(...r.diagnostics);
  }
  return { input, diagnostics };
}

function runChunk(chunk: ParseChunk): Promise<ConvertedSource> {
  return new Promise((resolve, reject) => {
    // The compiled worker sits next to this file in dist/; under a TypeScript test runner it does
    // not exist, the Worker errors, and the caller parses in-line.
    const worker = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: chunk });
    worker.once('message', (result: ConvertedSource) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`parse worker exited with ${code}`));
    });
  });
}
