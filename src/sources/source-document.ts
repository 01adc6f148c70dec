/** A parsed registry document: its plain value, where it came from, and how to find a field's line. */

/** A path into a document: `['spec', 'ports', 0, 'port']`. */
export type FieldPath = readonly (string | number)[];

export interface SourceDocument {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: FieldPath): number;
}

/** `spec.ports[0].port` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** A document with no position information (objects handed in by the API): every line is `line`. */
export function plainDocument(file: string, value: unknown, line = 1): SourceDocument {
  return { file, value, lineOf: () => line };
}
