/**
 * Storage blob and queue output bindings on the local host, written to real Azurite by a real
 * v4 app (test/support/apps/outputBindings.ts) called over real HTTP or through a real queue:
 * paths from the request body, query and builtins, the account a connection setting names,
 * queue messages base64-encoded one per array item, a queue trigger's return binding, and an
 * expression the data cannot give failing its invocation with nothing written.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { createLogger } from '../../src/local/logger';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { makeTestAppDir, startTestHost, type TestAppDir } from '../support/localHost';
import type { LocalHost } from '../../src/local/host';

const OUTPUTS_ENTRY = path.join(__dirname, '..', 'support', 'apps', 'outputBindings.js');
const SETTINGS = ['AzureWebJobsStorage', 'BACKUPS_STORAGE', 'BACKUP_QUEUE', 'FORWARD_QUEUE'];

let azurite: TestAzurite;
let app: TestAppDir;
let host: { host: LocalHost; stop(): Promise<void> };
let queues: QueueServiceClient;
const logged: string[] = [];

before(async () => {
  azurite = await startTestAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString();
  process.env.BACKUPS_STORAGE = azurite.connectionString(SECOND_ACCOUNT);
  // Mixed case on purpose: the storage extension lowercases queue names.
  process.env.BACKUP_QUEUE = 'Backup-Events';
  process.env.FORWARD_QUEUE = 'forward-in';
  app = makeTestAppDir();
  const hostJson = JSON.parse(fs.readFileSync(path.join(app.dir, 'host.json'), 'utf8'));
  hostJson.extensions.queues = { maxPollingInterval: '00:00:00.200' };
  fs.writeFileSync(path.join(app.dir, 'host.json'), JSON.stringify(hostJson));
  host = await startTestHost({ app, entryPoints: [OUTPUTS_ENTRY], logger: createLogger({ level: 'error', write: (line) => logged.push(line) }) });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString());
});
after(async () => {
  await host?.stop();
  app?.cleanup();
  for (const name of SETTINGS) delete process.env[name];
  await azurite?.cleanup();
});

const post = (route: string, body: unknown) =>
  fetch(`${host.host.url}/api/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function blobText(container: string, name: string, account?: string): Promise<string> {
  return (await azurite.blobService(account).getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString('utf8');
}

/** Takes every message on the queue (their raw text as stored). */
async function drain(queueName: string): Promise<string[]> {
  const queue = queues.getQueueClient(queueName);
  const texts: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return texts;
    for (const m of receivedMessageItems) {
      texts.push(m.messageText);
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}
const decoded = (texts: string[]) => texts.map((t) => Buffer.from(t, 'base64').toString('utf8'));

describe('HTTP trigger outputs', () => {
  it('writes the blob output to the path its body names, in the account its connection setting names, and the queue output base64-encoded', async () => {
    const res = await post('backups', { backupPath: '2024/db.json', content: { tables: 3 }, messages: 'backup 2024/db.json done' });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { saved: true });
    assert.equal(await blobText('backups', '2024/db.json', SECOND_ACCOUNT), '{"tables":3}');
    assert.equal(await azurite.blobService().getContainerClient('backups').exists(), false, 'not in AzureWebJobsStorage');
    const texts = await drain('backup-events');
    assert.deepEqual(decoded(texts), ['backup 2024/db.json done']);
    assert.equal(texts[0], Buffer.from('backup 2024/db.json done').toString('base64'), 'stored base64, as the Functions host writes');
  });

  it('writes one message per array item (objects as JSON), an object as one JSON message, bytes as they are', async () => {
    assert.equal((await post('backups', { messages: ['first', { second: 2 }, 3] })).status, 201);
    assert.deepEqual(decoded(await drain('backup-events')), ['first', '{"second":2}', '3']);
    assert.equal((await post('backups', { messages: { only: 'one' } })).status, 201);
    assert.deepEqual(decoded(await drain('backup-events')), ['{"only":"one"}']);
    assert.equal((await post('backups?bytes=true', { BACKUPPATH: 'raw.bin', content: 'plain bytes' })).status, 201, 'property names in any case');
    assert.equal(await blobText('backups', 'raw.bin', SECOND_ACCOUNT), 'plain bytes');
    assert.equal((await post('backups', { backupPath: 'text.txt', content: 'just text' })).status, 201);
    assert.equal(await blobText('backups', 'text.txt', SECOND_ACCOUNT), 'just text');
  });

  it('lets a query parameter win over a body property of the same name, as the host orders binding data', async () => {
    assert.equal((await post('backups?backupPath=from-query.txt', { backupPath: 'from-body.txt', content: 'q' })).status, 201);
    assert.equal(await blobText('backups', 'from-query.txt', SECOND_ACCOUNT), 'q');
    assert.equal(await azurite.blobService(SECOND_ACCOUNT).getContainerClient('backups').getBlobClient('from-body.txt').exists(), false);
  });

  it('resolves {Query.x}, {DateTime:yyyy}, {rand-guid:N} and {sys.methodName}, a new GUID per invocation', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${host.host.url}/api/stamped?tenant=acme`, { method: 'POST' })).status, 204);
    const names: string[] = [];
    for await (const blob of azurite.blobService().getContainerClient('stamped').listBlobsFlat()) names.push(blob.name);
    assert.equal(names.length, 2);
    for (const name of names) assert.match(name, new RegExp(`^acme/${new Date().getUTCFullYear()}/[0-9a-f]{32}-stamp\\.txt$`));
    assert.notEqual(names[0], names[1]);
  });

  it('fails the invocation (500) when an expression has no value, names binding and expression in the log, and writes nothing', async () => {
    const backups = async () => {
      const names: string[] = [];
      for await (const blob of azurite.blobService(SECOND_ACCOUNT).getContainerClient('backups').listBlobsFlat()) names.push(blob.name);
      return names;
    };
    const before = await backups();
    const res = await post('orphan', { someOtherName: 'x' });
    assert.equal(res.status, 500);
    const line = logged.find((l) => l.includes('orphan'));
    assert.ok(line, logged.join('\n'));
    assert.match(line, /output binding "blobOutput[0-9a-f]+"/);
    assert.match(line, /\{missingName\}/);
    assert.deepEqual(await backups(), before, 'nothing written');
  });
});

describe('queue trigger with a return binding', () => {
  it('writes the returned value to a blob named from the message JSON and its dequeue count', async () => {
    const inbound = queues.getQueueClient('forward-in');
    await inbound.createIfNotExists();
    await inbound.sendMessage(Buffer.from(JSON.stringify({ name: 'invoice-7' })).toString('base64'));
    const blob = azurite.blobService().getContainerClient('forwarded').getBlobClient('invoice-7-1.json');
    for (let i = 0; i < 200 && !(await blob.exists()); i++) await sleep(50);
    assert.deepEqual(JSON.parse(await blobText('forwarded', 'invoice-7-1.json')), { forwarded: { name: 'invoice-7' } });
  });
});
