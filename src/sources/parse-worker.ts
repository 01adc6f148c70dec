/** Worker entry: hashes, parses and converts one registry file's bytes, and posts the slim result back in parts. */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { INPUT_FIELDS, type ParseReply, type ParseRequest } from './off-thread-parse.js';
import { convertRegistryText } from './registry-documents.js';

/** Items per message: the main thread deserialises one message at a time, between queries. */
const PART = 1000;

const request = workerData as ParseRequest;
const bytes = new Uint8Array(request.bytes);
const contentHash = createHash('sha256').update(bytes).digest('hex');
const text = new TextDecoder().decode(bytes);
const converted = convertRegistryText(request.file, text);
const post = (reply: ParseReply) => parentPort!.postMessage(reply);
for (const field of INPUT_FIELDS) {
  const list = converted.input[field] ?? [];
  for (let i = 0; i < list.length; i += PART) post({ type: 'part', field, items: list.slice(i, i + PART) });
}
for (let i = 0; i < converted.diagnostics.length; i += PART) post({ type: 'diagnostics', items: converted.diagnostics.slice(i, i + PART) });
post({ type: 'done', contentHash, syntaxError: converted.syntaxError });
