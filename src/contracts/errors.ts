/**
 * The one error type of blobferry. Every failure a user can see carries a stable `code`
 * (documented, safe to match on in scripts), a message they can act on, and never a secret.
 */
export const ErrorCodes = {
  // Input and usage
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_INSTANCE_ID: 400,
  UNKNOWN_FUNCTION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INSTANCE_NOT_FOUND: 404,
  INSTANCE_EXISTS: 409,
  INSTANCE_COMPLETED: 410,
  NOT_SUPPORTED: 501,
  // Local host
  STATE_DIR_IN_USE: 409,
  STATE_CORRUPT: 500,
  CONFIG_INVALID: 400,
  AZURITE_START_FAILED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class BlobferryError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for the caller (field errors, ids); never secrets. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'BlobferryError';
    this.code = code;
    this.details = details;
  }

  /** The HTTP status that answers this error when it reaches an HTTP caller. */
  get httpStatus(): number {
    return ErrorCodes[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isBlobferryError(err: unknown): err is BlobferryError {
  return err instanceof BlobferryError;
}

/** Any thrown value as a message, for logs and status; callers redact secrets before this. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
