/**
 * The one copy request schema every entry point uses (CLI, HTTP, queue, Event Grid): a source,
 * a destination and options. Validation reports every bad field at once.
 */
import { z } from 'zod';
import { parseDuration } from './duration';
import { BlobferryError } from './errors';
import { globComplexity, LIMITS } from './limits';

/** if-different: what sync does (copy what is missing or differs, by --compare). */
export const OVERWRITE_POLICIES = ['never', 'always', 'if-source-newer', 'rename', 'if-different'] as const;
export type OverwritePolicy = (typeof OVERWRITE_POLICIES)[number];
/** What makes a source and its destination different for --overwrite if-different: size and modification time, or MD5s. */
export const COMPARE_MODES = ['size-mtime', 'md5'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

export const STRATEGIES = ['auto', 'server-copy', 'sync-copy', 'block-copy', 'relay'] as const;
export type StrategyChoice = (typeof STRATEGIES)[number];

/** detect: the destination keeps the source's blob type where the strategy allows; block: always a block blob. */
export const BLOB_TYPES = ['detect', 'block'] as const;
/** What to do when the destination already has a pending copy (Azure allows one at a time). */
export const ON_PENDING_COPY = ['fail', 'wait'] as const;
export type BlobType = (typeof BLOB_TYPES)[number];
/** After a copy: compare sizes (free), or read the copy back and compare MD5s (costs a read). */
export const VERIFY_MODES = ['size', 'md5'] as const;
/** Bytes relayed through blobferry against the MD5 the source declares: fail the copy (default), keep it and count a mismatch, or do not compare. */
export const CHECK_MD5_MODES = ['fail', 'warn', 'off'] as const;
export type CheckMd5 = (typeof CHECK_MD5_MODES)[number];
/** Metadata names and tag characters Azure refuses (from S3 and other sources): renamed by a documented rule, or the object fails. */
export const INVALID_METADATA_POLICIES = ['rename', 'fail'] as const;
export type InvalidMetadataPolicy = (typeof INVALID_METADATA_POLICIES)[number];
/** Source names that are not valid blob names (ending in "." or "/", "." or ".." segments, too long, too deep): the object fails, or is renamed. */
export const INVALID_NAME_POLICIES = ['fail', 'rename'] as const;
/** When an Azure source is read from its account's read-only secondary (RA-GRS, RA-GZRS). */
export const SOURCE_SECONDARY = ['never', 'on-failure', 'prefer'] as const;
export type SourceSecondary = (typeof SOURCE_SECONDARY)[number];
export type InvalidNamePolicy = (typeof INVALID_NAME_POLICIES)[number];

/** A deadline, as seconds or a duration text ("90s", "30m", "2h", "7d"); parsed to seconds. */
const Timeout = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds <= 0) {
    ctx.issues.push({ code: 'custom', message: 'must be a positive duration such as 90s, 30m, 2h or 7d (a number is seconds)', input: value });
    return z.NEVER;
  }
  return seconds;
});

/** Azure's limit per block (x-ms-version >= 2019-12-12). */
export const MAX_BLOCK_SIZE_MIB = 4000;
/** Below this a block's request overhead dominates; also keeps block counts sane. */
export const MIN_BLOCK_SIZE_BYTES = 1024;

/** A glob list, bounded: matching runs for every listed name, so its size and wildcards are capped. */
const Patterns = z
  .array(
    z
      .string()
      .min(1, 'a pattern cannot be empty')
      .max(LIMITS.patternLength, `a pattern is at most ${LIMITS.patternLength} characters`)
      .refine((p) => globComplexity(p) <= LIMITS.patternWildcards, `a pattern has at most ${LIMITS.patternWildcards} wildcards and groups (*, ?, [...], {...}, (...))`),
  )
  .max(LIMITS.patterns, `at most ${LIMITS.patterns} patterns`)
  .default([]);

/** A point in time, ISO 8601 ("2026-11-01T00:00:00Z", or a date, which is midnight UTC). */
const Instant = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'must be a date and time such as 2026-11-01T00:00:00Z').transform((text) => new Date(text).toISOString());

/** A URL, bounded (SAS included). */
const Url = (what: string) => z.string().min(1, `${what} URL is required`).max(LIMITS.urlLength, `a URL is at most ${LIMITS.urlLength} characters`);

