/**
 * Orchestrations and activities that exercise the local host's Durable emulation, registered
 * exactly as the app registers its own (df.app.*, app.http), and loaded by the host as an
 * app entry point. Test-only.
 */
import fs from 'node:fs';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

// ---- activities ---------------------------------------------------------------------------

df.app.activity('echo', { handler: (input: unknown) => input });
df.app.activity('double', { handler: (n: number) => n * 2 });
df.app.activity('noop', { handler: () => undefined });

/** Sleeps, then echoes; for races against timers and for crash tests. */
df.app.activity('slowEcho', {
  handler: async (input: { value: unknown; delayMs: number }) => {
    await new Promise((resolve) => setTimeout(resolve, input.delayMs));
    return input.value;
  },
});

/** Appends its input to a file: tests count real executions across crashes. */
df.app.activity('recordCall', {
  handler: async (input: { file: string; index: number; delayMs?: number }) => {
    if (input.delayMs) await new Promise((resolve) => setTimeout(resolve, input.delayMs));
    fs.appendFileSync(input.file, `${input.index}\n`);
    return input.index;
  },
});

/** Reports the most activities it saw running at once (host.json maxConcurrentActivityFunctions). */
let inFlight = 0;
let mostInFlight = 0;
df.app.activity('probeConcurrency', {
  handler: async (delayMs: number) => {
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    return mostInFlight;
  },
});

/** Fails its first `failures` calls for a key (per host process), then answers. */
const attempts = new Map<string, number>();
df.app.activity('flaky', {
  handler: (input: { key: string; failures: number }) => {
    const n = (attempts.get(input.key) ?? 0) + 1;
    attempts.set(input.key, n);
    if (n <= input.failures) throw new Error(`flaky failure ${n} of ${input.failures}`);
    return { attempt: n };
  },
});

df.app.activity('alwaysFails', {
  handler: (input: { message: string }) => {
    throw new Error(input.message);
  },
});

// ---- orchestrations -----------------------------------------------------------------------

function orchestration(name: string, handler: OrchestrationHandler): void {
  df.app.orchestration(name, handler);
}

orchestration('sequence', function* (context: OrchestrationContext) {
  const names = (context.df.getInput() as string[] | undefined) ?? ['Tokyo', 'Seattle', 'London'];
  const out: unknown[] = [];
  for (const name of names) out.push(yield context.df.callActivity('echo', `Hello ${name}`));
  return out;
});

orchestration('fanOut', function* (context: OrchestrationContext) {
  const { n, activity = 'double', file, delayMs } = context.df.getInput() as { n: number; activity?: string; file?: string; delayMs?: number };
  const tasks = [];
  const inputOf = (i: number) => (activity === 'recordCall' ? { file, index: i, delayMs } : activity === 'probeConcurrency' ? delayMs : i);
  for (let i = 0; i < n; i++) tasks.push(context.df.callActivity(activity, inputOf(i)));
  const results = (yield context.df.Task.all(tasks)) as number[];
  return { count: results.length, results };
});

orchestration('retry', function* (context: OrchestrationContext) {
  const input = context.df.getInput() as { activity: string; activityInput: unknown; firstRetryMs: number; maxAttempts: number; backoff?: number; maxIntervalMs?: number; retryTimeoutMs?: number };
  const options = new df.RetryOptions(input.firstRetryMs, input.maxAttempts);
  if (input.backoff) options.backoffCoefficient = input.backoff;
  if (input.maxIntervalMs) options.maxRetryIntervalInMilliseconds = input.maxIntervalMs;
  if (input.retryTimeoutMs) options.retryTimeoutInMilliseconds = input.retryTimeoutMs;
  return yield context.df.callActivityWithRetry(input.activity, options, input.activityInput);
});

/** Catches a retried activity's final failure and reports it, to check what the orchestrator sees. */
orchestration('retryCaught', function* (context: OrchestrationContext) {
  try {
    yield context.df.callActivityWithRetry('alwaysFails', new df.RetryOptions(20, 2), { message: 'still broken' });
    return 'unexpected success';
  } catch (err) {
    return { caught: (err as Error).message };
  }
});

orchestration('raceTimer', function* (context: OrchestrationContext) {
  const { activityDelayMs, timerMs } = context.df.getInput() as { activityDelayMs: number; timerMs: number };
  const activity = context.df.callActivity('slowEcho', { value: 'activity', delayMs: activityDelayMs });
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + timerMs));
  const winner = yield context.df.Task.any([activity, timer]);
  if (winner === activity) {
    timer.cancel();
    return { winner: 'activity', result: activity.result };
  }
  return { winner: 'timer' };
});

orchestration('timerThenActivity', function* (context: OrchestrationContext) {
  const { timerMs } = context.df.getInput() as { timerMs: number };
  const start = context.df.currentUtcDateTime.getTime();
  yield context.df.createTimer(new Date(start + timerMs));
  const after = context.df.currentUtcDateTime.getTime();
  const echoed = yield context.df.callActivity('echo', 'after timer');
  return { elapsedMs: after - start, echoed };
});

