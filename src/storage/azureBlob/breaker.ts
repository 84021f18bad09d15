/**
 * A circuit breaker for an RA-GRS account's reads (pure), after the failover sample among the
 * seeds: after FAILURES_TO_OPEN primary reads in a row failed for a reason that may pass, reads
 * go to the read-only secondary; after READS_TO_CLOSE secondary reads, the primary is tried again
 * (it may be back). A read on the secondary is pinned to the version being copied, so a
 * secondary that lags is never used for that blob (the primary serves it).
 */
export interface Breaker {
  /** Reads go to the secondary. */
  open: boolean;
  /** Primary reads that failed in a row. */
  failures: number;
  /** Secondary reads since the breaker opened. */
  secondaryReads: number;
}

export const FAILURES_TO_OPEN = 3;
export const READS_TO_CLOSE = 100;

export const CLOSED: Breaker = { open: false, failures: 0, secondaryReads: 0 };

export function afterPrimaryRead(breaker: Breaker, succeeded: boolean): Breaker {
  if (succeeded) return CLOSED;
  const failures = breaker.failures + 1;
  return failures >= FAILURES_TO_OPEN ? { open: true, failures, secondaryReads: 0 } : { ...breaker, failures };
}

export function afterSecondaryRead(breaker: Breaker): Breaker {
  const secondaryReads = breaker.secondaryReads + 1;
  return secondaryReads >= READS_TO_CLOSE ? CLOSED : { ...breaker, secondaryReads };
}
