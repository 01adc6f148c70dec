/** Registry documents of either format → one RegistryInput with diagnostics. Pure. */
import type { Diagnostic } from '../registry/diagnostics.js';
import type { RegistryInput } from '../registry/model.js';
import { Problems, isRecord } from './field-checks.js';
import { convertKubernetesObject, createCollector } from './kubernetes-manifests.js';
import { convertNativeDocument, isNativeDocument } from './native-format.js';
import { plainDocument, type SourceDocument } from './source-document.js';
import { parseRegistryBatches } from './yaml-documents.js';

export interface ConvertedSource {
  readonly input: RegistryInput;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * The text itself is broken (a YAML/JSON syntax error): the file is one unit for errors. Errors
   * of single objects leave this false; those objects are left out and their neighbours converted.
   */
  readonly syntaxError: boolean;
}

/** Decides each document's format (a `kind` makes it Kubernetes) and converts it. */
export function convertDocuments(documents: Iterable<SourceDocument>): ConvertedSource {
  return convertBatches([{ documents, diagnostics: [] }]);
}

/**
 * Converts batches of parsed documents as they come, so each batch's parse tree can be collected
 * before the next is parsed. Diagnostics keep file order: a batch's syntax errors, then its fields.
 */
function convertBatches(batches: Iterable<{ documents: Iterable<SourceDocument>; diagnostics: readonly Diagnostic[] }>): ConvertedSource {
  const out = createCollector();
  const diagnostics: Diagnostic[] = [];
  let syntaxError = false;
  for (const batch of batches) {
    for (const d of batch.diagnostics) {
      diagnostics.push(d);
      if (d.severity === 'error') syntaxError = true;
    }
    for (const doc of batch.documents) {
      const problems = new Problems(doc);
      if (isNativeDocument(doc.value)) convertNativeDocument(doc.value as Record<string, unknown>, problems, out);
      else if (isRecord(doc.value) && ('kind' in doc.value || 'apiVersion' in doc.value)) convertKubernetesObject(doc.value, problems, out);
      else problems.error([], 'not a registry document: expected a Kubernetes object (apiVersion, kind) or a native document (namespace, services, pods)');
      for (const d of problems.diagnostics) diagnostics.push(d);
    }
  }
  const { namespaces, services, endpointGroups, pods, workloads, hostObjects } = out;
  return { input: { namespaces, services, endpointGroups, pods, workloads, hostObjects }, diagnostics, syntaxError };
}

/** Text of a file or request body (YAML, possibly multi-document, or JSON) → registry input. */
export function convertRegistryText(file: string, text: string): ConvertedSource {
  return convertBatches(parseRegistryBatches(file, text));
}

/** Plain objects (already parsed, e.g. from an API call) → registry input. */
export function convertRegistryObjects(file: string, objects: readonly unknown[]): ConvertedSource {
  return convertDocuments(objects.map((value) => plainDocument(file, value)));
}
