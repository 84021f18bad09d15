/**
 * Bounded concurrency inside an orchestrator as a sliding window: a task starts as soon as there
 * is room for it, so one slow task (a 64 MiB blob among small ones) holds back nothing but itself.
 *
 * Waiting for "the first of the tasks in flight" needs care, because durable-functions 3.x talks
 * to the Durable extension in a protocol without task ids (the out-of-proc schema the extension's
 * OutOfProcOrchestrationShim replays):
 * - A compound task (Task.any) sends the actions of all its children, and the extension schedules
 *   a child again each time it appears in one (durable-js #574). So `firstOf` sends, in its
 *   Task.any's action, only the children not scheduled yet.
 * - The extension replays the actions in order and awaits each (ProcessAsyncActionsV2). An action
 *   holding only new tasks would hold back every later action until one of *those* ended, while
 *   the orchestrator goes on as soon as an older task ends. So such an action carries a timer
 *   cancelled at once: DurableTask.Core ends a cancelled timer's task immediately, the extension's
 *   wait ends with it, and later actions are scheduled when the orchestrator makes them (the same
 *   thing durable-js's own timer.cancel() relies on). The orchestrator never waits for that timer;
 *   on Azure its TimerFired may still arrive and wake it, a wake-up with nothing to do.
 * Both rely on durable-functions internals (pinned; test/unit/durableContract.test.ts and
 * test/unit/slidingWindow.test.ts fail if they move).
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { CancelWatch } from './cancel';

/** The durable-functions task internals `firstOf` reads and sets. */
interface TaskInternals {
  alreadyScheduled?: boolean;
  readonly actionObj: { compoundActions?: unknown[] };
}
const internals = (task: Task) => task as unknown as TaskInternals;

/** A task that ends when the first of `tasks` ends, and schedules each of them at most once. */
export function firstOf(context: OrchestrationContext, tasks: Task[]): Task {
  const fresh = tasks.filter((task) => !internals(task).alreadyScheduled);
  // All new: the extension waits for exactly what the orchestrator waits for.
  if (fresh.length === tasks.length) return context.df.Task.any(tasks);
  if (fresh.length === 0) {
    // Nothing new: no action at all (the extension is not waiting on this orchestrator).
    const any = context.df.Task.any(tasks);
    internals(any).alreadyScheduled = true;
    return any;
  }
  const sentinel = cancelledTimer(context);
  const any = context.df.Task.any([...tasks, sentinel]);
  internals(any).actionObj.compoundActions = [...fresh, sentinel].map((task) => internals(task).actionObj);
  return any;
}

function cancelledTimer(context: OrchestrationContext): Task {
  const timer = context.df.createTimer(context.df.currentUtcDateTime);
  timer.cancel();
  return timer;
}

export interface WindowWork {
  /** How many tasks there are, started in index order. */
  count: number;
  start(index: number): Task;
  /** Room a task takes (requests it keeps in flight); 1 unless said. */
  weight?(index: number): number;
  /** Room there is now; read before each start. A task heavier than the room runs alone. */
  room(): number;
  /**
   * Each task as it ends, in the order they end (the history's, so the same on every replay).
   * Answers false to start nothing more; what is in flight is still awaited and handed here.
   */
  ended(index: number, task: Task): Generator<Task, boolean | void, unknown>;
  /** Checked at every wake-up: true starts nothing more (a deadline that passed). */
  stopping?(): boolean;
}

export interface WindowCancel {
  watch: CancelWatch;
  /** Passes the request on to the tasks in flight (sub-orchestrations stop and undo). */
  forward?(inFlight: number[]): Generator<Task, void, unknown>;
}

/**
 * Runs the work with at most `room()` in flight. A cancel request starts nothing more and is
 * passed on to what is in flight, which is still awaited: every task started is handed to
 * `ended`. A task that faulted (threw) fails the window, as Task.all would. Answers whether a
 * cancel request stopped it.
 */
export function* slidingWindow(context: OrchestrationContext, work: WindowWork, cancel?: WindowCancel): Generator<Task, { cancelled: boolean }, unknown> {
  const weightOf = (index: number) => work.weight?.(index) ?? 1;
  // Each task in flight: its index, and the room it took when it started (the room can change).
  const inFlight = new Map<Task, { index: number; weight: number }>();
  let next = 0;
  let load = 0;
  let starting = true;
  let cancelled = cancel?.watch.requested ?? false;
  for (;;) {
    if (cancelled || work.stopping?.()) starting = false;
    while (starting && next < work.count && (load === 0 || load + weightOf(next) <= work.room())) {
      const weight = weightOf(next);
      inFlight.set(work.start(next), { index: next, weight });
      load += weight;
      next++;
    }
    if (inFlight.size === 0) return { cancelled };
    const waiting = [...inFlight.keys()];
    const request = cancel && !cancelled ? cancel.watch.waiter() : undefined;
    yield firstOf(context, request ? [...waiting, request] : waiting);
    if (request?.isCompleted) {
      cancelled = true;
      starting = false;
      if (cancel!.forward) yield* cancel!.forward([...inFlight.values()].map((t) => t.index));
    }
    for (const task of waiting) {
      if (!task.isCompleted && !task.isFaulted) continue;
      if (task.isFaulted) throw task.result;
      const { index, weight } = inFlight.get(task)!;
      inFlight.delete(task);
      load -= weight;
      if ((yield* work.ended(index, task)) === false) starting = false;
    }
  }
}
