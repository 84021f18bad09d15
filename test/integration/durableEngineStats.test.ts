/**
 * The engine's counters of orchestrator cost (episodes, replayed history, the largest history),
 * and the line the host logs with them when it stops: checked on a sequence of activities, whose
 * history grows by a known count per episode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/local/logger';
import { startTestHost } from '../support/localHost';

describe('the Durable engine counters', () => {
  it('count the episodes, the history they replayed and the largest history of a sequence of K activities', async () => {
    const lines: string[] = [];
    const { host, stop } = await startTestHost({ http: false, logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) });
    const k = 5;
    try {
      const id = host.engine.startNew('sequence', { input: Array.from({ length: k }, (_, i) => `n${i}`) });
      assert.equal((await host.engine.waitForCompletion(id, { timeoutMs: 30_000 })).runtimeStatus, 'Completed');
      const stats = host.engine.stats();
      // One episode to start, one per completed activity (one at a time: nothing to coalesce).
      assert.equal(stats.episodes, k + 1);
      // Every episode appends 4 events: OrchestratorStarted, what it was given (ExecutionStarted
      // or TaskCompleted), what it did (TaskScheduled or ExecutionCompleted), OrchestratorCompleted.
      assert.equal(stats.largestHistory, 4 * (k + 1));
      // Episode i replays the 4i events before it: 4 (0 + 1 + … + k).
      assert.equal(stats.historyEventsReplayed, (4 * k * (k + 1)) / 2);
      assert.ok(stats.orchestratorMs > 0, 'time was spent in orchestrator code');
      assert.equal(stats.instances, 1);
    } finally {
      await stop();
    }
    const summary = lines.find((line) => line.includes('Durable engine:'));
    assert.match(summary ?? '', new RegExp(`Durable engine: ${k + 1} episodes, \\d+ ms in orchestrator code \\(wall time, replays included; ${2 * k * (k + 1)} history events replayed\\), largest history ${4 * (k + 1)} events, 1 instance\\(s\\) kept`));
  });
});
