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

export interface SourceBlob {
  name: string;
  size: number;
  /** The version the copy is pinned to (sent as a source condition on every read). */
  etag?: string;
  lastModified?: string;
  blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob' | 'Http';
  properties: BlobProperties;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  accessTier?: string;
  /** HTTP sources: the server honours Range requests. */
  acceptsRanges?: boolean;
}

/** How one blob's copy ended. */
export interface BlobOutcome {
  source: string;
  destination: string;
  outcome: 'copied' | 'skipped' | 'failed';
  bytes: number;
  /** How it was copied. */
  strategy?: string;
  code?: string;
  message?: string;
}
