/**
 * The fault-injecting proxy in front of Azurite: asynchronous Copy Blob reported pending for a
 * number of polls then succeeding or failing, Abort Copy Blob of a pending copy and of one that
 * is not, writes refused while a copy is pending, and Azure error answers and dropped
 * connections that the SDK retries. The SDK talks to the proxy; copy sources are Azurite URLs.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BlobServiceClient, type BlobBeginCopyFromUrlPollState, type BlobClient, StorageSharedKeyCredential, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { isCopyBlob, startStorageProxy, type PendingCopyPlan, type ProxiedRequest, type StorageProxy } from '../support/storageProxy';

let azurite: TestAzurite;
let proxy: StorageProxy;
/** The source container, on Azurite directly. */
let source: ContainerClient;
/** The destination container, through the proxy (retries after 10 ms). */
let target: ContainerClient;
let n = 0;

const DEV = 'devstoreaccount1';
const viaProxy = (retryOptions: StoragePipelineOptions['retryOptions'] = {}) => {
  const account = azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!;
  const credential = new StorageSharedKeyCredential(account.name, account.key);
  return new BlobServiceClient(`${proxy.origin}/${account.name}`, credential, { retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50, ...retryOptions } }).getContainerClient('target');
};

before(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageProxy(azurite.blobPort, { accounts: azurite.accounts });
  source = azurite.blobService(DEV).getContainerClient('source');
  await Promise.all([source.create(), azurite.blobService(SECOND_ACCOUNT).getContainerClient('target').create()]);
  target = viaProxy();
});
beforeEach(() => {
  proxy.rules.length = 0;
  n++;
});
after(async () => {
  await proxy?.close();
  await azurite?.cleanup();
});

const srcUrl = (name: string) => azurite.blobSasUrl('source', name, DEV, 'r');
/** Requests for blob `name` (paths are as sent: percent-encoded). */
const on = (name: string) => (r: ProxiedRequest) => decodeURIComponent(r.path) === `/${SECOND_ACCOUNT}/target/${name}`;
const statuses = (name: string, method: string) => proxy.requests.filter((r) => on(name)(r) && r.method === method).map((r) => r.status);
/** The next async Copy Blob to `name` plays out as planned. */
const pendingCopy = (name: string, plan: PendingCopyPlan) => proxy.rules.push({ match: (r) => isCopyBlob(r) && on(name)(r), pendingCopy: plan, times: 1 });
const progress = (value: string | undefined) => {
  const m = /^(\d+)\/(\d+)$/.exec(value ?? '');
  assert.ok(m, `x-ms-copy-progress: ${value}`);
  return { done: Number(m[1]), total: Number(m[2]) };
};
async function sourceBlob(name: string, size = 64 * 1024): Promise<Buffer> {
  const body = randomBytes(size);
  await source.getBlockBlobClient(name).uploadData(body, { metadata: { origin: 'source' } });
  return body;
}
/** Starts a Copy Blob (startCopyFromURL is private in the SDK: through its poller's first step). */
async function startCopy(destination: BlobClient, sourceUrl: string): Promise<{ copyId: string; pending: boolean }> {
  // The poller's state is a BlobBeginCopyFromUrlPollState, typed as its base.
  const state = (await destination.beginCopyFromURL(sourceUrl)).getOperationState() as BlobBeginCopyFromUrlPollState;
  assert.ok(state.copyId);
  return { copyId: state.copyId, pending: !state.isCompleted };
}
/** The service's error code of a rejection (RestError.details.errorCode). */
async function rejection(promise: Promise<unknown>): Promise<{ statusCode?: number; errorCode?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { statusCode?: number; details?: { errorCode?: string }; message: string };
    return { statusCode: e.statusCode, errorCode: e.details?.errorCode, message: e.message };
  }
  return assert.fail('expected a rejection');
}

