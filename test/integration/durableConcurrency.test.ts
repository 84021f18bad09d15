/** host.json's maxConcurrentActivityFunctions bounds how many activities run at once. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LocalHost } from '../../src/local/host';
import { makeTestAppDir, startTestHost } from '../support/localHost';

let host: LocalHost;
let stop: () => Promise<void>;
const app = makeTestAppDir({ maxConcurrentActivityFunctions: 3 });

before(async () => {
  ({ host, stop } = await startTestHost({ app }));
});
after(async () => {
  await stop();
  app.cleanup();
});

it('runs at most maxConcurrentActivityFunctions activities at once', async () => {
  assert.equal(host.config.maxConcurrentActivityFunctions, 3);
  const id = host.engine.startNew('fanOut', { input: { n: 30, activity: 'probeConcurrency', delayMs: 20 } });
  const status = await host.engine.waitForCompletion(id, { timeoutMs: 30_000 });
  const seen = Math.max(...(status.output as { results: number[] }).results);
  assert.equal(seen, 3, 'the limit was reached and never exceeded');
});
