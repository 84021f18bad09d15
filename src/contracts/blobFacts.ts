/** What a copy knows about one source blob (or HTTP object), gathered when planning. */
export interface BlobProperties {
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  /** base64 */
  contentMD5?: string;
}

/** Content headers as a source gives them, without the absent or empty ones. */
export function blobProperties(given: { [K in keyof BlobProperties]?: string | undefined }): BlobProperties {
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined && value !== '')) as BlobProperties;
}

export interface SourceBlob {
  name: string;
  size: number;
  /** The version the copy is pinned to (sent as a source condition on every read). */
  etag?: string;
  lastModified?: string;
  /** Object: anything that is not an Azure blob (an S3 object, an HTTP resource). */
  blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob' | 'Object';
  properties: BlobProperties;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  accessTier?: string;
  /** HTTP sources: the server honours Range requests. */
  acceptsRanges?: boolean;
  /** A whole-object checksum the source declares besides (or instead of) an MD5 (S3's x-amz-checksum-*). */
  checksum?: SourceChecksum;
  /** Only what a listing said (name, size, version): content headers, metadata, tags and checksums come when it is read (readObject). */
  partial?: true;
}

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface SourceChecksum {
  algorithm: ChecksumAlgorithm;
  /** base64 of the big-endian digest, as S3 gives it. */
  value: string;
}

/** What a destination blob is when a copy looks at it. copyPending: a server copy into it is still running (Azure allows one at a time). */
export type DestinationState =
  | { exists: false }
  | {
      exists: true;
      etag: string;
      lastModified: string;
      copyPending?: boolean;
      /** The blob's size, and the copy marker blobferry left on it (plan/overwrite.ts), if any. */
      size?: number;
      marker?: string;
      /** Its modification time as a file had it (its `mtime` metadata; a local file's own), RFC 3339. */
      mtime?: string;
      /** Its Content-MD5 (base64), when it has one. */
      md5?: string;
    };

/** The metadata entry naming the copy run and the source version a blob was written from (plan/overwrite.ts ownWrite). */
export const COPY_MARKER = 'blobferrycopy';

/** Conditions on a write, which is how the overwrite policy is enforced at commit time. */
export interface CommitConditions {
  ifNoneMatch?: '*';
  ifMatch?: string;
}

/** How one blob's copy ended. */
export interface BlobOutcome {
  /** Copied under another name than planned (--overwrite rename found the name taken). */
  renamed?: true;
  source: string;
  destination: string;
  outcome: 'copied' | 'skipped' | 'failed';
  bytes: number;
  /** How it was copied. */
  strategy?: string;
  /** How the copy was checked against its source: 'md5', a checksum algorithm, or 'size' only. */
  verified?: string;
  /** --delete-source: the source was deleted after its copy was verified, or why it could not be. */
  sourceDeleted?: true | { code: string; message: string };
  code?: string;
  message?: string;
}
