/**
 * Queue triggers on the local host, with Functions semantics, against Azurite's queues: base64
 * bodies, trigger metadata, a failing message retried with its dequeue count and moved to
 * `<queue>-poison` after maxDequeueCount, a body that is not base64 poisoned at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startTestAzurite, type TestAzurite } from '../support/azurite';
import { makeTestAppDir, startTestHost, type TestAppDir } from '../support/localHost';
import type { LocalHost } from '../../src/local/host';

let azurite: TestAzurite;
let app: TestAppDir;
let host: { host: LocalHost; stop(): Promise<void> };
let queues: QueueServiceClient;

before(async () => {
  azurite = await startTestAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString();
  process.env.SAMPLES_QUEUE = 'samples-work';
  app = makeTestAppDir();
  const hostJson = JSON.parse(fs.readFileSync(path.join(app.dir, 'host.json'), 'utf8'));
  hostJson.extensions.queues = { maxDequeueCount: 3, visibilityTimeout: '00:00:00', maxPollingInterval: '00:00:00.200' };
  fs.writeFileSync(path.join(app.dir, 'host.json'), JSON.stringify(hostJson));
  host = await startTestHost({ app });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString());
  await queues.getQueueClient('samples-work').createIfNotExists();
});
after(async () => {
  await host.stop();
  app.cleanup();
  delete process.env.AzureWebJobsStorage;
  await azurite.cleanup();
});

const send = (body: unknown) => queues.getQueueClient('samples-work').sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
const deliveries = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: unknown; dequeueCount: number; id: string }) : []);

async function poisoned(count: number): Promise<string[]> {
  const poison = queues.getQueueClient('samples-work-poison');
  for (let i = 0; i < 200; i++) {
    if (await poison.exists()) {
      const peeked = (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
      if (peeked.length >= count) return peeked.map((m) => m.messageText);
    }
    await sleep(50);
  }
  throw new Error('nothing reached the poison queue');
}

it('delivers a base64 JSON message with its metadata once, and deletes it', async () => {
  const file = path.join(app.dir, 'ok.jsonl');
  await send({ file, hello: 'ü' });
  for (let i = 0; i < 200 && deliveries(file).length === 0; i++) await sleep(25);
  await sleep(400);
  const seen = deliveries(file);
  assert.equal(seen.length, 1, JSON.stringify(seen));
  assert.deepEqual(seen[0].message, { file, hello: 'ü' });
  assert.equal(seen[0].dequeueCount, 1);
  assert.match(seen[0].id, /^[0-9a-f-]{36}$/);
  assert.equal((await queues.getQueueClient('samples-work').peekMessages()).peekedMessageItems.length, 0, 'deleted after success');
});

it('retries a failing message with a growing dequeue count, then moves it to the poison queue', async () => {
  const file = path.join(app.dir, 'fail.jsonl');
  await send({ file, fail: true });
  const [text] = await poisoned(1);
  assert.deepEqual(deliveries(file).map((d) => d.dequeueCount), [1, 2, 3], 'maxDequeueCount attempts');
  assert.deepEqual(JSON.parse(Buffer.from(text, 'base64').toString()), { file, fail: true }, 'the message as it was sent');
});

it('poisons a body that is not base64 at once, without calling the function', async () => {
  await queues.getQueueClient('samples-work').sendMessage('this is not base64!');
  const texts = await poisoned(2);
  assert.ok(texts.includes('this is not base64!'), JSON.stringify(texts));
});
