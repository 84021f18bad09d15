/**
 * Cancelling a copy: the external event "cancel", raised on the copy's instance (the durable
 * API's raiseEvent, or POST /api/copies/{id}/cancel). Orchestrators race what they wait for
 * against it, then stop the way a deadline stops them: a server copy is aborted and the
 * destination restored; staging stops before the commit, so the destination is untouched.
 * A parent forwards the event to the children it is waiting for (forwardCancel).
 */
import type { OrchestrationContext, Task } from 'durable-functions';

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

/** Has the copy passed its deadline? */
export function pastDeadline(context: OrchestrationContext, deadline: string): boolean {
  return context.df.currentUtcDateTime.getTime() >= Date.parse(deadline);
}