orchestration('parent', function* (context: OrchestrationContext) {
  const { childId } = context.df.getInput() as { childId: string };
  const named = yield context.df.callSubOrchestrator('sequence', ['A', 'B'], childId);
  const generated = yield context.df.callSubOrchestrator('sequence', ['C']);
  let childFailure: string | undefined;
  try {
    yield context.df.callSubOrchestrator('throws', 'child boom');
  } catch (err) {
    childFailure = (err as Error).message;
  }
  return { named, generated, childFailure };
});

orchestration('counter', function* (context: OrchestrationContext) {
  const { n, max, trail = [] } = context.df.getInput() as { n: number; max: number; trail?: number[] };
  const doubled = (yield context.df.callActivity('double', n)) as number;
  if (n < max) {
    context.df.continueAsNew({ n: n + 1, max, trail: trail.length < 5 ? [...trail, doubled] : trail });
    return undefined;
  }
  return { n, lastDoubled: doubled, trail };
});

orchestration('approval', function* (context: OrchestrationContext) {
  context.df.setCustomStatus({ stage: 'waiting for approval' });
  const decision = yield context.df.waitForExternalEvent('approval');
  context.df.setCustomStatus({ stage: 'decided' });
  return { decision };
});

orchestration('throws', function* (context: OrchestrationContext) {
  yield context.df.callActivity('echo', 'before');
  throw new Error(String(context.df.getInput() ?? 'boom'));
});

orchestration('longTimer', function* (context: OrchestrationContext) {
  const { ms } = context.df.getInput() as { ms: number };
  const start = context.df.currentUtcDateTime.getTime();
  yield context.df.createTimer(new Date(start + ms));
  return { elapsedMs: context.df.currentUtcDateTime.getTime() - start };
});

/**
 * Retry bookkeeping (delay timers, re-attempts) interleaved with other tasks in one Task.all, then
 * more tasks after it: completes with the right results only if the host numbers tasks exactly as
 * the engine does (a wrong number leaves a task waiting forever, or hands it another's result).
 */
orchestration('interleavedNumbering', function* (context: OrchestrationContext) {
  const { key } = context.df.getInput() as { key: string };
  const [retried, echoed, , doubled] = (yield context.df.Task.all([
    context.df.callActivityWithRetry('flaky', new df.RetryOptions(30, 3), { key, failures: 2 }),
    context.df.callActivity('slowEcho', { value: 'echo', delayMs: 20 }),
    context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60)),
    context.df.callActivity('double', 21),
  ])) as [unknown, unknown, unknown, number];
  const after = yield context.df.callSubOrchestrator('sequence', ['after']);
  return { retried, echoed, doubled, after };
});

orchestration('callsUnknownActivity', function* (context: OrchestrationContext) {
  return yield context.df.callActivity('doesNotExist', 1);
});

// ---- HTTP starter -------------------------------------------------------------------------

/** The classic durable HTTP starter: POST /api/orchestrators/{name} starts it and answers 202 with the management URLs. */
app.http('startOrchestration', {
  route: 'orchestrators/{name}/{instanceId?}',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const client = df.getClient(context);
    const text = await request.text();
    const instanceId = await client.startNew(request.params.name, {
      instanceId: request.params.instanceId,
      input: text ? JSON.parse(text) : undefined,
    });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

/** GET /api/status/{id}: reads status through the durable client (the RPC endpoint). */
app.http('clientStatus', {
  route: 'status/{instanceId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const client = df.getClient(context);
    try {
      const status = await client.getStatus(request.params.instanceId, { showHistory: true, showHistoryOutput: true });
      return { jsonBody: status };
    } catch (err) {
      return { status: 404, jsonBody: { message: (err as Error).message } };
    }
  },
});

/** POST /api/raise/{id}/{event}: raises an event through the durable client. */
app.http('clientRaise', {
  route: 'raise/{instanceId}/{eventName}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const client = df.getClient(context);
    await client.raiseEvent(request.params.instanceId, request.params.eventName, await request.json());
    return { status: 202 };
  },
});

// ---- queue triggers --------------------------------------------------------------------------

/**
 * Records each delivery (body and trigger metadata) in the file the message names, then fails
 * when the message asks it to: the host's retry and poison rules are then visible.
 */
app.storageQueue('recordQueue', {
  queueName: '%SAMPLES_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: (message: unknown, context: InvocationContext) => {
    const m = message as { file: string; fail?: boolean };
    fs.appendFileSync(m.file, `${JSON.stringify({ message, dequeueCount: context.triggerMetadata?.dequeueCount, id: context.triggerMetadata?.id })}\n`);
    if (m.fail) throw new Error('asked to fail');
  },
});
