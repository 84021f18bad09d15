/**
 * Typed durable calls. Each activity and orchestration is defined once, with its one name and
 * the types of what it takes and returns (`activity(...)`, `orchestration(...)`, next to its
 * handler); src/functions/ registers those definitions, and orchestrators call through them, so
 * no name is typed twice and a call cannot pass or expect the wrong shape.
 */
import type { InvocationContext } from '@azure/functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { nextRetry, type RetryBudget } from '../plan/retry';

export interface Activity<In, Out> {
  readonly name: string;
  readonly handler: (input: In, context: InvocationContext) => Promise<Out>;
  /** The activity needs a durable client binding (to raise events on other instances). */
  readonly durableClient?: boolean;
}

export interface Orchestration<In, Out> {
  readonly name: string;
  readonly handler: (context: OrchestrationContext) => Generator<Task, Out, unknown>;
  /** Never set: carries the input type to callers (a function type, so a list of orchestrations can hold any). */
  readonly input?: (input: In) => void;
}

export function activity<In, Out>(name: string, handler: (input: In, context: InvocationContext) => Promise<Out>, options: { durableClient?: boolean } = {}): Activity<In, Out> {
  return { name, handler, ...options };
}

export function orchestration<In, Out>(name: string, handler: (context: OrchestrationContext) => Generator<Task, Out, unknown>): Orchestration<In, Out> {
  return { name, handler };
}

/** A scheduled task whose result has a known type (read it with resultOf once it completed). */
export type TypedTask<Out> = Task & { readonly __result?: Out };

export function schedule<In, Out>(context: OrchestrationContext, target: Activity<In, Out>, input: In): TypedTask<Out> {
  return context.df.callActivity(target.name, input);
}

export function scheduleChild<In, Out>(context: OrchestrationContext, target: Orchestration<In, Out>, input: In, instanceId: string): TypedTask<Out> {
  return context.df.callSubOrchestrator(target.name, input, instanceId);
}

/** Runs one activity and answers its result. */
export function* call<In, Out>(context: OrchestrationContext, target: Activity<In, Out>, input: In): Generator<Task, Out, unknown> {
  return (yield schedule(context, target, input)) as Out;
}

/**
 * An activity's failed result, run again after durable timers while it failed for a reason that
 * may pass (plan/retry.ts); the last result either way.
 */
export function* retried<In, Out extends { ok: boolean; code?: string }>(context: OrchestrationContext, target: Activity<In, Out>, input: In, first: Out, budget: RetryBudget): Generator<Task, Out, unknown> {
  let result = first;
  for (let attempt = 1; !result.ok; attempt++) {
    const wait = nextRetry(result.code ?? '', attempt, budget);
    if (wait === undefined) break;
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
    result = yield* call(context, target, input);
  }
  return result;
}

/** Runs one activity, and again while it fails for a reason that may pass. */
export function* callRetrying<In, Out extends { ok: boolean; code?: string }>(context: OrchestrationContext, target: Activity<In, Out>, input: In, budget: RetryBudget): Generator<Task, Out, unknown> {
  return yield* retried(context, target, input, yield* call(context, target, input), budget);
}

export function resultOf<Out>(task: TypedTask<Out>): Out {
  return task.result as Out;
}
