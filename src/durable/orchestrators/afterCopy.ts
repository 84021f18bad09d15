/** What follows a blob's copy: `verify: "md5"` reads it back, and `deleteSource` (a move) deletes its source. */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { SourceBlob } from '../../contracts/blobFacts';
import { deleteSource } from '../activities/deleteSource';
import { verifyCopy } from '../activities/verifyCopy';
import { call } from '../calls';
import type { Ended } from '../outcome';
import type { Job } from '../types';

/** With verify "md5", a copy counts as copied only once it has been read back and matched its source. */
export function* verified(context: OrchestrationContext, job: Job, blob: SourceBlob, ended: Ended): Generator<Task, Ended, unknown> {
  if (ended.outcome !== 'copied' || job.options.verify !== 'md5') return ended;
  const checked = yield* call(context, verifyCopy, { job, blob, name: ended.name });
  return checked.ok ? { ...ended, verified: 'md5' } : { ...ended, outcome: 'failed', code: checked.code, message: checked.message };
}

/** With deleteSource, the source of a copied (and verified) blob is deleted; never after a skip or a failure. */
export function* sourceDeleted(context: OrchestrationContext, job: Job, blob: SourceBlob, ended: Ended): Generator<Task, Ended, unknown> {
  if (ended.outcome !== 'copied' || !job.options.deleteSource) return ended;
  const deleted = yield* call(context, deleteSource, { job, blob });
  return { ...ended, sourceDeleted: deleted.ok ? true : { code: deleted.code, message: deleted.message } };
}
