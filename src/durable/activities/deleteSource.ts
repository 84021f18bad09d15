/**
 * --delete-source (a move): the source object is deleted once its copy is committed and
 * verified, and only while it is still the version that was copied (If-Match). Never for a
 * skipped or failed copy: the orchestrators and batches call this only after "copied".
 */
import type { SourceBlob } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import type { SourceEndpoint } from '../../storage/endpoint';
import { openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export const deleteSource = activity('deleteSource', (args: { job: Job; blob: SourceBlob }): Promise<ActivityResult<object>> =>
  settle(async () => {
    await deleteCopiedSource(await openSource(args.job), args.blob);
    return {};
  }),
);

export async function deleteCopiedSource(source: SourceEndpoint, blob: SourceBlob): Promise<void> {
  if (!source.delete) throw new BlobferryError('CONFLICTING_OPTIONS', `--delete-source: ${source.facts.noun} cannot be deleted.`);
  // Only the version that was copied is deleted, named by its ETag: without one there is nothing to hold the delete to.
  if (!blob.etag) throw new BlobferryError('SOURCE_CHANGED', `${blob.name} has no version (ETag) to delete by; it was kept.`);
  try {
    await source.delete(blob);
  } catch (err) {
    if (err instanceof BlobferryError && err.code === 'SOURCE_CHANGED') {
      throw new BlobferryError('SOURCE_CHANGED', `${blob.name} was copied, but changed at the source before it could be deleted; it was kept.`);
    }
    throw err;
  }
}
