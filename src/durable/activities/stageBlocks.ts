/**
 * Block-copy: stage a run of blocks with Put Block From URL, each pinned to the source version
 * (x-ms-source-if-match), several at a time. Blocks already staged (a re-run after a crash) are
 * skipped: their ids name the block and the source version, so they hold the right bytes.
 */
import { blockId, blockRange, versionTag } from '../../plan/blocks';
import { destinationOf, serviceSourceAccess } from '../sources';
import type { ActivityResult, StageArgs, StageResult } from '../types';
import { mapPool, settle } from './settle';

/** Blocks in flight per activity. */
export const STAGE_PARALLEL = 8;

export function stageBlocks(args: StageArgs): Promise<ActivityResult<StageResult>> {
  return settle(async () => {
    const { job, blob, name, plan, first, last } = args;
    const destination = destinationOf(job);
    const access = await serviceSourceAccess(job, blob);
    const client = destination.stagingClient(name, blob.etag);
    const already = await destination.uncommittedBlockIds(name);
    const tag = versionTag(blob);
    const indexes = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    let staged = 0;
    let skipped = 0;
    let bytes = 0;
    await mapPool(indexes, Math.min(STAGE_PARALLEL, job.options.concurrency), async (index) => {
      const id = blockId(tag, index);
      const { offset, count } = blockRange(plan, index);
      if (already.has(id)) skipped++;
      else {
        await destination.stageFromUrl(client, name, id, access, offset, count);
        staged++;
      }
      bytes += count;
    });
    return { staged, skipped, bytes };
  });
}
