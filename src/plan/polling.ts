/** How long to wait before the next status poll of a server copy (pure). */

/** Each wait is this much longer than the one before, up to the longest. */
const POLL_GROWTH = 1.5;

/** Milliseconds to wait after `polls` polls, never past the deadline. */
export function nextPollWaitMs(polls: number, limits: { pollFirstSeconds: number; pollMaxSeconds: number }, msToDeadline: number): number {
  const seconds = Math.min(limits.pollMaxSeconds, limits.pollFirstSeconds * POLL_GROWTH ** polls);
  return Math.max(0, Math.min(Math.round(seconds * 1000), msToDeadline));
}