describe('asynchronous Copy Blob', () => {
  it('reports pending with advancing progress for the planned polls, then success with the source bytes', async () => {
    const name = `pending-${n}.bin`;
    const body = await sourceBlob(name);
    pendingCopy(name, { polls: 3, then: 'success' });
    const destination = target.getBlobClient(name);
    const started = await startCopy(destination, srcUrl(name));
    assert.ok(started.pending);
    assert.equal(proxy.pendingCopies().length, 1);
    let before = 0;
    for (let poll = 1; poll <= 3; poll++) {
      const p = await destination.getProperties();
      assert.equal(p.copyStatus, 'pending', `poll ${poll}`);
      assert.equal(p.copyId, started.copyId);
      assert.equal(p.copyCompletedOn, undefined);
      const { done, total } = progress(p.copyProgress);
      assert.equal(total, body.length);
      assert.ok(done > before && done < total, `poll ${poll}: ${done}/${total} after ${before}`);
      before = done;
    }
    const done = await destination.getProperties();
    assert.equal(done.copyStatus, 'success');
    assert.equal(done.copyId, started.copyId);
    assert.equal(done.copyProgress, `${body.length}/${body.length}`);
    assert.deepEqual(await destination.downloadToBuffer(), body);
    assert.equal(proxy.copyStarts().filter(on(name)).length, 1);
    assert.deepEqual(
      proxy.copies().filter((c) => c.path.endsWith(`/${name}`)).map((c) => [c.status, c.polls, c.total]),
      [['success', 4, body.length]],
    );
    assert.equal(proxy.pendingCopies().length, 0);
  });

  it('is waited for by the SDK poller, a Get Blob counting as a poll too', async () => {
    const name = `dir/poller ü ${n}.bin`;
    const body = await sourceBlob(name, 10_000);
    pendingCopy(name, { polls: 3, then: 'success' });
    const destination = target.getBlobClient(name);
    const poller = await destination.beginCopyFromURL(srcUrl(name), { intervalInMs: 5 });
    const download = await destination.download();
    assert.equal(download.copyStatus, 'pending', 'Get Blob of a pending destination');
    assert.equal(progress(download.copyProgress).total, body.length);
    const stream = download.readableStreamBody!;
    stream.resume();
    await once(stream, 'end');
    const result = await poller.pollUntilDone();
    assert.equal(result.copyStatus, 'success');
    assert.equal(statuses(name, 'HEAD').length, 3, 'two pending polls by HEAD, then success');
    assert.deepEqual(await destination.downloadToBuffer(), body);
  });

  it('pending then failed: a zero-length destination with its metadata, status failed and the description', async () => {
    const name = `failed-${n}.bin`;
    await sourceBlob(name);
    const description = '500 InternalError "Copy failed while reading the source."';
    pendingCopy(name, { polls: 2, then: { failed: description } });
    const destination = target.getBlobClient(name);
    const started = await startCopy(destination, srcUrl(name));
    for (let poll = 1; poll <= 2; poll++) assert.equal((await destination.getProperties()).copyStatus, 'pending');
    const failed = await destination.getProperties();
    assert.equal(failed.copyStatus, 'failed');
    assert.equal(failed.copyId, started.copyId);
    assert.equal(failed.copyStatusDescription, description);
    assert.ok(failed.copyCompletedOn instanceof Date);
    assert.equal(failed.contentLength, 0);
    assert.deepEqual(failed.metadata, { origin: 'source' }, 'metadata kept, as Abort Copy Blob documents');
    const download = await destination.download();
    assert.equal(download.copyStatus, 'failed');
    assert.equal((await destination.downloadToBuffer()).length, 0);
    const again = await destination.getProperties();
    assert.equal(again.copyStatus, 'failed', 'still failed');

    // Written again, the destination no longer reports the copy.
    await target.getBlockBlobClient(name).upload('new', 3);
    const rewritten = await destination.getProperties();
    assert.equal(rewritten.copyStatus, undefined);
    assert.equal(rewritten.copyId, undefined);
    assert.equal((await destination.downloadToBuffer()).toString(), 'new');
  });

  it('pending then failed: the SDK poller rejects with the description', async () => {
    const name = `failed-poller-${n}.bin`;
    await sourceBlob(name);
    pendingCopy(name, { polls: 1, then: { failed: 'source gone' } });
    const poller = await target.getBlobClient(name).beginCopyFromURL(srcUrl(name), { intervalInMs: 5 });
    await assert.rejects(poller.pollUntilDone(), /Blob copy failed with reason: "source gone"/);
  });
});

