/**
 * The test harness's Azurite: started on free ports in a temporary folder with a second
 * account, reachable with SharedKey and container/blob SAS clients, and removed afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BlobClient, ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';

let azurite: TestAzurite;
before(async () => {
  azurite = await startTestAzurite();
});
after(async () => {
  const dir = azurite.dir;
  await azurite.cleanup();
  assert.equal(fs.existsSync(dir), false, 'the temporary folder is gone');
});

describe('test Azurite', () => {
  it('serves two accounts with SharedKey clients', async () => {
    for (const account of ['devstoreaccount1', SECOND_ACCOUNT]) {
      const container = azurite.blobService(account).getContainerClient('harness');
      await container.create();
      await container.getBlockBlobClient('hello.txt').upload('hi', 2);
      const body = await container.getBlobClient('hello.txt').downloadToBuffer();
      assert.equal(body.toString(), 'hi');
    }
  });

  it('hands out working container and blob SAS URLs, and refuses what the SAS does not allow', async () => {
    const container = new ContainerClient(azurite.containerSasUrl('harness', SECOND_ACCOUNT));
    await container.getBlockBlobClient('dir/name with spaces ü%#.txt').upload('sas', 3);
    const readOnly = new BlobClient(azurite.blobSasUrl('harness', 'dir/name with spaces ü%#.txt', SECOND_ACCOUNT, 'r'));
    assert.equal((await readOnly.downloadToBuffer()).toString(), 'sas');
    const noWrite = new ContainerClient(azurite.containerSasUrl('harness', SECOND_ACCOUNT, 'r'));
    await assert.rejects(noWrite.getBlockBlobClient('x').upload('no', 2), (err: { statusCode?: number }) => err.statusCode === 403);
  });

  it('provides queues through the connection string', async () => {
    const queues = QueueServiceClient.fromConnectionString(azurite.connectionString());
    const queue = queues.getQueueClient('harness-queue');
    await queue.create();
    await queue.sendMessage('m');
    const received = await queue.receiveMessages();
    assert.equal(received.receivedMessageItems[0]?.messageText, 'm');
  });
});
