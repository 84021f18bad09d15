/**
 * The only write a copy makes to the destination blob: commit the staged blocks, all at once,
 * under the overwrite policy's conditions. Before it, the source is checked once more: bytes
 * staged from a source that changed since planning are never committed. After it, the
 * destination's size is checked.
 */
import { BlobferryError } from '../../contracts/errors';
import { blockId, versionTag } from '../../plan/blocks';
import { destinationOf, sourceStillPinned } from '../sources';
import type { ActivityResult, CommitArgs } from '../types';
import { commitContent } from './content';
import { settle } from './settle';

export function commitBlob(args: CommitArgs): Promise<ActivityResult<{ etag: string; bytes: number }>> {
  return settle(async () => {
    const { job, blob, name, plan, conditions, computedMD5 } = args;
    if (!(await sourceStillPinned(job, blob))) {
      throw new BlobferryError('SOURCE_CHANGED', `The source ${blob.name} changed while it was being copied; nothing was committed. Copy it again.`);
    }
    const sourceMD5 = blob.properties.contentMD5;
    if (computedMD5 && sourceMD5 && computedMD5 !== sourceMD5) {
      throw new BlobferryError('MD5_MISMATCH', `The bytes read from ${blob.name} have MD5 ${computedMD5}, but the source declares ${sourceMD5}; nothing was committed.`);
    }
    const tag = versionTag(blob);
    const ids = Array.from({ length: plan.blockCount }, (_, index) => blockId(tag, index));
    const destination = destinationOf(job);
    const { etag } = await destination.commit(name, ids, commitContent(job.options, blob, computedMD5), conditions);
    const written = await destination.properties(name);
    if (written.contentLength !== blob.size) {
      throw new BlobferryError('SIZE_MISMATCH', `${name} was committed with ${written.contentLength} bytes; the source has ${blob.size}.`);
    }
    return { etag, bytes: blob.size };
  });
}
