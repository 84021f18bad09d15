/** What a copy carries over besides the bytes: properties, metadata, tags and (when asked) the tier. */
import type { CopyOptions } from '../../contracts/copyRequest';
import type { BlobProperties, SourceBlob } from '../../contracts/blobFacts';
import type { CommitContent } from '../../storage/azureBlobs';

const SETTABLE_TIERS = new Set(['Hot', 'Cool', 'Cold']);

export function commitContent(options: CopyOptions, blob: SourceBlob, contentMD5?: string): CommitContent {
  const properties: BlobProperties = { ...blob.properties };
  if (contentMD5) properties.contentMD5 = contentMD5;
  return {
    properties,
    metadata: blob.metadata,
    tags: blob.tags,
    accessTier: options.preserveAccessTier && blob.accessTier && SETTABLE_TIERS.has(blob.accessTier) ? blob.accessTier : undefined,
  };
}
