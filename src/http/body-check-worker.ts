/** Worker entry: checks one large registration body's nesting, then parses and converts it under a heap cap (see registration-body.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { measureNesting } from './body-nesting.js';
import { convertDocuments } from '../sources/registry-documents.js';
import { parseRegistryText } from '../sources/yaml-documents.js';

export type BodyCheckReply = { readonly deeperAt: number } | { readonly parsed: number };

const { text, maxDepth } = workerData as { text: string; maxDepth: number };
// The nesting scan first, here rather than on the main thread: 8 MiB took a third of a second there.
const nesting = measureNesting(text, maxDepth);
if (nesting.line !== undefined) {
  parentPort!.postMessage({ deeperAt: nesting.line } satisfies BodyCheckReply);
} else {
  // The same work the registration path will do, diagnostics (which may re-parse for lines) included:
  // if this fits in the worker's heap and time, the registration's own parse fits too.
  const parsed = parseRegistryText('body', text);
  const converted = convertDocuments(parsed.documents);
  parentPort!.postMessage({ parsed: parsed.diagnostics.length + converted.diagnostics.length } satisfies BodyCheckReply);
}
