/**
 * A copy whose SAS expired waits for fresh ones instead of failing every blob left: it shows phase
 * waiting-for-credentials, and looks every BLOBFERRY_CREDENTIALS_WAIT whether fresh tokens were
 * given (the same command run again, the same request posted again, POST
 * /api/copies/{id}/credentials), for at most BLOBFERRY_CREDENTIALS_MAX_WAIT.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { CopyProgress } from '../../contracts/progress';
import { checkCredentials } from '../activities/checkCredentials';
import { call } from '../calls';
import type { Job } from '../types';
import { cancelWatch } from './cancel';

export const EXPIRED = 'SAS_EXPIRED';

/** True once usable credentials are there; false when the wait ran out or the copy was cancelled. */
export function* waitForCredentials(context: OrchestrationContext, job: Job, status: Omit<CopyProgress, 'phase'>, message: string): Generator<Task, boolean, unknown> {
  const until = context.df.currentUtcDateTime.getTime() + job.limits.credentialsMaxWaitSeconds * 1000;
  const error = { code: EXPIRED, message: `${message} Waiting for fresh SAS tokens: run the same command again with new ones, or POST them to /api/copies/{id}/credentials.` };
  for (;;) {
    context.df.setCustomStatus({ ...status, phase: 'waiting-for-credentials', error } satisfies CopyProgress);
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= until) return false;
    const timer = context.df.createTimer(new Date(Math.min(until, now + job.limits.credentialsWaitSeconds * 1000)));
    if (yield* cancelWatch(context).race(timer, false)) {
      if (!timer.isCompleted) timer.cancel();
      return false;
    }
    const checked = yield* call(context, checkCredentials, { job });
    if (checked.ok) return true;
  }
}
