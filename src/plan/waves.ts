/** Grouping work into waves (pure), and the rate between two progress points. */

/**
 * Consecutive groups whose weights (requests each task keeps in flight) add up to at most
 * `budget`; a task heavier than the budget goes alone.
 */
export function planWaves(weights: number[], budget: number): number[][] {
  const waves: number[][] = [];
  let current: number[] = [];
  let load = 0;
  weights.forEach((weight, index) => {
    if (current.length > 0 && load + weight > budget) {
      waves.push(current);
      current = [];
      load = 0;
    }
    current.push(index);
    load += weight;
  });
  if (current.length > 0) waves.push(current);
  return waves;
}

export interface ProgressPoint {
  at: number;
  bytes: number;
}

export function bytesPerSecond(previous: ProgressPoint, now: ProgressPoint): number {
  const seconds = (now.at - previous.at) / 1000;
  return seconds > 0 ? Math.round((now.bytes - previous.bytes) / seconds) : 0;
}
