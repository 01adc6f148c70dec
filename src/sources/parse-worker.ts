/** Worker entry: parses and converts one chunk of kubectl List items (see parallel-parse.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { RegistryInput } from '../registry/model.js';
import type { ParseChunk } from './parallel-parse.js';
import { convertDocuments } from './registry-documents.js';
import type { SourceDocument } from './source-document.js';
import { parseYamlText } from './yaml-documents.js';

const chunk = workerData as ParseChunk;
const documents: SourceDocument[] = [];
const diagnostics = [];
for (const item of chunk.items) {
  const parsed = parseYamlText(chunk.file, item.text, item.firstLine - 1);
  documents.push(...parsed.documents);
  diagnostics.push(...parsed.diagnostics);
}
const converted = convertDocuments(documents);
// Origins find their line lazily; resolve them here, where the parsed documents still exist.
const plain = <T extends { origin: { file: string; line: number } }>(list: readonly T[]): T[] =>
  list.map((o) => ({ ...o, origin: { file: o.origin.file, line: o.origin.line } }));
const input: RegistryInput = {
  namespaces: plain(converted.input.namespaces),
  services: plain(converted.input.services),
  endpointGroups: plain(converted.input.endpointGroups),
  pods: plain(converted.input.pods),
};
parentPort!.postMessage({ input, diagnostics: [...diagnostics, ...converted.diagnostics] });
