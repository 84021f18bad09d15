/**
 * Batch migrations from the jobs queue (copy-jobs on the app's storage, Azurite here), through
 * the product app on the local host: jobs start, copy and leave a summary blob; an invalid
 * message is poisoned at once with its reasons; a message delivered again starts nothing new.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { LocalHost } from '../../src/local/host';
import { createLogger } from '../../src/local/logger';
import type { InstanceStatus } from '../../src/local/durable/status';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { startCopyHost, type CopyHost } from '../support/copyHost';

let azurite: TestAzurite;
/** Warnings and errors the host logged. */
const problems: string[] = [];
let copies: CopyHost;
let host: LocalHost;
let jobs: QueueClient;
let poisonQueue: QueueClient;
let source: ContainerClient;
let target: ContainerClient;

before(async () => {
  azurite = await startTestAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString();
  copies = await startCopyHost({ queues: { maxDequeueCount: 2, visibilityTimeout: '00:00:00', maxPollingInterval: '00:00:00.200' }, logger: createLogger({ level: 'warn', write: (line) => problems.push(line) }) });
  host = copies.host;
  const queues = QueueServiceClient.fromConnectionString(azurite.connectionString());
  jobs = queues.getQueueClient('copy-jobs');
  poisonQueue = queues.getQueueClient('copy-jobs-poison');
  await jobs.createIfNotExists();
  source = azurite.blobService().getContainerClient('source');
  target = azurite.blobService(SECOND_ACCOUNT).getContainerClient('target');
  await Promise.all([source.create(), target.create()]);
  for (const name of ['a.txt', 'b.txt', 'c.txt']) await source.getBlockBlobClient(`jobs/${name}`).upload(name, name.length);
});
after(async () => {
  await copies.stop();
  await azurite.cleanup();
});

const send = (body: unknown) => jobs.sendMessage(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'));
const request = (name: string, extra: Record<string, unknown> = {}) => ({
  source: azurite.blobSasUrl('source', `jobs/${name}`),
  destination: `${azurite.containerSasUrl('target', SECOND_ACCOUNT).replace('/target?', `/target/from-queue/${name}?`)}`,
  ...extra,
});
const copyJobs = () => host.engine.list({}).instances.filter((i) => i.name === 'copyJob');

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function poisoned(count: number): Promise<Array<Record<string, any>>> {
  return until('the poison queue', async () => {
    if (!(await poisonQueue.exists())) return undefined;
    const items = (await poisonQueue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
    return items.length >= count ? items.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8'))) : undefined;
  });
}

const done = (id: string) => until(`job ${id}`, () => {
  const status = host.engine.getStatus(id);
  return status && ['Completed', 'Failed'].includes(status.runtimeStatus) ? status : undefined;
});

it('runs a batch of jobs: the valid ones copy and leave a summary blob, the invalid one is poisoned with its reasons', async () => {
  await send(request('a.txt'));
  await send({ id: 'migration-7', requests: [request('b.txt'), request('c.txt', { options: { overwrite: 'always' } })] });
  await send({ source: 'ftp://nowhere/x', destination: 'https://acct.blob.core.windows.net/c/x', options: { colour: 'blue' } });

  const batch = await done('job-migration-7');
  assert.equal(batch.runtimeStatus, 'Completed', JSON.stringify(batch));
  const output = batch.output as { totals: Record<string, number>; summaryBlob: string };
  assert.deepEqual(output.totals, { transfers: 2, completed: 2, failed: 0, blobsCopied: 2, blobsFailed: 0, bytesCopied: 10 });
  assert.match(output.summaryBlob, /\/copy-results\/migration-7\.json$/);
  assert.equal((batch.customStatus as { summaryBlob?: string }).summaryBlob, output.summaryBlob, 'the status names the summary blob');
  const summary = JSON.parse((await azurite.blobService().getContainerClient('copy-results').getBlobClient('migration-7.json').downloadToBuffer()).toString());
  assert.deepEqual(summary.transfers.map((t: { id: string; runtimeStatus: string }) => [t.id, t.runtimeStatus]), [['job-migration-7:1', 'Completed'], ['job-migration-7:2', 'Completed']]);

  const single = await until('the single job', () => copyJobs().find((i) => i.instanceId.startsWith('job-msg-')));
  assert.equal((await done(single.instanceId)).runtimeStatus, 'Completed');
  for (const name of ['a.txt', 'b.txt', 'c.txt']) assert.equal((await target.getBlobClient(`from-queue/${name}`).downloadToBuffer()).toString(), name);

  const [refused] = await poisoned(1);
  assert.equal(refused.refused, 'not a valid copy job');
  assert.equal(refused.problems[0].code, 'BAD_REQUEST');
  assert.match(refused.problems[0].message, /colour/);
  assert.equal(refused.message.source, 'ftp://nowhere/x', 'the message travels with its reasons');
  assert.equal(copyJobs().length, 2, 'the invalid message started nothing');
});

it('reports a transfer that fails inside a job, and the others go on', async () => {
  await send({ id: 'half-bad', requests: [request('a.txt', { options: { overwrite: 'always' } }), { ...request('a.txt'), source: azurite.blobSasUrl('source', 'jobs/missing.txt') }] });
  const job = await done('job-half-bad');
  const output = job.output as { transfers: Array<{ id: string; runtimeStatus: string; error?: string }>; totals: Record<string, number> };
  assert.deepEqual(output.transfers.map((t) => [t.id, t.runtimeStatus]), [['job-half-bad:1', 'Completed'], ['job-half-bad:2', 'Failed']]);
  assert.match(output.transfers[1].error ?? '', /^SOURCE_NOT_FOUND: /, 'the transfer\'s code and message, without the wrapper');
  assert.equal(output.totals.failed, 1);
});

it('starts nothing new for a job delivered again', async () => {
  const before = host.engine.getStatus('job-migration-7') as InstanceStatus;
  const jobsBefore = copyJobs().length;
  await send({ id: 'migration-7', requests: [request('b.txt'), request('c.txt', { options: { overwrite: 'always' } })] });
  await until('the queue to drain', async () => ((await jobs.getProperties()).approximateMessagesCount === 0 ? true : undefined));
  await sleep(500);
  assert.equal(copyJobs().length, jobsBefore);
  assert.equal(host.engine.getStatus('job-migration-7')?.createdTime, before.createdTime, 'the same instance, not restarted');
});

it('starts one job, quietly, for two deliveries of one message arriving together', async () => {
  problems.length = 0;
  const message = { id: 'twin-delivery', requests: [request('a.txt', { id: 'twin-a', options: { overwrite: 'always' } })] };
  await Promise.all([send(message), send(message)]);
  const status = await done('job-twin-delivery');
  assert.equal(status.runtimeStatus, 'Completed');
  await until('the queue to drain', async () => ((await jobs.getProperties()).approximateMessagesCount === 0 ? true : undefined));
  await sleep(500);
  assert.equal(copyJobs().filter((i) => i.instanceId === 'job-twin-delivery').length, 1);
  assert.deepEqual(problems.filter((line) => /copyJobs|twin-delivery/.test(line)), [], 'no failed delivery, no error');
});

it('poisons messages that are not JSON, or hold no request, at once with the reason', async () => {
  await send('hello, not json');
  await send({ id: 'empty', requests: [] });
  const refused = await poisoned(3);
  const codes = refused.slice(1).map((r) => r.problems[0].code).sort();
  assert.deepEqual(codes, ['BAD_REQUEST', 'INVALID_JSON']);
});
