/** Error classes with stable codes, so callers and tests branch on `code`, not on message text. */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'REGISTRY_INVALID'
  | 'SERVER_STATE'
  | 'BIND_FAILED';

export class ClusterDnsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterDnsError';
    this.code = code;
  }
}

/** A bad flag, environment variable or option: start-up stops with this one line. */
export class ConfigError extends ClusterDnsError {
  /** The option at fault (`port`, `clusterDomain`), when there is one; the CLI shows it as its flag. */
  readonly option: string | undefined;
  constructor(message: string, options?: { cause?: unknown; option?: string }) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
    this.option = options?.option;
  }
}

/** A registry change (API call or strict start-up) that does not parse or validate. Nothing changed. */
export class RegistryError extends ClusterDnsError {
  /** Each problem as `file:line: field: message`. */
  readonly diagnostics: readonly string[];
  constructor(message: string, diagnostics: readonly string[]) {
    super('REGISTRY_INVALID', diagnostics.length ? `${message}: ${diagnostics.join('; ')}` : message);
    this.name = 'RegistryError';
    this.diagnostics = diagnostics;
  }
}
