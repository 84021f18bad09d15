/**
 * Adaptive concurrency (pure): one pacer per copy's destination. A wave of work during which the
 * destination asked to slow down (503 ServerBusy, "over the account limit", 429) halves the
 * requests in flight for the next; two calm waves in a row double them again, up to
 * --concurrency (multiplicative decrease, as TCP and AzCopy's auto-tuning back off). In a sliding
 * window (paceAfterTask) a window's worth of calm tasks counts as a wave. The pace and why it is
 * what it is are in the status and the progress line.
 */
export interface Pace {
  /** Requests in flight per blob now (a prefix copy's window holds twice as many; its batches of small blobs a share each). */
  limit: number;
  /** Calm waves since the last throttling. */
  calm: number;
  /** Why the limit is not --concurrency, as people read it ("throttled by acct: 16 → 8"). */
  note?: string;
  /** Room taken by the tasks that ended calmly since the last wave was counted (sliding windows). */
  calmWeight?: number;
  /** Slowdowns so far (sliding windows: a task started before the last one says nothing new). */
  slowdowns?: number;
}

const CALM_WAVES_TO_RAISE = 2;

export function startPace(concurrency: number): Pace {
  return { limit: concurrency, calm: 0 };
}

/**
 * The pace after one task of a sliding window ended (its room `weight`, the window's `room`,
 * and `slowdowns` as they were when it started): a throttled task halves the pace at once,
 * unless it started before the last slowdown (it ran at the pace already halved for it, as TCP
 * halves once per window); tasks that filled the window once, all calm, count as one calm wave.
 */
export function paceAfterTask(pace: Pace, concurrency: number, task: { throttled: number; weight: number; slowdowns: number }, room: number, destination: string): Pace {
  const slowdowns = pace.slowdowns ?? 0;
  if (task.throttled > 0 && task.slowdowns < slowdowns) return pace;
  if (task.throttled > 0) return { ...nextPace(pace, concurrency, task.throttled, destination), slowdowns: slowdowns + 1 };
  const calmWeight = (pace.calmWeight ?? 0) + task.weight;
  if (calmWeight < room) return { ...pace, calmWeight };
  return { ...nextPace(pace, concurrency, 0, destination), calmWeight: 0, slowdowns };
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
