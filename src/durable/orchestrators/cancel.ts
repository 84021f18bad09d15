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
 * The cancel requests one orchestration execution has waited for. Each wait uses a fresh event
 * task (a task reused in a second Task.any is scheduled again: durable-js #574), and the ones
 * that lost their race stay registered: an event that arrives while no race is on completes the
 * newest of them. So a cancel request is "any of them completed", checked before each step.
 */
export class CancelWatch {
  private readonly waiters: Task[] = [];

  constructor(private readonly context: OrchestrationContext) {}

  get requested(): boolean {
    return this.waiters.some((w) => w.isCompleted);
  }

  /** A fresh wait for the request, raced against by the caller. */
  waiter(): Task {
    const cancel = this.context.df.waitForExternalEvent(CANCEL_EVENT);
    this.waiters.push(cancel);
    return cancel;
  }

  /**
   * Runs `task` unless a cancel request came first, racing it against one; true if cancelled.
   * With `drain`, a task that lost to the request is still awaited, so nothing it started runs
   * on after the copy has ended.
   */
  *race(task: Task, drain: boolean): Generator<Task, boolean, unknown> {
    if (this.requested) return true;
    const cancel = this.waiter();
    if ((yield this.context.df.Task.any([task, cancel])) !== cancel) return false;
    if (drain) yield task;
    return true;
  }
}

const watches = new WeakMap<object, CancelWatch>();

/** The cancel watch of this orchestration execution (a replay starts a new one). */
export function cancelWatch(context: OrchestrationContext): CancelWatch {
  let watch = watches.get(context.df);
  if (!watch) watches.set(context.df, (watch = new CancelWatch(context)));
  return watch;
}

/** The blob's deadline: its timeout from now (the orchestration's clock). */
export function withDeadline(context: OrchestrationContext, job: Job): BlobJob {
  return { ...job, deadline: new Date(context.df.currentUtcDateTime.getTime() + job.limits.timeoutSeconds * 1000).toISOString() };
}

/** Has the copy passed its deadline? */
export function pastDeadline(context: OrchestrationContext, deadline: string): boolean {
  return context.df.currentUtcDateTime.getTime() >= Date.parse(deadline);
}
