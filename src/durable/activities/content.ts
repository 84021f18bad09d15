/**
 * What a copy carries over besides the bytes: properties, metadata and tags (as Azure takes them,
 * under --invalid-metadata: plan/metadata.ts) and, when asked, the tier.
 */
import type { CopyOptions } from '../../contracts/copyRequest';
import type { BlobProperties, SourceBlob } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import { azureMetadata, azureTags } from '../../plan/metadata';
import type { CommitContent } from '../../storage/endpoint';

const SETTABLE_TIERS = new Set(['Hot', 'Cool', 'Cold']);

export function commitContent(options: CopyOptions, blob: SourceBlob, contentMD5?: string): CommitContent {
  // A listing entry not yet described would write a blob without its headers, metadata and tags.
  if (blob.partial) throw new BlobferryError('INTERNAL', `${blob.name} was about to be written without its content headers and metadata (a listing entry not described); nothing was written.`);
  const properties: BlobProperties = { ...blob.properties };
  if (contentMD5) properties.contentMD5 = contentMD5;
  return {
    properties,
    metadata: azureMetadata(blob.metadata, options.invalidMetadata),
    tags: azureTags(blob.tags, options.invalidMetadata),
    accessTier: options.preserveAccessTier && blob.accessTier && SETTABLE_TIERS.has(blob.accessTier) ? blob.accessTier : undefined,
  };
}
