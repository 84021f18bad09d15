/**
 * When an activity that failed is run again (pure). Requests are already tried --max-tries times
 * inside an activity; this is the next level: the orchestration runs the activity again after a
 * durable timer, so an outage longer than the requests' own back-off, or a crash between tries,
 * loses nothing. Only failures that may pass are retried: retryable ones after `wait`, then
 * twice as long; throttled ones four times as long (the service asked to slow down).
 */
import { failureClass } from '../contracts/errors';

/** Runs of one activity, the first included. */
export const ACTIVITY_TRIES = 3;

/**
 * Runs again an orchestration may spend on all its activities together (one blob's copy, one
 * page of a prefix): a destination that keeps failing ends the copy's retrying, not only each step's.
 */
export const RETRY_BUDGET = 30;

/** What one orchestration run may still spend on activity retries, and how long it waits first. */
export interface RetryBudget {
  waitSeconds: number;
  left: number;
}

export function retryBudget(waitSeconds: number): RetryBudget {
  return { waitSeconds, left: RETRY_BUDGET };
}

/** The wait before run `attempt + 1`, or undefined when the failure is final or the tries are spent. */
export function retryWaitMs(code: string, attempt: number, waitSeconds: number): number | undefined {
  const kind = failureClass(code);
  if (kind === 'final' || attempt >= ACTIVITY_TRIES) return undefined;
  return waitSeconds * 1000 * 2 ** (attempt - 1) * (kind === 'throttled' ? 4 : 1);
}

/** The wait before run `attempt + 1` of a failed activity, spent from `budget`; undefined when it is not run again. */
export function nextRetry(code: string, attempt: number, budget: RetryBudget): number | undefined {
  const wait = retryWaitMs(code, attempt, budget.waitSeconds);
  if (wait === undefined || budget.left <= 0) return undefined;
  budget.left--;
  return wait;
}
