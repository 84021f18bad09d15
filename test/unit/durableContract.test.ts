/**
 * The contract between the local host and the internals of durable-functions and
 * @azure/functions it relies on. If an upgrade moves any of them, this fails and says what
 * moved; fix src/local/durable (episode.ts, orchestratorState.ts, history.ts) before upgrading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as df from 'durable-functions';
import { InvocationContext } from '@azure/functions';
import { ActionType, flattenActions, outcomeFromError, actionInputJsonText, type OrchestratorStateData } from '../../src/local/durable/orchestratorState';
import { EventType, history } from '../../src/local/durable/history';

const pkg = require('../../../package.json') as { dependencies: Record<string, string> };
const lib = (m: string) => require(`durable-functions/lib/src/${m}`);

function contract(what: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    throw new Error(`durable-functions contract broken: ${what}. The local host depends on it (src/local/durable). ${(err as Error).message}`);
  }
}

/** Runs an orchestrator on durable-functions' engine the way the host does (trigger payload in, state out). */
async function replay(fn: df.OrchestrationHandler, events: ReturnType<typeof history.orchestratorStarted>[], input?: unknown): Promise<OrchestratorStateData | { thrown: Error }> {
  const { Orchestrator } = lib('orchestrations/Orchestrator');
  const handler = new Orchestrator(fn).listen();
  const payload = JSON.parse(
    JSON.stringify({ history: events, input, instanceId: 'contract', isReplaying: false, upperSchemaVersion: 2, upperSchemaVersionNew: 2, maximumShortTimerDuration: '00:00:10', longRunningTimerIntervalDuration: '00:00:04', defaultHttpAsyncRequestSleepTimeMillseconds: 30000 }),
  );
  try {
    return JSON.parse(JSON.stringify(await handler(payload, new InvocationContext({ functionName: 'contract' })))) as OrchestratorStateData;
  } catch (err) {
    return { thrown: err as Error };
  }
}

const T0 = '2024-01-01T00:00:00.000Z';
const started = (input?: string) => history.executionStarted(T0, 'contract', input, { InstanceId: 'contract', ExecutionId: 'e' });

