/**
 * Adaptive concurrency (pure): one pacer per copy's destination. A wave of work during which the
 * destination asked to slow down (503 ServerBusy, "over the account limit", 429) halves the
 * requests in flight for the next; two calm waves in a row double them again, up to
 * --concurrency (multiplicative decrease, as TCP and AzCopy's auto-tuning back off). The pace
 * and why it is what it is are in the status and the progress line.
 */
export interface Pace {
  /** Requests in flight per batch now. */
  limit: number;
  /** Calm waves since the last throttling. */
  calm: number;
  /** Why the limit is not --concurrency, as people read it ("throttled by acct: 16 → 8"). */
  note?: string;
}

const CALM_WAVES_TO_RAISE = 2;

export function startPace(concurrency: number): Pace {
  return { limit: concurrency, calm: 0 };
}

/** The pace after a wave in which the destination asked to slow down `throttled` times. */
export function nextPace(pace: Pace, concurrency: number, throttled: number, destination: string): Pace {
  if (throttled > 0) {
    const limit = Math.max(1, Math.floor(pace.limit / 2));
    return { limit, calm: 0, note: `throttled by ${destination}: ${pace.limit} → ${limit}` };
  }
  const calm = pace.calm + 1;
  if (calm < CALM_WAVES_TO_RAISE || pace.limit >= concurrency) return { ...pace, calm };
  const limit = Math.min(concurrency, pace.limit * 2);
  return { limit, calm: 0, ...(limit < concurrency ? { note: `recovering on ${destination}: ${pace.limit} → ${limit}` } : {}) };
}