describe('Abort Copy Blob', () => {
  it('of a pending copy: 204, a zero-length destination, status aborted', async () => {
    const name = `abort-${n}.bin`;
    await sourceBlob(name);
    pendingCopy(name, { polls: 5, then: 'success' });
    const destination = target.getBlobClient(name);
    const started = await startCopy(destination, srcUrl(name));
    assert.equal((await destination.getProperties()).copyStatus, 'pending');
    const aborted = await destination.abortCopyFromURL(started.copyId);
    assert.equal(aborted._response.status, 204);
    assert.ok(aborted.requestId);
    assert.ok(aborted.version);
    assert.ok(aborted.date instanceof Date);
    const p = await destination.getProperties();
    assert.equal(p.copyStatus, 'aborted');
    assert.equal(p.copyId, started.copyId);
    assert.equal(p.contentLength, 0);
    assert.deepEqual(p.metadata, { origin: 'source' });
    assert.equal((await destination.downloadToBuffer()).length, 0);
    assert.equal(proxy.aborts().filter(on(name)).length, 1);
    assert.equal(proxy.copies().find((c) => c.id === started.copyId)?.status, 'aborted');

    const twice = await rejection(destination.abortCopyFromURL(started.copyId));
    assert.deepEqual([twice.statusCode, twice.errorCode], [409, 'NoPendingCopyOperation']);
  });

  it('with another id than the pending copy: 409 CopyIdMismatch, and the copy goes on', async () => {
    const name = `abort-mismatch-${n}.bin`;
    await sourceBlob(name);
    pendingCopy(name, { polls: 1, then: 'success' });
    const destination = target.getBlobClient(name);
    const started = await startCopy(destination, srcUrl(name));
    const mismatch = await rejection(destination.abortCopyFromURL(randomUUID()));
    assert.deepEqual([mismatch.statusCode, mismatch.errorCode], [409, 'CopyIdMismatch']);
    assert.equal((await destination.abortCopyFromURL(started.copyId))._response.status, 204);
  });

  it('of a finished or unknown copy: 409 NoPendingCopyOperation', async () => {
    const name = `abort-finished-${n}.bin`;
    await sourceBlob(name);
    const destination = target.getBlobClient(name);
    // Azurite's own synchronous copy.
    const finished = await startCopy(destination, srcUrl(name));
    assert.equal(finished.pending, false);
    let refused = await rejection(destination.abortCopyFromURL(finished.copyId));
    assert.deepEqual([refused.statusCode, refused.errorCode], [409, 'NoPendingCopyOperation']);
    refused = await rejection(destination.abortCopyFromURL(randomUUID()));
    assert.deepEqual([refused.statusCode, refused.errorCode], [409, 'NoPendingCopyOperation'], 'an unknown id');
    // A pending copy that has concluded.
    pendingCopy(name, { polls: 0, then: 'success' });
    const concluded = await startCopy(destination, srcUrl(name));
    assert.ok(concluded.pending);
    assert.equal((await destination.getProperties()).copyStatus, 'success');
    refused = await rejection(destination.abortCopyFromURL(concluded.copyId));
    assert.deepEqual([refused.statusCode, refused.errorCode], [409, 'NoPendingCopyOperation']);
    assert.equal(proxy.aborts().filter(on(name)).length, 0);
  });
});

describe('a pending destination', () => {
  it('refuses Put Blob, Put Block List, Copy Blob, Set Metadata and Delete Blob with 409 PendingCopyOperation; accepts them once the copy is done', async () => {
    const name = `busy-${n}.bin`;
    const body = await sourceBlob(name);
    pendingCopy(name, { polls: 1, then: 'success' });
    const destination = target.getBlockBlobClient(name);
    await startCopy(destination, srcUrl(name));
    const blockId = Buffer.from('block-0').toString('base64');
    await destination.stageBlock(blockId, 'staged', 6);
    const refusals = await Promise.all([
      rejection(destination.upload('mine', 4)),
      rejection(destination.commitBlockList([blockId])),
      rejection(startCopy(destination, srcUrl(name))),
      rejection(destination.setMetadata({ mine: 'yes' })),
      rejection(destination.delete()),
    ]);
    for (const refusal of refusals) assert.deepEqual([refusal.statusCode, refusal.errorCode, refusal.message.split('\n')[0]], [409, 'PendingCopyOperation', 'There is currently a pending copy operation.']);
    assert.equal((await destination.getProperties()).copyStatus, 'pending');
    assert.equal((await destination.getProperties()).copyStatus, 'success');
    assert.deepEqual(await destination.downloadToBuffer(), body);
    await destination.upload('mine', 4);
    assert.equal((await destination.downloadToBuffer()).toString(), 'mine');
  });
});

