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
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}