export const CopyOptionsSchema = z.strictObject({
  recursive: z.boolean().default(false),
  include: Patterns,
  exclude: Patterns,
  /** Only objects last modified after / before this time (with recursive), as AzCopy's --include-after / --include-before. */
  includeAfter: Instant.optional(),
  includeBefore: Instant.optional(),
  overwrite: z.enum(OVERWRITE_POLICIES).default('never'),
  compare: z.enum(COMPARE_MODES).default('size-mtime'),
  /** Sync: remove what is under the destination prefix and no longer in the source (the filters' choice only). */
  deleteDestination: z.boolean().default(false),
  blockSizeMiB: z.number().positive('must be a positive number of MiB').optional(),
  concurrency: z.number().int('must be a whole number').min(1).max(256).default(16),
  strategy: z.enum(STRATEGIES).default('auto'),
  preserveAccessTier: z.boolean().default(false),
  /** Seconds the copy may take before it is stopped (a server copy aborted); default from BLOBFERRY_COPY_TIMEOUT. */
  timeout: Timeout.optional(),
  /** Hold a lease on the source while copying, so nobody changes it; released at the end. */
  leaseSource: z.boolean().default(false),
  blobType: z.enum(BLOB_TYPES).default('detect'),
  onPendingCopy: z.enum(ON_PENDING_COPY).default('fail'),
  verify: z.enum(VERIFY_MODES).default('size'),
  checkMd5: z.enum(CHECK_MD5_MODES).default('fail'),
  /** Bytes blobferry moves itself (relay, uploads): store the MD5 it computes as Content-MD5 when the source declares none (docs/copying.md says why it is on). */
  putMd5: z.boolean().default(true),
  /** Move: delete each source object once its copy is committed and verified (never a skipped or failed one). */
  deleteSource: z.boolean().default(false),
  invalidMetadata: z.enum(INVALID_METADATA_POLICIES).default('rename'),
  invalidNames: z.enum(INVALID_NAME_POLICIES).default('fail'),
  /** Azure sources of RA-GRS accounts: read the secondary never, when the primary keeps failing, or first. */
  sourceSecondary: z.enum(SOURCE_SECONDARY).default('on-failure'),
  /** Create the destination container when it does not exist (as AzCopy does); off, a missing one is CONTAINER_NOT_FOUND. */
  createContainer: z.boolean().default(false),
  /**
   * --list-of-files: only the names a local file lists (relative to the source prefix; a
   * directory takes everything under it). The file is named, not shipped: its SHA-256 binds the
   * copy to the list as it was given (storage/nameList.ts). The CLI's user only: a remote caller
   * never makes the app read its own disk.
   */
  listOfFiles: z.strictObject({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the file\'s SHA-256 in hex') }).optional(),
  /** Tries per storage request (the first included) for failures that may pass: the network, timeouts, 5xx, throttling. */
  maxTries: z.number().int('must be a whole number').min(1).max(50).default(5),
  /** How long one try of a request may take before it is given up and tried again (seconds, or "90s", "5m"). */
  requestTimeout: Timeout.optional(),
});

/** A copy's id: its instance id, used in URLs and as a folder name (letters, digits, . _ : -). */
export const COPY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export const CopyRequestSchema = z.strictObject({
  /** Optional caller-chosen id; default: derived from the request, so a repeated request is the same copy. */
  id: z.string().regex(COPY_ID, 'must be 1-100 letters, digits or . _ : - (it is the copy\'s instance id, used in URLs)').optional(),
  source: Url('a source'),
  destination: Url('a destination'),
  options: CopyOptionsSchema.default(CopyOptionsSchema.parse({})),
});

export type CopyOptions = z.infer<typeof CopyOptionsSchema>;
export type CopyRequest = z.infer<typeof CopyRequestSchema>;

export interface FieldError {
  field: string;
  message: string;
}

/** Parses a request of any origin; throws BAD_REQUEST listing every bad field, or a specific code. */
export function parseCopyRequest(input: unknown): CopyRequest {
  const result = CopyRequestSchema.safeParse(input);
  if (!result.success) {
    const errors: FieldError[] = result.error.issues.map((issue) => ({
      field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(request)'),
      message: issue.code === 'unrecognized_keys' ? `unknown ${issue.keys.length > 1 ? 'fields' : 'field'}: ${issue.keys.join(', ')}` : issue.message,
    }));
    throw new BlobferryError('BAD_REQUEST', `The copy request is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
  }
  const request = result.data;
  const { blockSizeMiB } = request.options;
  if (blockSizeMiB !== undefined) {
    if (blockSizeMiB > MAX_BLOCK_SIZE_MIB) {
      throw new BlobferryError('BLOCK_SIZE_TOO_LARGE', `A block can be at most ${MAX_BLOCK_SIZE_MIB} MiB; ${blockSizeMiB} MiB was asked for.`, { field: 'options.blockSizeMiB' });
    }
    if (blockSizeMiB * 1024 * 1024 < MIN_BLOCK_SIZE_BYTES) {
      throw new BlobferryError('BAD_REQUEST', `A block must be at least ${MIN_BLOCK_SIZE_BYTES} bytes (${MIN_BLOCK_SIZE_BYTES / 1048576} MiB).`, { field: 'options.blockSizeMiB' });
    }
  }
  if (!request.options.recursive && (request.options.include.length > 0 || request.options.exclude.length > 0)) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--include and --exclude select blobs under a prefix; they need --recursive.', { field: 'options.include' });
  }
  if (!request.options.recursive && request.options.deleteDestination) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--delete-destination removes what a prefix no longer holds; it needs --recursive.', { field: 'options.deleteDestination' });
  }
  if (request.options.deleteDestination && request.options.invalidNames === 'rename') {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--delete-destination removes what has no source of the same name; --invalid-names rename writes copies under other names, which it would remove. Use one or the other.', { field: 'options.deleteDestination' });
  }
  if (request.options.compare !== 'size-mtime' && request.options.overwrite !== 'if-different') {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--compare says what differs for sync (--overwrite if-different).', { field: 'options.compare' });
  }
  if (!request.options.recursive && request.options.listOfFiles) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--list-of-files selects objects under a prefix; it needs --recursive.', { field: 'options.listOfFiles' });
  }
  if (!request.options.recursive && (request.options.includeAfter || request.options.includeBefore)) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--include-after and --include-before select blobs under a prefix; they need --recursive.', { field: 'options.includeAfter' });
  }
  if (request.options.includeAfter && request.options.includeBefore && request.options.includeAfter >= request.options.includeBefore) {
    throw new BlobferryError('CONFLICTING_OPTIONS', `--include-after ${request.options.includeAfter} is not before --include-before ${request.options.includeBefore}: nothing could be copied.`, { field: 'options.includeAfter' });
  }
  if (request.options.leaseSource && request.options.recursive) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--lease-source holds a lease on one source blob; it cannot be combined with --recursive.', { field: 'options.leaseSource' });
  }
  return request;
}
