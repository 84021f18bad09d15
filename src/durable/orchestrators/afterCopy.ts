/** What follows a blob's copy: `verify: "md5"` reads it back, and `deleteSource` (a move) deletes its source. */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { SourceBlob } from '../../contracts/blobFacts';
import { deleteSource } from '../activities/deleteSource';
import { verifyCopy } from '../activities/verifyCopy';
import { call } from '../calls';
import { keptAfterMismatch, type Ended } from '../outcome';
import type { Job } from '../types';

/** With verify "md5", a copy counts as copied only once it has been read back and matched its source. */
export function* verified(context: OrchestrationContext, job: Job, blob: SourceBlob, ended: Ended): Generator<Task, Ended, unknown> {
  if (ended.outcome !== 'copied' || job.options.verify !== 'md5') return ended;
  const checked = yield* call(context, verifyCopy, { job, blob, name: ended.name, computedMD5: ended.computedMD5 });
  return checked.ok ? { ...ended, verified: 'md5' } : { ...ended, outcome: 'failed', code: checked.code, message: checked.message };
}

/** With deleteSource, the source of a copied (and verified) blob is deleted; never after a skip, a failure, or a stop. */
export function* sourceDeleted(context: OrchestrationContext, job: Job, blob: SourceBlob, ended: Ended): Generator<Task, Ended, unknown> {
  if (ended.outcome !== 'copied' || !job.options.deleteSource) return ended;
  if (ended.stopped) return keptAfterStop({ ...ended, stopped: ended.stopped });
  if (ended.verified === 'md5-mismatch') return keptAfterMismatch(ended);
  const deleted = yield* call(context, deleteSource, { job, blob });
  return { ...ended, sourceDeleted: deleted.ok ? true : { code: deleted.code, message: deleted.message } };
}

/** A copy that finished just as it was stopped (cancelled, timed out) keeps its source: the report says so. */
export function keptAfterStop(ended: Ended & { stopped: { code: string } }): Ended {
  return { ...ended, sourceDeleted: { code: ended.stopped.code, message: `${ended.name} was copied just as the copy was stopped (${ended.stopped.code}); its source was kept.` } };
}
