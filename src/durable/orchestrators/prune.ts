/**
 * prune: sync --delete-destination, after the copy: the destination's listing a page at a time
 * (pruneDestination), continuing as new every PAGES_PER_GENERATION pages so no instance
 * schedules more than a few hundred tasks, whatever the destination holds.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { retryBudget } from '../../plan/retry';
import { pruneDestination, type PruneArgs, type Pruned } from '../activities/pruneDestination';
import { callRetrying, orchestration } from '../calls';
import { FAILURES_KEPT } from './migrate';

const PAGES_PER_GENERATION = 200;

export interface PruneInput extends Omit<PruneArgs, 'continuation'> {
  continuation?: string;
  removed: number;
  failures: Pruned['failures'];
}

export type PruneSummary = Pick<PruneInput, 'removed' | 'failures'>;

export const prune = orchestration<PruneInput, PruneSummary | undefined>('prune', pruneOrchestrator);

function* pruneOrchestrator(context: OrchestrationContext): Generator<Task, PruneSummary | undefined, unknown> {
  const input = context.df.getInput() as PruneInput;
  const retries = retryBudget(input.job.limits.retryWaitSeconds);
  let { continuation, removed } = input;
  const failures = [...input.failures];
  for (let pages = 0; pages < PAGES_PER_GENERATION; pages++) {
    context.df.setCustomStatus({ phase: 'removing', removed });
    const page = yield* callRetrying(context, pruneDestination, { job: input.job, sourcePrefix: input.sourcePrefix, destinationPrefix: input.destinationPrefix, continuation }, retries);
    if (!page.ok) return { removed, failures: [...failures, { source: '(listing)', destination: '(listing)', code: page.code, message: `Removing what the source no longer has stopped: ${page.message}` }] };
    removed += page.removed;
    failures.push(...page.failures.slice(0, Math.max(0, FAILURES_KEPT - failures.length)));
    continuation = page.next;
    if (!continuation) return { removed, failures };
  }
  context.df.continueAsNew({ ...input, continuation, removed, failures });
  return undefined;
}
