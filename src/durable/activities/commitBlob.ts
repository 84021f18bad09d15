/**
 * The only write a copy makes to the destination blob: commit the staged blocks, all at once,
 * under the overwrite policy's conditions. Before it, the source is checked once more (bytes
 * staged from a source that changed since planning are never committed) and the digests a
 * relay computed are compared with what the source declares. After it, the destination's size
 * is checked.
 */
import { BlobferryError } from '../../contracts/errors';
import { conditionsFit } from '../../plan/overwrite';
import { blockId, versionTag } from '../../plan/blocks';
import { checkDigests, type Verification } from '../../plan/verification';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, CommitArgs } from '../types';
import { commitContent } from './content';
import { isOwnWrite } from './prepareBlob';
import { settle } from './settle';

export const commitBlob = activity('commitBlob', (args: CommitArgs): Promise<ActivityResult<{ etag: string; bytes: number; verified: Verification }>> =>
  settle(async () => {
    const { job, blob, name, plan, conditions, computed } = args;
    if (!conditionsFit(job.options.overwrite, args.conditions)) {
      throw new BlobferryError('SEAL_MISMATCH', `The write conditions for ${name} are weaker than --overwrite ${job.options.overwrite} allows: this input was not made by the copy; nothing was written.`);
    }
    if (!(await (await openSource(job)).stillPinned(blob))) {
      throw new BlobferryError('SOURCE_CHANGED', `The source ${blob.name} changed while it was being copied; nothing was committed. Copy it again.`);
    }
    const verified = checkDigests(blob, computed, job.options.checkMd5);
    const tag = versionTag(blob);
    const ids = Array.from({ length: plan.blockCount }, (_, index) => blockId(tag, index));
    const destination = await openDestination(job);
    let etag: string;
    try {
      ({ etag } = await destination.commit(name, ids, commitContent(job, blob, computed?.md5), conditions));
    } catch (err) {
      // Refused because this very commit already happened (its result was lost in a crash): adopted.
      if (!(await isOwnWrite(destination, job, blob, name, err))) throw err;
      etag = (await destination.properties(name)).etag ?? '';
    }
    const written = await destination.properties(name);
    if (written.contentLength !== blob.size) {
      throw new BlobferryError('SIZE_MISMATCH', `${name} was committed with ${written.contentLength} bytes; the source has ${blob.size}.`);
    }
    return { etag, bytes: blob.size, verified };
  }),
);
