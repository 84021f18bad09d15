/**
 * What a copy carries over besides the bytes: properties, metadata and tags (as Azure takes them,
 * under --invalid-metadata: plan/metadata.ts) and, when asked, the tier.
 */
import { COPY_MARKER, type BlobProperties, type SourceBlob } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import { azureMetadata, azureTags } from '../../plan/metadata';
import { copyMarker } from '../../plan/overwrite';
import type { CommitContent } from '../../storage/endpoint';
import type { Job } from '../types';

const SETTABLE_TIERS = new Set(['Hot', 'Cool', 'Cold']);

/** What a write of `blob` carries, its copy marker included (the source's own marker, if it has one, is replaced). */
export function commitContent(job: Pick<Job, 'options' | 'run'>, blob: SourceBlob, contentMD5?: string): CommitContent {
  const { options } = job;
  // A listing entry not yet described would write a blob without its headers, metadata and tags.
  if (blob.partial) throw new BlobferryError('INTERNAL', `${blob.name} was about to be written without its content headers and metadata (a listing entry not described); nothing was written.`);
  const properties: BlobProperties = { ...blob.properties };
  // The MD5 blobferry computed (relay, uploads) is stored unless --no-put-md5; a source's own
  // stays, unless the bytes showed it wrong (--check-md5 warn): a blob never carries an MD5 its bytes do not have.
  if (contentMD5 && options.putMd5) properties.contentMD5 = contentMD5;
  else if (contentMD5 && properties.contentMD5 !== contentMD5) delete properties.contentMD5;
  return {
    properties,
    ...(blob.lastModified ? { lastModified: blob.lastModified } : {}),
    metadata: { ...azureMetadata(blob.metadata, options.invalidMetadata), [COPY_MARKER]: copyMarker(job.run, blob) },
    tags: azureTags(blob.tags, options.invalidMetadata),
    accessTier: options.preserveAccessTier && blob.accessTier && SETTABLE_TIERS.has(blob.accessTier) ? blob.accessTier : undefined,
  };
}
