/** Field validation shared by both registry formats: each check returns a problem text or undefined. */
import { canonicalIp } from '../dns/ip.js';
import type { Diagnostic } from '../registry/diagnostics.js';
import type { Origin, PortProtocol } from '../registry/model.js';
import { formatPath, type FieldPath, type SourceDocument } from './source-document.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** IANA service name (RFC 6335 §5.1), which Kubernetes uses for port names. */
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Collects diagnostics against one document, at the line of the offending field. */
export class Problems {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly doc: SourceDocument, private readonly base: FieldPath = []) {}

  /** A view for a nested object (a List item): lines stay absolute, fields relative to the item. */
  at(prefix: FieldPath): Problems {
    const child = new Problems(this.doc, [...this.base, ...prefix]);
    (child as { diagnostics: Diagnostic[] }).diagnostics = this.diagnostics;
    return child;
  }

  error(path: FieldPath, message: string): void {
    this.push('error', path, message);
  }

  /** `likelyTypo` marks warnings that `check --strict` treats as failures ("did you mean Service?"). */
  warning(path: FieldPath, message: string, flags: { likelyTypo?: boolean } = {}): void {
    this.push('warning', path, message, flags.likelyTypo);
  }

  private push(severity: Diagnostic['severity'], path: FieldPath, message: string, likelyTypo?: boolean): void {
    const d: Diagnostic = { severity, file: this.doc.file, line: this.doc.lineOf([...this.base, ...path]), field: formatPath(path), message };
    this.diagnostics.push(likelyTypo ? { ...d, likelyTypo } : d);
  }

  /**
   * Where an object came from, resolved now: an origin that looked its line up later would keep the
   * whole parsed document (or a JSON text) alive for as long as the registry serves the object.
   */
  origin(path: FieldPath = []): Origin {
    return { file: this.doc.file, line: this.doc.lineOf([...this.base, ...path]) };
  }

  line(path: FieldPath = []): number {
    return this.doc.lineOf([...this.base, ...path]);
  }

  get file(): string {
    return this.doc.file;
  }
}

/**
 * A value as a person wrote it, for messages: `"10.96.0.300"`, `99999`, `true`. Never JavaScript's
 * own words (`undefined`, `null`, `[object Object]`, `NaN`): a missing or empty YAML value, a list
 * or a mapping is named as such.
 */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'a missing value';
  if (value === null) return 'an empty value';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a non-finite number';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkLabel(value: unknown, what: string): string | undefined {
  if (typeof value !== 'string' || value === '') return `${what} must be a non-empty string`;
  if (value.length > 63 || !DNS_LABEL.test(value)) return `${quote(value)} is not a valid ${what} (RFC 1123 label: a-z, 0-9 and "-", at most 63 characters)`;
  return undefined;
}

export function checkPortName(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'port name must be a string';
  const lower = value.toLowerCase();
  if (value.length > 15 || !PORT_NAME.test(lower) || lower.includes('--')) return `${quote(value)} is not a valid port name (RFC 6335: a-z, 0-9 and "-", at most 15 characters)`;
  return undefined;
}

export function parseIp(value: unknown): string | undefined {
  return typeof value === 'string' ? canonicalIp(value.trim()) : undefined;
}

export function parsePortNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

export function parseProtocol(value: unknown): PortProtocol | undefined {
  if (value === undefined || value === null) return 'tcp';
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'tcp' || lower === 'udp' || lower === 'sctp' ? lower : undefined;
}

/** A DNS name for an ExternalName: lowercase, without the trailing dot. */
export function parseDomainName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim().toLowerCase().replace(/\.$/, '');
  if (name === '' || name.length > 253) return undefined;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63 && /^[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?$/.test(l)) ? name : undefined;
}
