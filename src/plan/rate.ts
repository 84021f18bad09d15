/** The rate between two progress points (pure). */
export interface ProgressPoint {
  at: number;
  bytes: number;
}

export function bytesPerSecond(previous: ProgressPoint, now: ProgressPoint): number {
  const seconds = (now.at - previous.at) / 1000;
  return seconds > 0 ? Math.round((now.bytes - previous.bytes) / seconds) : 0;
}
