/**
 * The seam every source and destination goes through. An endpoint answers facts and does I/O
 * for one kind of place (azureBlob/, http/, s3/); registry.ts opens them. After AzCopy's source
 * info providers and rclone's optional features: what every source does, plus optional
 * capabilities (lease, delete) that are present or not.
 */
import type { BlobProperties, CommitConditions, DestinationState, SourceBlob } from '../contracts/blobFacts';
import type { DestinationFacts, SourceFacts } from '../contracts/endpointFacts';

/** How an endpoint's requests are tried: tries per request, and how long one try may take. */
export interface Transport {
  maxTries: number;
  tryTimeoutMs: number;
}

/** The per-request timeout when a copy names none: long enough for a 100 MiB block on a slow link. */
const DEFAULT_TRY_TIMEOUT_MS = 5 * 60_000;

export const DEFAULT_TRANSPORT: Transport = { maxTries: 5, tryTimeoutMs: DEFAULT_TRY_TIMEOUT_MS };

/**
 * How the destination service reads a source by itself: a URL it can open (signed: a SAS, a user
 * delegation SAS, a presigned S3 URL) and the source condition it can check.
 */
export interface SourceAccess {
  url: string;
  /** Sent as x-ms-source-if-match: the service refuses to read a source that has changed. */
  ifMatch?: string;
}

/** What the copy will do to the source, beyond reading it: checked before anything is written. */
export interface SourceNeeds {
  list: boolean;
  lease: boolean;
  delete: boolean;
}

export interface ListOptions {
  /** Which objects to keep, by name (relative to the listed prefix), size and last-modified time (ISO): applied before any further request about an object. */
  keep: (relativeName: string, size: number, lastModified?: string) => boolean;
  /** Read each object's tags too. */
  tags: boolean;
  /** Only what the listing itself says (names, sizes, versions): no further request per object. */
  namesOnly?: boolean;
  /**
   * Which kept objects (by size) need their full facts now; the others are left `partial`, for
   * readObject to describe when it reads them (default: all).
   */
  describe?: (size: number) => boolean;
}

export interface ListedPage {
  items: SourceBlob[];
  next?: string;
  /** Names the service listed, kept or not. */
  scanned: number;
}

export interface SourceEndpoint {
  /** Reads made on the account's read-only secondary (an RA-GRS Azure source whose primary failed, or --source-secondary prefer). */
  secondaryReads?(): number;
  readonly facts: SourceFacts;
  /** Refuses credentials that cannot do what the copy needs (an expired SAS, a missing permission) without calling the service. */
  checkAccess(needs: SourceNeeds): void;
  /** That the object (or, for a prefix, its listing) can be read, and whether its tags can be: without, tags are not copied. */
  probe(path: string, prefix: boolean): Promise<{ tagsReadable: boolean }>;
  /** One object's facts (SOURCE_NOT_FOUND if there is none), with its tags when asked. */
  stat(name: string, options: { tags: boolean }): Promise<SourceBlob>;
  listPage(prefix: string, continuation: string | undefined, pageSize: number, options: ListOptions): Promise<ListedPage>;
  /** A byte range of the version `blob` describes (SOURCE_CHANGED once it has moved on), into `into` when given. */
  readRange(blob: SourceBlob, offset: number, count: number, into?: Buffer): Promise<Buffer>;
  /** The whole object as one stream, for sources that do not take ranges (blob.acceptsRanges === false). */
  stream(blob: SourceBlob): AsyncIterable<Buffer>;
  /**
   * A small object whole, with its full facts as read (one request where the endpoint can: a
   * `partial` listing entry is described by the read itself); SOURCE_CHANGED once it has moved on.
   */
  readObject(blob: SourceBlob, options: { tags: boolean }): Promise<{ body: Buffer; blob: SourceBlob }>;
  /** How the destination service reads `blob` itself (facts.servesUrl): a fresh, short-lived grant at each call. */
  serviceAccess(blob: SourceBlob): Promise<SourceAccess>;
  /** Is the source still the version `blob` describes? */
  stillPinned(blob: SourceBlob): Promise<boolean>;
  /** Optional: an infinite lease with a given id; taking it again with the same id is a no-op. */
  readonly lease?: {
    acquire(name: string, leaseId: string): Promise<void>;
    release(name: string, leaseId: string): Promise<void>;
  };
  /** Optional: the object's MD5 (base64) when its listing does not say it (a local file is read and hashed), for sync --compare md5. */
  md5?(blob: SourceBlob): Promise<string | undefined>;
  /** Optional: deletes the object, only while it is still the version `blob` describes. */
  readonly delete?: (blob: SourceBlob) => Promise<void>;
}