describe('faults', () => {
  it('a 503 ServerBusy once is retried by the SDK, and the upload succeeds', async () => {
    const name = `busy-once-${n}.txt`;
    const rule = { match: (r: ProxiedRequest) => on(name)(r) && r.method === 'PUT', fault: { status: 503, code: 'ServerBusy' }, times: 1 };
    proxy.rules.push(rule);
    await target.getBlockBlobClient(name).upload('hello', 5);
    assert.deepEqual(statuses(name, 'PUT'), [503, 201]);
    assert.deepEqual(proxy.requests.filter(on(name)).map((r) => r.answeredBy), ['proxy', 'azurite']);
    assert.equal(rule.times, 0);
    assert.equal((await target.getBlobClient(name).downloadToBuffer()).toString(), 'hello');
  });

  it('answers like Azure: a RestError with the code, from the XML body of a GET and the header of a HEAD', async () => {
    const name = `errors-${n}.txt`;
    await target.getBlockBlobClient(name).upload('x', 1);
    const once = viaProxy({ maxTries: 1 }).getBlobClient(name);
    proxy.rules.push({ match: (r) => on(name)(r) && r.method === 'GET', fault: { status: 503, code: 'ServerBusy', message: 'Ingress is over the account limit.' }, times: 1 });
    const get = await rejection(once.downloadToBuffer());
    assert.deepEqual([get.statusCode, get.errorCode], [503, 'ServerBusy']);
    assert.match(get.message, /^Ingress is over the account limit\.\nRequestId:[0-9a-f-]{36}\nTime:/);
    proxy.rules.push({ match: (r) => on(name)(r) && r.method === 'HEAD', fault: { status: 500, code: 'OperationTimedOut' }, times: 1 });
    const head = await rejection(once.getProperties());
    assert.deepEqual([head.statusCode, head.errorCode], [500, 'OperationTimedOut']);
  });

  it("a 'reset' once is retried by the SDK, and the download succeeds", async () => {
    const name = `reset-once-${n}.txt`;
    await target.getBlockBlobClient(name).upload('still here', 10);
    proxy.rules.push({ match: (r) => on(name)(r) && r.method === 'GET', fault: 'reset', times: 1 });
    assert.equal((await target.getBlobClient(name).downloadToBuffer()).toString(), 'still here');
    assert.deepEqual(statuses(name, 'GET'), [0, 206], 'the dropped request is recorded with status 0');
  });

  it('times: a rule applies to that many requests, then no more', async () => {
    const name = `times-${n}.txt`;
    await target.getBlockBlobClient(name).upload('x', 1);
    const rule = { match: (r: ProxiedRequest) => on(name)(r) && r.method === 'HEAD', fault: { status: 503, code: 'ServerBusy' }, times: 2 };
    proxy.rules.push(rule);
    const twice = viaProxy({ maxTries: 2 }).getBlobClient(name);
    const refused = await rejection(twice.getProperties());
    assert.deepEqual([refused.statusCode, refused.errorCode], [503, 'ServerBusy'], 'both tries faulted');
    assert.equal(rule.times, 0);
    assert.equal((await twice.getProperties()).contentLength, 1);
    assert.deepEqual(statuses(name, 'HEAD'), [503, 503, 200]);
  });

  it('delayMs, then before, then the fault or the answer', async () => {
    const name = `compose-${n}.txt`;
    await target.getBlockBlobClient(name).upload('x', 1);
    const seen: string[] = [];
    const t0 = Date.now();
    proxy.rules.push({
      match: (r) => on(name)(r) && r.method === 'HEAD',
      delayMs: 60,
      before: (r) => void seen.push(`${r.method} after ${Date.now() - t0} ms`),
      fault: { status: 500, code: 'InternalError' },
      times: 1,
    });
    assert.equal((await target.getBlobClient(name).getProperties()).contentLength, 1);
    assert.equal(seen.length, 1);
    assert.ok(Number(/after (\d+)/.exec(seen[0])![1]) >= 55, seen[0]);
    assert.deepEqual(statuses(name, 'HEAD'), [500, 200]);
    proxy.rules.push({ match: (r) => on(name)(r) && r.method === 'HEAD', before: () => void seen.push('respond'), respond: { status: 404 }, times: 1 });
    assert.equal(await target.getBlobClient(name).exists(), false, 'answered by the rule');
    assert.deepEqual(seen.slice(1), ['respond']);
  });
});
