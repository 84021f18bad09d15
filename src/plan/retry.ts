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

/** The wait before run `attempt + 1`, or undefined when the failure is final or the tries are spent. */
export function retryWaitMs(code: string, attempt: number, waitSeconds: number): number | undefined {
  const kind = failureClass(code);
  if (kind === 'final' || attempt >= ACTIVITY_TRIES) return undefined;
  return waitSeconds * 1000 * 2 ** (attempt - 1) * (kind === 'throttled' ? 4 : 1);
}
