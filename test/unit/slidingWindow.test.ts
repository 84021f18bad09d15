/**
 * The sliding window (src/durable/orchestrators/window.ts) on durable-functions' own engine,
 * episode by episode as the Durable extension drives it: the test hands out sequence numbers,
 * writes the history, and completes tasks in an order it chooses (a slow first task).
 *
 * It checks the two protocol facts the window is built around, each against a construction
 * that gets it wrong:
 * - no task is scheduled twice (a plain Task.any over the tasks in flight re-sends them:
 *   durable-js #574);
 * - the extension, which replays the actions in order and awaits each
 *   (OutOfProcOrchestrationShim.ProcessAsyncActionsV2), reaches every action the orchestrator
 *   made (an action of new tasks alone would stop it until one of those ended).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { InvocationContext } from '@azure/functions';
import { ActionType, flattenActions, type ActionData, type OrchestratorStateData } from '../../src/local/durable/orchestratorState';
import { history, type HistoryEvent } from '../../src/local/durable/history';
import { cancelWatch } from '../../src/durable/orchestrators/cancel';
import { slidingWindow } from '../../src/durable/orchestrators/window';

const T0 = '2024-01-01T00:00:00.000Z';

async function replay(fn: df.OrchestrationHandler, events: HistoryEvent[]): Promise<OrchestratorStateData> {
  const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator');
  const handler = new Orchestrator(fn).listen();
  const payload = JSON.parse(JSON.stringify({ history: events, instanceId: 'window', isReplaying: false, upperSchemaVersion: 2, upperSchemaVersionNew: 2, maximumShortTimerDuration: '6.00:00:00', longRunningTimerIntervalDuration: '3.00:00:00', defaultHttpAsyncRequestSleepTimeMillseconds: 30000 }));
  return JSON.parse(JSON.stringify(await handler(payload, new InvocationContext({ functionName: 'window' })))) as OrchestratorStateData;
}

interface Run {
  /** Activity inputs in the order they were scheduled (a repeat is a task scheduled twice). */
  scheduled: number[];
  /** The most activities ever in flight at once. */
  mostInFlight: number;
  /** Actions the extension would not reach, by episode. */
  unreached: string[];
  output: unknown;
}

/**
 * Drives `fn` to its end, completing the activity whose input is next in `completionOrder`
 * each time. Fails if the next one to complete was never started (the window did not slide).
 */
async function drive(fn: df.OrchestrationHandler, completionOrder: number[], run: Run = { scheduled: [], mostInFlight: 0, unreached: [], output: undefined }): Promise<Run> {
  const events: HistoryEvent[] = [history.orchestratorStarted(T0), history.executionStarted(T0, 'window', undefined, { InstanceId: 'window', ExecutionId: 'e' })];
  const ids = new Map<ActionData, number>();
  const pending = new Map<number, number>(); // activity input -> sequence number
  const done = new Set<number>(); // sequence numbers completed
  let counted = 0;
  let nextId = 0;
  for (let episode = 0; ; episode++) {
    const state = await replay(fn, events);
    const flat = flattenActions(state);
    for (const action of flat.slice(counted)) {
      if (action.actionType === ActionType.WaitForExternalEvent) continue;
      const id = nextId++;
      if (action.actionType === ActionType.CallActivity) {
        const input = JSON.parse(action.input as string) as number;
        run.scheduled.push(input);
        pending.set(input, id);
        events.push(history.taskScheduled(T0, id, 'work', action.input as string));
      } else {
        assert.equal(action.actionType, ActionType.CreateTimer);
        assert.equal(action.isCanceled, true, 'the only timers are cancelled sentinels');
        events.push(history.timerCreated(T0, id, action.fireAt as string));
      }
    }
    // Sequence numbers follow the flattened order on every replay, so map this episode's actions anew.
    flat.filter((a) => a.actionType !== ActionType.WaitForExternalEvent).forEach((a, i) => ids.set(a, i));
    counted = flat.length;
    run.mostInFlight = Math.max(run.mostInFlight, pending.size);
    const top = state.actions[0] ?? [];
    const reached = (action: ActionData): boolean => {
      if (action.actionType === ActionType.WhenAny) return (action.compoundActions ?? []).some(reached);
      if (action.actionType === ActionType.WhenAll) return (action.compoundActions ?? []).every(reached);
      if (action.actionType === ActionType.CreateTimer && action.isCanceled) return true;
      return done.has(ids.get(action) ?? -1);
    };
    // The extension awaits each action in turn: all but the newest must be over for it to reach the newest.
    const stuck = top.slice(0, -1).findIndex((a) => !reached(a));
    if (stuck >= 0) run.unreached.push(`episode ${episode}: stops at action ${stuck} of ${top.length}`);
    if (state.isDone) {
      run.output = state.output;
      return run;
    }
    const input = completionOrder.shift();
    assert.ok(input !== undefined, 'the orchestrator waits with nothing left to complete');
    const id = pending.get(input);
    assert.ok(id !== undefined, `task ${input} should be running by now (in flight: ${[...pending.keys()].join(', ')}): the window did not slide`);
    pending.delete(input);
    done.add(id);
    events.push(history.orchestratorStarted(T0), history.taskCompleted(T0, id, JSON.stringify(input)));
  }
}

