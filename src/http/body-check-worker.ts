/** Worker entry: parses and converts one registration body under a heap cap (see registration-body.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { convertDocuments } from '../sources/registry-documents.js';
import { parseRegistryText } from '../sources/yaml-documents.js';

// The same work the registration path will do, diagnostics (which may re-parse for lines) included:
// if this fits in the worker's heap and time, the real parse on the main thread fits too.
const parsed = parseRegistryText('body', workerData as string);
const converted = convertDocuments(parsed.documents);
parentPort!.postMessage(parsed.diagnostics.length + converted.diagnostics.length);
