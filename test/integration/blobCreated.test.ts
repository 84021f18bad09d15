/**
 * Mirroring new blobs from Event Grid BlobCreated events, through the local host's Event Grid
 * webhook (as `func start` serves it) and the product app, on Azurite: both event schemas, the
 * validation handshakes, duplicate deliveries, loop protection, events to ignore, bad payloads.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import type { LocalHost } from '../../src/local/host';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { startCopyHost, type CopyHost } from '../support/copyHost';

let azurite: TestAzurite;
let copies: CopyHost;
let host: LocalHost;
let uploads: ContainerClient;
let mirror: ContainerClient;

before(async () => {
  azurite = await startTestAzurite();
  // The second rule's source holds the first rule's destination: only loop protection keeps a
  // copy from being copied again.
  process.env.BLOBFERRY_MIRROR_RULES = JSON.stringify([
    { source: `${azurite.blobEndpoint()}/uploads/incoming/`, destination: azurite.containerSasUrl('mirror', SECOND_ACCOUNT).replace('/mirror?', '/mirror/copies/?'), options: { overwrite: 'always' } },
    { source: azurite.containerSasUrl('mirror', SECOND_ACCOUNT), destination: `${azurite.blobEndpoint()}/uploads/archive/` },
  ]);
  // As on a developer's machine: Azurite is the app's storage, so mirror rules may name it.
  process.env.AzureWebJobsStorage = azurite.connectionString();
  copies = await startCopyHost();
  host = copies.host;
  uploads = azurite.blobService().getContainerClient('uploads');
  mirror = azurite.blobService(SECOND_ACCOUNT).getContainerClient('mirror');
  await Promise.all([uploads.create(), mirror.create()]);
});
after(async () => {
  await copies.stop();
  delete process.env.AzureWebJobsStorage;
  await azurite.cleanup();
});

const webhook = () => `${host.url}/runtime/webhooks/eventgrid?functionName=blobCreated`;
/** As storage events may carry it: the name not percent-encoded. */
const rawBlobUrl = (container: string, name: string, account?: string) => `${azurite.blobEndpoint(account)}/${container}/${name}`;

/** The documented sample BlobCreated event (Event Grid schema), for a blob of ours. */
function gridEvent(name: string, extra: { id?: string; clientRequestId?: string; eventType?: string; container?: string; account?: string } = {}) {
  const container = extra.container ?? 'uploads';
  return {
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${extra.account ?? 'devstoreaccount1'}`,
    subject: `/blobServices/default/containers/${container}/blobs/${name}`,
    eventType: extra.eventType ?? 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    id: extra.id ?? randomUUID(),
    data: { api: 'PutBlockList', clientRequestId: extra.clientRequestId ?? randomUUID(), requestId: randomUUID(), eTag: '0x8D4BCC2E4835CD0', contentType: 'text/plain', contentLength: 5, blobType: 'BlockBlob', url: rawBlobUrl(container, name, extra.account), sequencer: '00000000000004420000000000028963', storageDiagnostics: { batchId: 'b68529f3-68cd-4744-baa4-3c0498ec19f0' } },
    dataVersion: '',
    metadataVersion: '1',
  };
}

const deliver = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const mirrorCopies = () => host.engine.list({ instanceIdPrefix: 'mirror-' }).instances.filter((i) => !i.instanceId.includes(':'));

async function settled(): Promise<void> {
  for (const copy of mirrorCopies()) await host.engine.waitForCompletion(copy.instanceId, { timeoutMs: 60_000 });
}

it('answers the subscription validation handshakes of both schemas', async () => {
  const validation = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, body: JSON.stringify([{ id: randomUUID(), eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'CODE-512' } }]) });
  assert.equal(validation.status, 200);
  assert.deepEqual(await validation.json(), { validationResponse: 'CODE-512' });
  const options = await fetch(webhook(), { method: 'OPTIONS', headers: { 'webhook-request-origin': 'eventgrid.azure.net' } });
  assert.equal(options.status, 200);
  assert.equal(options.headers.get('webhook-allowed-origin'), 'eventgrid.azure.net');
});

it('mirrors a new blob named by the sample event, once for three deliveries', async () => {
  const name = 'incoming/deep/report 1 ü#%.txt';
  await uploads.getBlockBlobClient(name).upload('hello', 5);
  const event = gridEvent(name);
  for (let i = 0; i < 3; i++) assert.equal((await deliver([event])).status, 202);
  await settled();
  assert.equal(mirrorCopies().length, 1, 'duplicate deliveries collapse');
  assert.equal((await mirror.getBlobClient('copies/deep/report 1 ü#%.txt').downloadToBuffer()).toString(), 'hello');
});

it('mirrors a blob named by a CloudEvent', async () => {
  const name = 'incoming/cloud.txt';
  await uploads.getBlockBlobClient(name).upload('cloud', 5);
  const grid = gridEvent(name);
  const cloudEvent = { specversion: '1.0', type: grid.eventType, source: grid.topic, id: randomUUID(), subject: grid.subject, time: grid.eventTime, data: grid.data };
  assert.equal((await deliver(cloudEvent, { 'content-type': 'application/cloudevents+json; charset=utf-8' })).status, 202);
  await settled();
  assert.equal((await mirror.getBlobClient('copies/cloud.txt').downloadToBuffer()).toString(), 'cloud');
});

it('starts nothing for its own writes, for blobs under a destination or under no rule, and for other events', async () => {
  const before = mirrorCopies().length;
  await uploads.getBlockBlobClient('incoming/own.txt').upload('own', 3);
  await uploads.getBlockBlobClient('elsewhere/x.txt').upload('x', 1);
  await mirror.getBlockBlobClient('copies/again.txt').upload('again', 5);
  const copyOfACopy = gridEvent('copies/again.txt', { container: 'mirror', account: SECOND_ACCOUNT });
  const deliveries = [
    [gridEvent('incoming/own.txt', { clientRequestId: `blobferry-${randomUUID()}` })],
    [copyOfACopy],
    [gridEvent('elsewhere/x.txt')],
    [gridEvent('incoming/own.txt', { eventType: 'Microsoft.Storage.BlobDeleted' })],
  ];
  for (const body of deliveries) assert.equal((await deliver(body)).status, 202);
  assert.equal(mirrorCopies().length, before);
  assert.equal(await mirror.getBlobClient('copies/own.txt').exists(), false);
  assert.equal(await uploads.getBlobClient('archive/copies/again.txt').exists(), false, 'a copy is never copied again, even under another rule');
});

it('refuses payloads that are not events', async () => {
  for (const body of ['{not json', { id: 'x' }, [{ hello: 'world' }], []]) {
    const res = await deliver(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { message: string }).message, /JSON|event/i);
  }
  assert.equal((await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=nope`, { method: 'POST', body: '[]' })).status, 404);
});
