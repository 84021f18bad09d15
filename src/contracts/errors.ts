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
  /** A copy with this id is running a different request. */
  COPY_ID_CONFLICT: 409,
  /** The copy has ended: there is nothing to cancel. */
  NOT_RUNNING: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A request body, URL, name or list longer than the documented limits (docs/security.md). */
  PAYLOAD_TOO_LARGE: 413,
  NOT_SUPPORTED: 501,
  // Copy requests and their endpoints
  INVALID_URL: 400,
  UNSUPPORTED_URL: 400,
  SAME_SOURCE_DESTINATION: 400,
  CONFLICTING_OPTIONS: 400,
  BLOCK_SIZE_TOO_LARGE: 400,
  TOO_MANY_BLOCKS: 400,
  BLOB_TOO_LARGE: 400,
  SAS_EXPIRED: 400,
  /** No credential was found for a source or destination that needs one. */
  NO_CREDENTIALS: 400,
  /** An S3 bucket lives in another region than the one the request is signed for. */
  WRONG_REGION: 400,
  /** Nothing under the source matches (after --include / --exclude). */
  NOTHING_TO_COPY: 404,
  PERMISSION_DENIED: 403,
  AUTH_FAILED: 403,
  /** A remote caller named a source the app may not read for it: an internal address, the app's working storage, or an account only the app's own identity can read and no access policy allows. */
  SOURCE_NOT_ALLOWED: 403,
  /** The same, for a destination the app may not write for a remote caller. */
  DESTINATION_NOT_ALLOWED: 403,
  /** A remote caller named a local path (a file or directory on the app's own disk). */
  LOCAL_PATH_NOT_ALLOWED: 403,
  /** A download: a file is where a directory is needed, or a directory where a file is. */
  LOCAL_PATH_CONFLICT: 409,
  /** A download: the disk is full (or a quota or file size limit is reached); the partial temporary file was removed. */
  DISK_FULL: 507,
  /** --list-of-files: the file cannot be read, lists nothing, or changed since the copy began. */
  LIST_OF_FILES_INVALID: 400,
  /** A sealed credential or grant was opened for another role, place or copy than the one it was given for (or not sealed by this app at all). */
  SEAL_MISMATCH: 403,
  CONTAINER_NOT_FOUND: 404,
  SOURCE_NOT_FOUND: 404,
  SOURCE_ARCHIVED: 409,
  /** The source is leased by someone else (--lease-source). */
  SOURCE_LEASED: 409,
  /** --delete-source: the source blob has snapshots (not copied), so it is kept. */
  SOURCE_HAS_SNAPSHOTS: 409,
  /** A blob that must be written is leased by someone else. */
  BLOB_LEASED: 409,
  /** The destination already has a pending copy (Azure allows one per blob). */
  PENDING_COPY: 409,
  // Copy outcomes
  SOURCE_CHANGED: 412,
  /** A source name that is not a valid blob name (--invalid-names fail). */
  INVALID_NAME: 400,
  /** Metadata or tags Azure refuses (--invalid-metadata fail), or that collide once renamed. */
  INVALID_METADATA: 400,
  /** The bytes' checksum differs from the one the source declares (S3 x-amz-checksum-*). */
  CHECKSUM_MISMATCH: 500,
  DESTINATION_EXISTS: 409,
  DESTINATION_CHANGED: 412,
  MD5_MISMATCH: 500,
  /** Staged blocks vanished before the commit (a concurrent Put Blob discards them): stage again. */
  BLOCKS_LOST: 409,
  SIZE_MISMATCH: 500,
  /** A server copy ended "failed"; the message carries the service's description. */
  COPY_FAILED: 502,
  /** A server copy was aborted by someone else. */
  COPY_ABORTED: 409,
  /** The copy passed its deadline (--timeout) and was stopped; the destination was restored. */
  TIMED_OUT: 408,
  /** The copy was cancelled; the destination was restored. */
  CANCELLED: 409,
  /** The source could not be read for a reason that may pass (network, timeout, 5xx): retryable. */
  SOURCE_UNREACHABLE: 502,
  /** The storage service failed in a way that may pass (network, timeout, 500, 502, 503, 504): retryable. */
  STORAGE_ERROR: 502,
  /** The service asks to slow down (503 ServerBusy, "over the account limit", 429, S3 SlowDown): retried after a longer wait. */
  THROTTLED: 503,
  /** The service refused the request for good (another 4xx, 501, 505): trying again would not help. */
  STORAGE_REFUSED: 400,
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

/** Codes that mean the request itself is wrong (the CLI exits 2 for these). */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'BAD_REQUEST',
  'INVALID_JSON',
  'CONFIG_INVALID',
  'INVALID_URL',
  'UNSUPPORTED_URL',
  'SAME_SOURCE_DESTINATION',
  'CONFLICTING_OPTIONS',
  'BLOCK_SIZE_TOO_LARGE',
  'TOO_MANY_BLOCKS',
  'BLOB_TOO_LARGE',
  'SAS_EXPIRED',
  'NO_CREDENTIALS',
  'WRONG_REGION',
  'NOTHING_TO_COPY',
  'INVALID_NAME',
  'PERMISSION_DENIED',
  'AUTH_FAILED',
  'CONTAINER_NOT_FOUND',
  'SOURCE_NOT_FOUND',
  'SOURCE_ARCHIVED',
  'SOURCE_NOT_ALLOWED',
  'DESTINATION_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'LOCAL_PATH_NOT_ALLOWED',
  'LIST_OF_FILES_INVALID',
  'LOCAL_PATH_CONFLICT',
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in ErrorCodes;
}

export function isBlobferryError(err: unknown): err is BlobferryError {
  return err instanceof BlobferryError;
}

/** Any thrown value as a message, for logs and status; callers redact secrets before this. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

/**
 * How a failure may be retried, decided once from its code (endpoints choose the code from the
 * service's answer): retryable (the network, timeouts, 5xx), throttled (the service asks to slow
 * down: wait longer), or final (anything else: the request itself is wrong, or the state is).
 */
export type FailureClass = 'retryable' | 'throttled' | 'final';

export function failureClass(code: string): FailureClass {
  if (code === 'THROTTLED') return 'throttled';
  if (code === 'STORAGE_ERROR' || code === 'SOURCE_UNREACHABLE') return 'retryable';
  return 'final';
}
