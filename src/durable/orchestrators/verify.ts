/** `verify: "md5"`: a blob's copy is read back and compared with its source before it counts as copied. */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { SourceBlob } from '../../contracts/blobFacts';
import type { Ended } from '../outcome';
import type { ActivityResult, Job } from '../types';

export function* verified(context: OrchestrationContext, job: Job, blob: SourceBlob, ended: Ended): Generator<Task, Ended, unknown> {
  if (ended.outcome !== 'copied' || job.options.verify !== 'md5') return ended;
  const checked = (yield context.df.callActivity('verifyCopy', { job, blob, name: ended.name })) as ActivityResult<{ md5: string }>;
  return checked.ok ? ended : { ...ended, outcome: 'failed', code: checked.code, message: checked.message };
}
