/**
 * The local host runs orchestrations as the Durable extension does: sequences, fan-out/fan-in,
 * retries, timers, Task.any, sub-orchestrations, continueAsNew, external events, custom status,
 * failures, terminate/suspend/resume/purge. Everything goes through the host's own engine and
 * durable-functions' real replay engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalHost } from '../../src/local/host';
import { startTestHost } from '../support/localHost';

let host: LocalHost;
let stop: () => Promise<void>;

before(async () => {
  ({ host, stop } = await startTestHost({ durableTimers: { maximumShortTimerMs: 1500, longRunningTimerIntervalMs: 600 } }));
});
after(() => stop());

const run = async (name: string, input?: unknown, instanceId?: string) => {
  const id = host.engine.startNew(name, { input, instanceId });
  return host.engine.waitForCompletion(id, { timeoutMs: 60_000, showHistory: true });
};

describe('activities', () => {
  it('runs a sequence of activities in order', async () => {
    const status = await run('sequence', ['Tokyo', 'Seattle', 'London']);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, ['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    const completed = status.historyEvents!.filter((e) => e.EventType === 'TaskCompleted');
    assert.deepEqual(completed.map((e) => e.FunctionName), ['echo', 'echo', 'echo']);
  });

  it('fans out 1,000 activities and fans in every result in order', async () => {
    const status = await run('fanOut', { n: 1000 });
    assert.equal(status.runtimeStatus, 'Completed');
    const output = status.output as { count: number; results: number[] };
    assert.equal(output.count, 1000);
    assert.deepEqual(output.results, Array.from({ length: 1000 }, (_, i) => i * 2));
  });

  it('passes strings, objects, null and undefined through activities unchanged', async () => {
    const status = await run('sequence', ['"quoted"', '{"looks":"like json"}', '']);
    assert.deepEqual(status.output, ['Hello "quoted"', 'Hello {"looks":"like json"}', 'Hello ']);
  });

  it('fails the orchestration clearly when it calls an activity that does not exist', async () => {
    const status = await run('callsUnknownActivity');
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /activity function 'doesNotExist' doesn't exist/);
  });
});

describe('retries', () => {
  it('retries an activity and succeeds on attempt 2, with a delay timer between attempts', async () => {
    const status = await run('retry', { activity: 'flaky', activityInput: { key: 'second-attempt', failures: 1 }, firstRetryMs: 200, maxAttempts: 3 });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { attempt: 2 });
    const events = status.historyEvents!.map((e) => e.EventType);
    assert.deepEqual(events.filter((e) => e !== 'ExecutionStarted' && e !== 'ExecutionCompleted'), ['TaskFailed', 'TimerFired', 'TaskCompleted']);
    const timer = status.historyEvents!.find((e) => e.EventType === 'TimerFired')!;
    const failed = status.historyEvents!.find((e) => e.EventType === 'TaskFailed')!;
    assert.ok(Date.parse(String(timer.FireAt)) - Date.parse(String(failed.Timestamp)) >= 150, 'the retry waited for the first retry interval');
  });

  it('surfaces the last error in the status when every attempt fails', async () => {
    const status = await run('retry', { activity: 'alwaysFails', activityInput: { message: 'disk on fire' }, firstRetryMs: 50, maxAttempts: 3, backoff: 2 });
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /disk on fire/);
    const events = status.historyEvents!.map((e) => e.EventType);
    assert.equal(events.filter((e) => e === 'TaskFailed').length, 3, 'three attempts');
    assert.equal(events.filter((e) => e === 'TimerFired').length, 3, 'a timer after each attempt, the last one too');
  });

  it('lets the orchestrator catch the final failure of a retried activity', async () => {
    const status = await run('retryCaught');
    assert.equal(status.runtimeStatus, 'Completed');
    assert.match(String((status.output as { caught: string }).caught), /still broken/);
  });

  it('stops retrying once the retry timeout has passed', async () => {
    const status = await run('retry', { activity: 'alwaysFails', activityInput: { message: 'nope' }, firstRetryMs: 300, maxAttempts: 10, retryTimeoutMs: 250 });
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /Retry timeout of 250 ms expired/);
  });
});

describe('timers', () => {
  it('waits for a timer, and currentUtcDateTime moves with it', async () => {
    const status = await run('timerThenActivity', { timerMs: 300 });
    assert.equal(status.runtimeStatus, 'Completed');
    const output = status.output as { elapsedMs: number; echoed: string };
    assert.ok(output.elapsedMs >= 300, `elapsed ${output.elapsedMs}`);
    assert.equal(output.echoed, 'after timer');
  });

  it('Task.any: the activity wins and the timer is cancelled', async () => {
    const status = await run('raceTimer', { activityDelayMs: 10, timerMs: 30_000 });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { winner: 'activity', result: 'activity' });
    assert.ok(!status.historyEvents!.some((e) => e.EventType === 'TimerFired'), 'the cancelled timer never fired');
  });

  it('Task.any: the timer wins', async () => {
    const status = await run('raceTimer', { activityDelayMs: 3000, timerMs: 100 });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { winner: 'timer' });
  });

  it('splits a long timer into segments as the extension does, and fires it on time', async () => {
    const id = host.engine.startNew('longTimer', { input: { ms: 2500 } });
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 20_000, showHistory: true });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.ok((status.output as { elapsedMs: number }).elapsedMs >= 2500);
    // maximumShortTimer 1.5 s, interval 0.6 s: the first segment ends 0.6 s after the start, more
    // 0.6 s segments follow while over 1.5 s remain, then one to the final time (2.5 s).
    const fired = status.historyEvents!.filter((e) => e.EventType === 'TimerFired').map((e) => Date.parse(String(e.FireAt)));
    assert.ok(fired.length >= 2, JSON.stringify(fired));
    assert.equal(fired[fired.length - 1] - fired[0], 2500 - 600, 'first segment at +0.6 s, last at the final time');
  });
});

describe('sub-orchestrations', () => {
  it('runs children with given and generated instance ids, and reports a child failure to the parent', async () => {
    const status = await run('parent', { childId: 'child-of-parent-1' });
    assert.equal(status.runtimeStatus, 'Completed');
    const output = status.output as { named: string[]; generated: string[]; childFailure: string };
    assert.deepEqual(output.named, ['Hello A', 'Hello B']);
    assert.deepEqual(output.generated, ['Hello C']);
    assert.match(output.childFailure, /child boom/);
    const child = host.engine.getStatus('child-of-parent-1');
    assert.equal(child?.runtimeStatus, 'Completed');
    const created = status.historyEvents!.filter((e) => e.EventType === 'SubOrchestrationInstanceCompleted');
    assert.equal(created.length, 2);
    assert.match(String(created[1].InstanceId), /^[0-9a-f-]{36}:\d+$/, 'a generated id is <execution id>:<sequence number>');
  });
});

describe('continueAsNew', () => {
  it('counts through 100 generations and keeps one execution of history', async () => {
    const status = await run('counter', { n: 1, max: 100 });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { n: 100, lastDoubled: 200, trail: [2, 4, 6, 8, 10] });
    const started = status.historyEvents!.filter((e) => e.EventType === 'ExecutionStarted');
    assert.equal(started.length, 1, 'history restarts with each generation');
  });
});

describe('external events', () => {
  it('waits for an approval event and shows custom status while waiting', async () => {
    const id = host.engine.startNew('approval');
    await waitFor(() => host.engine.getStatus(id)?.customStatus !== null);
    assert.deepEqual(host.engine.getStatus(id)?.customStatus, { stage: 'waiting for approval' });
    assert.equal(host.engine.getStatus(id)?.runtimeStatus, 'Running');
    host.engine.raiseEvent(id, 'approval', { approved: true, by: 'ops' });
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.deepEqual(status.output, { decision: { approved: true, by: 'ops' } });
    assert.deepEqual(status.customStatus, { stage: 'decided' });
  });

  it('keeps an event raised before the orchestrator waits for it', async () => {
    const id = host.engine.startNew('approval');
    host.engine.raiseEvent(id, 'approval', 'early');
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.deepEqual(status.output, { decision: 'early' });
  });

  it('terminates an instance while it waits, and refuses events afterwards', async () => {
    const id = host.engine.startNew('approval');
    await waitFor(() => host.engine.getStatus(id)?.runtimeStatus === 'Running');
    host.engine.terminate(id, 'no longer needed');
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 10_000, showHistory: true });
    assert.equal(status.runtimeStatus, 'Terminated');
    assert.equal(status.output, 'no longer needed');
    assert.throws(() => host.engine.raiseEvent(id, 'approval', true), { code: 'INSTANCE_COMPLETED' });
  });

  it('suspends and resumes: events wait while suspended', async () => {
    const id = host.engine.startNew('approval');
    await waitFor(() => host.engine.getStatus(id)?.runtimeStatus === 'Running');
    host.engine.suspend(id, 'maintenance');
    assert.equal(host.engine.getStatus(id)?.runtimeStatus, 'Suspended');
    host.engine.raiseEvent(id, 'approval', 'while suspended');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(host.engine.getStatus(id)?.runtimeStatus, 'Suspended', 'no progress while suspended');
    host.engine.resume(id, 'done');
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.deepEqual(status.output, { decision: 'while suspended' });
  });
});

describe('failures and purge', () => {
  it('records an orchestrator exception as Failed with its message', async () => {
    const status = await run('throws', 'it broke');
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /Orchestrator function 'throws' failed: it broke/);
  });

  it('refuses a second start of a running instance id and restarts a finished one', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'reused-id' });
    assert.throws(() => host.engine.startNew('sequence', { instanceId: id }), { code: 'INSTANCE_EXISTS' });
    host.engine.terminate(id);
    await host.engine.waitForCompletion(id);
    host.engine.startNew('sequence', { instanceId: id, input: ['again'] });
    const status = await host.engine.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.equal(status.name, 'sequence');
    assert.deepEqual(status.output, ['Hello again']);
  });

  it('purges a finished instance, and a running one as the Azure Storage backend does (its waiters learn it is gone)', async () => {
    const done = (await run('sequence', ['x'])).instanceId;
    assert.equal(host.engine.purge(done), 1);
    assert.equal(host.engine.getStatus(done), undefined);
    assert.equal(host.engine.purge(done), 0);
    const running = host.engine.startNew('approval');
    const waiting = host.engine.waitForCompletion(running, { timeoutMs: 10_000 });
    assert.equal(host.engine.purge(running), 1);
    await assert.rejects(waiting, { code: 'INSTANCE_NOT_FOUND' });
    assert.equal(host.engine.getStatus(running), undefined);
  });

  it('rejects unknown orchestrators and malformed instance ids', () => {
    assert.throws(() => host.engine.startNew('noSuchOrchestrator'), { code: 'UNKNOWN_FUNCTION' });
    assert.throws(() => host.engine.startNew('echo'), { code: 'UNKNOWN_FUNCTION' }, 'an activity is not an orchestrator');
    for (const bad of ['', 'a/b', 'a#b', 'a?b', 'x'.repeat(257), 'tab\there']) {
      assert.throws(() => host.engine.startNew('sequence', { instanceId: bad }), { code: 'INVALID_INSTANCE_ID' }, JSON.stringify(bad));
    }
  });

  it('numbers tasks as the engine does when retry bookkeeping interleaves with other tasks', async () => {
    const status = await run('interleavedNumbering', { key: 'interleaved' });
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status.output));
    assert.deepEqual(status.output, { retried: { attempt: 3 }, echoed: 'echo', doubled: 42, after: ['Hello after'] });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