/** What a write sets besides the bytes. */
export interface CommitContent {
  properties: BlobProperties;
  /** The source's last-modified time: a file written on disk takes it (or its `mtime` metadata). */
  lastModified?: string;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  accessTier?: string;
}

/** A server copy as the destination reports it (x-ms-copy-*). */
export interface CopyState {
  exists: boolean;
  etag?: string;
  copyId?: string;
  /** The URL the last copy into the blob read from. */
  copySource?: string;
  status?: 'pending' | 'success' | 'failed' | 'aborted';
  bytesCopied?: number;
  totalBytes?: number;
  description?: string;
}

/** Options of a copy the service does (Copy Blob, Copy Blob From URL); the source is pinned by its access's ifMatch. */
export interface ServiceCopyOptions {
  conditions: CommitConditions;
  /** Given, it replaces the source's metadata on the copy (give the source's, plus the copy marker). */
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  accessTier?: string;
}

/** A written blob as the service reports it. */
export interface WrittenBlob {
  etag?: string;
  contentLength?: number;
  /** base64 */
  contentMD5?: string;
}

/**
 * Where a destination's listing read in step with the source's stands: the page to read next
 * (none: from the start), or `done` once it has nothing more to tell (read to its end, or it
 * cannot be read).
 */
export interface DestinationCursor {
  token?: string;
  done?: true;
}

/** A destination (an Azure Blob container, or a local directory: file/): every write a copy makes, and what it needs to read back. */
export interface BlobDestination {
  /** Creates the container when it does not exist (--create-container). */
  createContainer(): Promise<void>;
  /** Answers that asked to slow down (503 ServerBusy, 429) since this endpoint was opened, every try counted. */
  throttles(): number;
  readonly facts: DestinationFacts;
  /** Refuses credentials that cannot write (or read, when `read` says why it must) without calling the service. */
  checkAccess(needs: { read?: string }): void;
  destinationState(name: string): Promise<DestinationState>;
  /**
   * Optional, where one request answers for many names (a listing of `prefix`, read in step with
   * the source's from `cursor`): the states of those of `names` that exist and it reached.
   */
  existingStates?(prefix: string, names: string[], cursor?: DestinationCursor, pageSize?: number): Promise<{ states: Map<string, DestinationState>; cursor: DestinationCursor }>;
  properties(name: string): Promise<WrittenBlob>;
  /**
   * Blocks staged but not committed yet, by id, with their sizes: a re-run skips a block only
   * when its id and size both match (another block size makes the same ids cover other ranges).
   */
  stagedBlocks(name: string): Promise<Map<string, number>>;
  stageFromUrl(name: string, blockId: string, source: SourceAccess, offset: number, count: number): Promise<void>;
  /** A block's bytes, with their MD5 for the service to check; `offset` is where they sit in the blob (a file is written in place). */
  stageBody(name: string, blockId: string, body: Buffer, md5: Buffer | undefined, offset: number): Promise<void>;
  /** Optional: a written file's MD5 (base64) when its state does not say it (a local file is read and hashed). */
  md5?(name: string): Promise<string | undefined>;
  /** Lets go of what was staged for a blob that will not be committed (a download's temporary file). */
  discardStaged(name: string): Promise<void>;
  /** Writes the blob from its staged blocks, all at once, under the overwrite policy's conditions. */
  commit(name: string, blockIds: string[], content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }>;
  /** A small blob in one request (Put Blob), under the same conditions; the service checks the body's MD5. */
  putWhole(name: string, body: Buffer, md5: Buffer, content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }>;
  readRange(name: string, offset: number, count: number, etag: string | undefined): Promise<Buffer>;
  startCopy(name: string, source: SourceAccess, options: ServiceCopyOptions): Promise<{ copyId: string; status: CopyState['status'] }>;
  syncCopy(name: string, source: SourceAccess, options: ServiceCopyOptions & { metadata?: Record<string, string> }): Promise<{ etag: string }>;
  copyState(name: string): Promise<CopyState>;
  abortCopy(name: string, copyId: string): Promise<boolean>;
  snapshot(name: string, etag: string): Promise<string>;
  promoteSnapshot(name: string, snapshot: string, etag: string | undefined): Promise<void>;
  newestSnapshot(name: string): Promise<string | undefined>;
  snapshotExists(name: string, snapshot: string): Promise<boolean>;
  deleteSnapshot(name: string, snapshot: string): Promise<void>;
  deleteBlob(name: string, etag?: string): Promise<void>;
  tags(name: string): Promise<Record<string, string>>;
  setTags(name: string, tags: Record<string, string>): Promise<void>;
}

/** readObject for sources whose listing or stat already gave every fact: one read of the whole range. */
export async function readWhole(source: SourceEndpoint, blob: SourceBlob): Promise<{ body: Buffer; blob: SourceBlob }> {
  return { body: await source.readRange(blob, 0, blob.size), blob };
}
