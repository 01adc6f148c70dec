/** Diagnostics: what a source or the registry builder found wrong, with file, line and field. */

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  /** 1-based column, for syntax errors (`file:line:col: message`). */
  readonly column?: number;
  /** Dotted path of the offending field, e.g. `spec.clusterIP`; empty when the whole document is at fault. */
  readonly field: string;
  readonly message: string;
  /** A warning that is probably a mistake (an unknown kind one typo from a known one); `check --strict` fails on it. */
  readonly likelyTypo?: boolean;
}

/** `zones/shop.yaml:14: spec.clusterIP: "10.96.0.300" is not an IP address`, `zones/x.json:3:17: invalid JSON: …` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.column === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.column}`;
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return d.field ? `${where}: ${prefix}${d.field}: ${d.message}` : `${where}: ${prefix}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
