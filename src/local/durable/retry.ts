/**
 * Retry timing for callActivityWithRetry / callSubOrchestratorWithRetry, computed as
 * DurableTask.Core's RetryInterceptor does: the delay after failed attempt n (0-based) is
 * firstRetryInterval × backoffCoefficient^n, capped at maxRetryInterval; no retry once
 * retryTimeout has passed since the first attempt.
 */
import type { RetryOptionsData } from './orchestratorState';

export function retryDelayMs(options: RetryOptionsData, failedAttemptIndex: number): number {
  const coefficient = options.backoffCoefficient && options.backoffCoefficient > 0 ? options.backoffCoefficient : 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttemptIndex);
  const cap = options.maxRetryIntervalInMilliseconds && options.maxRetryIntervalInMilliseconds > 0 ? options.maxRetryIntervalInMilliseconds : Number.POSITIVE_INFINITY;
  return Math.min(delay, cap);
}

export function retryTimeoutExpired(options: RetryOptionsData, firstAttemptAt: string, now: string): boolean {
  const timeout = options.retryTimeoutInMilliseconds;
  if (!timeout || timeout <= 0 || !Number.isFinite(timeout)) return false;
  return Date.parse(now) - Date.parse(firstAttemptAt) >= timeout;
}