/** Five tasks, two in flight; ends with the order they ended in. */
function windowOrchestrator(withCancel: boolean): df.OrchestrationHandler {
  return function* (context: OrchestrationContext) {
    const order: unknown[] = [];
    yield* slidingWindow(
      context,
      {
        count: 5,
        start: (i) => context.df.callActivity('work', i),
        room: () => 2,
        *ended(_i, task) {
          order.push(task.result);
        },
      },
      withCancel ? { watch: cancelWatch(context) } : undefined,
    );
    return order;
  };
}

/** A window of two over five tasks, waiting on the tasks in flight as `waitFor` builds it. */
function windowWaitingWith(waitFor: (context: OrchestrationContext, inFlight: Task[], fresh: Task[]) => Task): df.OrchestrationHandler {
  return function* (context: OrchestrationContext) {
    const order: unknown[] = [];
    const inFlight: Task[] = [];
    let next = 0;
    while (next < 5 || inFlight.length > 0) {
      const fresh: Task[] = [];
      while (next < 5 && inFlight.length + fresh.length < 2) fresh.push(context.df.callActivity('work', next++));
      inFlight.push(...fresh);
      const first = (yield waitFor(context, inFlight, fresh)) as Task;
      order.push(first.result);
      inFlight.splice(inFlight.indexOf(first), 1);
    }
    return order;
  };
}

/** The window as one would write it first: a fresh Task.any over the tasks in flight. */
const naiveWindow = windowWaitingWith((context, inFlight) => context.df.Task.any(inFlight));

/** Sends only the new tasks, with no sentinel: no duplicates, but the extension stalls. */
const unsentinelledWindow = windowWaitingWith((context, inFlight, fresh) => {
  const any = context.df.Task.any(inFlight) as Task & { alreadyScheduled: boolean; actionObj: { compoundActions: unknown[] } };
  if (fresh.length === 0) any.alreadyScheduled = true;
  else any.actionObj.compoundActions = fresh.map((t) => (t as unknown as { actionObj: unknown }).actionObj);
  return any;
});

// Task 0 is slow: the four others end while it runs.
const SLOW_FIRST = [1, 2, 3, 4, 0];
// Tasks end out of order: an older one ends while a newer one runs.
const OLDER_FIRST = [1, 0, 3, 2, 4];

describe('the sliding window on durable-functions', () => {
  for (const [withCancel, order] of [[false, SLOW_FIRST], [true, SLOW_FIRST], [false, OLDER_FIRST], [true, OLDER_FIRST]] as const) {
    it(`starts a task as soon as one ends, schedules each once, and the extension reaches every action (ending ${order.join(', ')}${withCancel ? ', racing a cancel request' : ''})`, async () => {
      const run = await drive(windowOrchestrator(withCancel), [...order]);
      assert.deepEqual(run.output, order, 'each task is handed over as it ends');
      assert.deepEqual(run.scheduled, [0, 1, 2, 3, 4], 'every task scheduled exactly once');
      assert.equal(run.mostInFlight, 2, 'never more than the room');
      assert.deepEqual(run.unreached, []);
    });
  }

  it('is what a plain Task.any over the tasks in flight gets wrong: it schedules the slow task again', async () => {
    const run: Run = { scheduled: [], mostInFlight: 0, unreached: [], output: undefined };
    // Past the repeat, the extension's sequence numbers no longer match the orchestrator's.
    await drive(naiveWindow, [...SLOW_FIRST], run).catch(() => undefined);
    assert.ok(run.scheduled.filter((n) => n === 0).length > 1, `task 0 scheduled again: ${run.scheduled.join(', ')}`);
  });

  it('is what sending only the new tasks gets wrong: the extension stops at an action the orchestrator has moved past', async () => {
    const run = await drive(unsentinelledWindow, [...OLDER_FIRST]);
    assert.deepEqual(run.scheduled, [0, 1, 2, 3, 4]);
    assert.ok(run.unreached.length > 0, 'the extension would not have scheduled the later tasks');
  });
});
