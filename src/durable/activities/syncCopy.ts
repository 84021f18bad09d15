/**
 * Sync copy (Copy Blob From URL): the service reads the source and writes the destination in one
 * request, for sources up to 256 MiB. Like a commit, it is all or nothing, under the overwrite
 * policy's conditions, pinned to the source's version.
 */
import { BlobferryError } from '../../contracts/errors';
import { conditionsFit } from '../../plan/overwrite';
import type { CommitConditions, SourceBlob } from '../../contracts/blobFacts';
import type { BlobDestination, SourceEndpoint } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { commitContent } from './content';
import { sourceOrDestination } from './serverCopy';
import { isOwnWrite } from './prepareBlob';
import { settle } from './settle';

export const syncCopyBlob = activity('syncCopyBlob', (args: { job: Job; blob: SourceBlob; name: string; conditions: CommitConditions }): Promise<ActivityResult<{ bytes: number }>> =>
  settle(async () => {
    const { job, blob, name } = args;
    if (!conditionsFit(job.options.overwrite, args.conditions)) {
      throw new BlobferryError('SEAL_MISMATCH', `The write conditions for ${name} are weaker than --overwrite ${job.options.overwrite} allows: this input was not made by the copy; nothing was written.`);
    }
    const destination = await openDestination(job);
    await syncCopyOne(job, blob, name, args.conditions, await openSource(job), destination).catch(async (err: unknown) => {
      // Refused because this very copy already happened (its result was lost in a crash): adopted.
      if (!(await isOwnWrite(destination, job, blob, name, err))) throw err;
    });
    const written = await destination.properties(name);
    if (written.contentLength !== blob.size) {
      throw new BlobferryError('SIZE_MISMATCH', `${name} was copied with ${written.contentLength} bytes; the source has ${blob.size}.`);
    }
    return { bytes: blob.size };
  }),
);

/** `source`: opened by the caller, once for all the blobs it copies (opening unseals the grant and builds clients). */
export async function syncCopyOne(job: Job, blob: SourceBlob, name: string, conditions: CommitConditions, source: SourceEndpoint, destination: BlobDestination): Promise<void> {
  const content = commitContent(job, blob);
  try {
    await destination.syncCopy(name, await source.serviceAccess(blob), { conditions, metadata: content.metadata, tags: content.tags, accessTier: content.accessTier });
  } catch (err) {
    throw await sourceOrDestination(err, job, blob);
  }
}
