/**
 * Block-copy: stage a run of blocks with Put Block From URL, several at a time, each read by the
 * storage service through a fresh grant from the source endpoint (a SAS, a token, a presigned
 * URL valid minutes) and, where the service can check it, pinned to the source's version.
 * Blocks already staged (a re-run after a crash) are skipped: their ids name the block and the
 * source version, so they hold the right bytes.
 */
import { BlobferryError } from '../../contracts/errors';
import { blockId, blockRange, versionTag } from '../../plan/blocks';
import { mapPool } from '../../storage/pool';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, StageArgs, StageResult } from '../types';
import { settle } from './settle';

/** Blocks in flight per activity. */
export const STAGE_PARALLEL = 8;

export const stageBlocks = activity('stageBlocks', (args: StageArgs): Promise<ActivityResult<StageResult>> =>
  settle(async () => {
    const { job, blob, name, plan, first, last } = args;
    const source = await openSource(job);
    const destination = await openDestination(job);
    const already = await destination.stagedBlocks(name);
    const tag = versionTag(blob);
    const indexes = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    let staged = 0;
    let skipped = 0;
    let bytes = 0;
    await mapPool(indexes, Math.min(STAGE_PARALLEL, job.options.concurrency), async (index) => {
      const id = blockId(tag, index);
      const { offset, count } = blockRange(plan, index);
      if (already.get(id) === count) skipped++;
      else {
        await destination.stageFromUrl(name, id, await source.serviceAccess(blob), offset, count).catch(async (err: unknown) => {
          // The service could not read the source as planned: a source that changed meanwhile says so.
          if (!(await source.stillPinned(blob).catch(() => true))) {
            throw new BlobferryError('SOURCE_CHANGED', `The source ${blob.name} changed while it was being copied; nothing was committed. Copy it again.`);
          }
          throw err;
        });
        staged++;
      }
      bytes += count;
    });
    return { staged, skipped, bytes };
  }),
);
