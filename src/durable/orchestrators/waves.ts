/**
 * Bounded concurrency inside an orchestrator, in waves: schedule up to `width` tasks, wait for
 * all of them (Task.all), then the next wave.
 *
 * Why not a sliding window over Task.any: durable-functions sends a task again whenever it
 * appears in a new Task.any, and the Durable extension schedules it again (durable-js #574).
 * A wave never reuses a task.
 */
import type { OrchestrationContext, Task } from 'durable-functions';

export function* inWaves<T>(
  context: OrchestrationContext,
  makers: Array<() => Task>,
  width: number,
  afterWave?: (results: T[], offset: number) => boolean | void,
): Generator<Task, T[], unknown> {
  const results: T[] = [];
  for (let offset = 0; offset < makers.length; offset += width) {
    const wave = makers.slice(offset, offset + width).map((make) => make());
    const waveResults = (yield context.df.Task.all(wave)) as T[];
    results.push(...waveResults);
    if (afterWave?.(waveResults, offset) === false) break;
  }
  return results;
}