describe('durable-functions contract', () => {
  it('is the pinned version', () => {
    const installed = (require('durable-functions/package.json') as { version: string }).version;
    assert.equal(pkg.dependencies['durable-functions'], installed, 'package.json pins durable-functions exactly');
    assert.equal(installed, '3.5.0', 'the host was checked against durable-functions 3.5.0');
  });

  it('numbers action and history event types as the host does', () => {
    contract('ActionType values', () => {
      const { ActionType: theirs } = lib('actions/ActionType');
      for (const name of ['CallActivity', 'CallActivityWithRetry', 'CallSubOrchestrator', 'CallSubOrchestratorWithRetry', 'ContinueAsNew', 'CreateTimer', 'WaitForExternalEvent', 'CallHttp', 'WhenAny', 'WhenAll'] as const) {
        assert.equal(theirs[name], ActionType[name], name);
      }
    });
    contract('HistoryEventType values', () => {
      const { HistoryEventType: theirs } = lib('history/HistoryEventType');
      for (const [name, value] of Object.entries(EventType)) if (typeof value === 'number') assert.equal(theirs[name], value, name);
    });
  });

  it('returns every action since the start, compound actions nesting their children, with the fields the host reads', async () => {
    const result = await replay(function* (context) {
      const retry = new df.RetryOptions(1000, 3);
      retry.backoffCoefficient = 2;
      yield context.df.Task.all([
        context.df.callActivity('a', 'text'),
        context.df.callActivityWithRetry('b', retry, { n: 1 }),
        context.df.Task.any([context.df.createTimer(new Date('2024-01-01T00:00:05.000Z')), context.df.waitForExternalEvent('go')]),
        context.df.callSubOrchestrator('child', 'raw', 'child-id'),
      ]);
    }, [history.orchestratorStarted(T0), started()]);
    contract('OrchestratorState shape', () => {
      const state = result as OrchestratorStateData;
      assert.equal(state.isDone, false);
      assert.equal(state.actions.length, 1, 'actions is [[...]]');
      const flat = flattenActions(state);
      assert.deepEqual(flat.map((a) => a.actionType), [ActionType.CallActivity, ActionType.CallActivityWithRetry, ActionType.CreateTimer, ActionType.WaitForExternalEvent, ActionType.CallSubOrchestrator]);
      assert.deepEqual([flat[0].functionName, flat[0].input], ['a', '"text"'], 'activity string inputs are pre-serialized');
      assert.deepEqual(flat[1].retryOptions, { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3, backoffCoefficient: 2 });
      assert.deepEqual([flat[2].fireAt, flat[2].isCanceled], ['2024-01-01T00:00:05.000Z', false]);
      assert.equal(flat[3].externalEventName, 'go');
      assert.deepEqual([flat[4].functionName, flat[4].instanceId, flat[4].input], ['child', 'child-id', 'raw'], 'sub-orchestration inputs are not pre-serialized');
      assert.equal(actionInputJsonText(flat[0]), '"text"');
      assert.equal(actionInputJsonText(flat[4]), '"raw"');
    });
  });

  it('matches completions by the sequence numbers the host hands out, and reads Reason/Details failures', async () => {
    const fn: df.OrchestrationHandler = function* (context) {
      const first = yield context.df.callActivity('a');
      try {
        yield context.df.callActivity('b');
      } catch (err) {
        return { first, error: (err as Error).message };
      }
      return 'unexpected';
    };
    const result = await replay(fn, [
      history.orchestratorStarted(T0), started(), history.taskScheduled(T0, 0, 'a', undefined),
      history.orchestratorStarted(T0), history.taskCompleted(T0, 0, '42'), history.taskScheduled(T0, 1, 'b', undefined),
      history.orchestratorStarted(T0), history.taskFailed(T0, 1, { Reason: 'went wrong' }),
    ]);
    contract('completion matching by TaskScheduledId and failure reading', () => {
      const state = result as OrchestratorStateData;
      assert.equal(state.isDone, true);
      assert.deepEqual(state.output, { first: 42, error: 'went wrong \n ' });
    });
  });

  it('waits for a timer after every failed retry attempt, the last one too, then throws', async () => {
    const fn: df.OrchestrationHandler = function* (context) {
      return yield context.df.callActivityWithRetry('flaky', new df.RetryOptions(100, 2));
    };
    const upToLastTimer = [
      history.orchestratorStarted(T0), started(), history.taskScheduled(T0, 0, 'flaky', undefined),
      history.orchestratorStarted(T0), history.taskFailed(T0, 0, { Reason: 'one' }), history.timerCreated(T0, 1, T0),
      history.orchestratorStarted(T0), history.timerFired(T0, 1, T0), history.taskScheduled(T0, 2, 'flaky', undefined),
      history.orchestratorStarted(T0), history.taskFailed(T0, 2, { Reason: 'two' }), history.timerCreated(T0, 3, T0),
    ];
    const waiting = await replay(fn, upToLastTimer);
    contract('RetryableTask waits for the trailing timer (id 3)', () => assert.equal((waiting as OrchestratorStateData).isDone, false));
    const done = await replay(fn, [...upToLastTimer, history.orchestratorStarted(T0), history.timerFired(T0, 3, T0)]);
    contract('RetryableTask throws after the trailing timer', () => {
      assert.ok('thrown' in done, 'the orchestrator failed');
      const outcome = outcomeFromError((done as { thrown: Error }).thrown);
      assert.equal(outcome.kind, 'failed');
      assert.match(outcome.kind === 'failed' ? outcome.message : '', /^two/, "the failure message is the state's error field");
    });
  });

  it('splits long timers into segments of longRunningTimerInterval while maximumShortTimer is exceeded', async () => {
    const fn: df.OrchestrationHandler = function* (context) {
      yield context.df.createTimer(new Date(Date.parse(T0) + 12_000));
      return 'fired';
    };
    const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
    const first = await replay(fn, [history.orchestratorStarted(T0), started()]);
    contract('a long timer is one CreateTimer action with the final time', () => {
      const flat = flattenActions(first as OrchestratorStateData);
      assert.deepEqual(flat.map((a) => a.fireAt), [at(12)]);
    });
    // Segments at +4, +8 (4 s left < 10 s max short): the last one fires at +12.
    const done = await replay(fn, [
      history.orchestratorStarted(T0), started(), history.timerCreated(T0, 0, at(4)),
      history.orchestratorStarted(at(4)), history.timerFired(at(4), 0, at(4)), history.timerCreated(at(4), 1, at(12)),
      history.orchestratorStarted(at(12)), history.timerFired(at(12), 1, at(12)),
    ]);
    contract('segment numbering and the final segment', () => assert.deepEqual([(done as OrchestratorStateData).isDone, (done as OrchestratorStateData).output], [true, 'fired']));
  });

  it('@azure/functions registers through @azure/functions-core and invokes through its InvocationModel', () => {
    contract('@azure/functions internals', () => {
      const source = require('fs').readFileSync(require.resolve('@azure/functions'), 'utf8') as string;
      assert.match(source, /require\("@azure\/functions-core"\)/);
      for (const member of ['setProgrammingModel', 'registerFunction', 'getInvocationModel', 'getArguments', 'invokeFunction', 'getResponse']) {
        assert.ok(source.includes(member), member);
      }
      assert.equal((require('@azure/functions/package.json') as { version: string }).version, pkg.dependencies['@azure/functions'], '@azure/functions is pinned exactly');
    });
  });
});
