/**
 * Stopping a copy before it ends: its deadline, and cancelling.
 *
 * Each blob's copy has a deadline, its timeout counted from when that copy began. Cancelling a copy: the external event "cancel", raised on the copy's instance (the durable
 * API's raiseEvent, or POST /api/copies/{id}/cancel). Orchestrators race what they wait for
 * against it, then stop the way a deadline stops them: a server copy is aborted and the
 * destination restored; staging stops before the commit, so the destination is untouched.
 * A parent forwards the event to the children it is waiting for (forwardCancel).
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobJob, Job } from '../types';

export const CANCEL_EVENT = 'cancel';

/**
 * Waits for `task` or a cancel request, whichever comes first; true if cancelled. Each call waits
 * with a fresh event task: a task reused in a second Task.any is scheduled again (durable-js #574).
 */
export function* orCancelled(context: OrchestrationContext, task: Task): Generator<Task, boolean, unknown> {
  const cancel = context.df.waitForExternalEvent(CANCEL_EVENT);
  const winner = yield context.df.Task.any([task, cancel]);
  return winner === cancel;
}

/** The blob's deadline: its timeout from now (the orchestration's clock). */
export function withDeadline(context: OrchestrationContext, job: Job): BlobJob {
  return { ...job, deadline: new Date(context.df.currentUtcDateTime.getTime() + job.limits.timeoutSeconds * 1000).toISOString() };
}

/** Has the copy passed its deadline? */
export function pastDeadline(context: OrchestrationContext, deadline: string): boolean {
  return context.df.currentUtcDateTime.getTime() >= Date.parse(deadline);
}
