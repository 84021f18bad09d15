/**
 * Server copy (Copy Blob) followed with durable timers, and sync copy (Copy Blob From URL), on
 * Azurite behind the fault-injecting proxy: Azurite finishes every copy at once and refuses
 * Abort, so the proxy plays Azure's pending, failed and aborted copies, and its errors.
 * Polling is fast here (BLOBFERRY_POLL_INTERVAL 100ms, growing to 300ms).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BlockBlobClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { assertSameBlob } from '../support/blobAssert';
import type { CopyHost } from '../support/copyHost';
import { startProxiedCopyFixture, type ProxiedCopyFixture } from '../support/copyFixture';
import type { InvocationContext } from '@azure/functions';
import { inspectTransfer } from '../../src/durable/activities/inspectTransfer';
import { startServerCopy, undoServerCopy } from '../../src/durable/activities/serverCopy';
import { POLLS_PER_GENERATION } from '../../src/durable/orchestrators/serverCopy';
import { prepareTransfer } from '../../src/durable/startTransfer';
import type { Activity } from '../../src/durable/calls';
import { isCopyBlob, type ProxiedRequest, type StorageProxy } from '../support/storageProxy';

/** An activity run directly, as the host would run it (these need no binding from the context). */
const run = <In, Out>(target: Activity<In, Out>, input: In): Promise<Out> => target.handler(input, {} as InvocationContext);

process.env.BLOBFERRY_POLL_INTERVAL = '100ms';
process.env.BLOBFERRY_POLL_MAX_INTERVAL = '300ms';

let fixture: ProxiedCopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let proxy: StorageProxy;
let source: ContainerClient;
let target: ContainerClient;
let n = 0;

before(async () => {
  fixture = await startProxiedCopyFixture();
  ({ azurite, copies, source, target, proxy } = fixture);
  // The destination is signed with its account key: Azurite 3.37 refuses to delete a snapshot
  // with a container SAS (403), which Azure allows.
  process.env[`BLOBFERRY_ACCOUNT_KEY_${SECOND_ACCOUNT.toUpperCase()}`] = azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!.key;
});
beforeEach(() => {
  proxy.rules.length = 0;
  n++;
});
after(() => fixture.stop());

const srcUrl = (name: string, permissions = 'r') => azurite.blobSasUrl('source', name, 'devstoreaccount1', permissions);
const secondKey = () => {
  const account = azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!;
  return new StorageSharedKeyCredential(account.name, account.key);
};
/** The destination through the proxy. */
const dstUrl = (name: string) => `${proxy.origin}/${SECOND_ACCOUNT}/target/${encodeURIComponent(name)}`;
const serverCopy = (extra: Record<string, unknown> = {}) => ({ strategy: 'server-copy', ...extra });
const pending = (polls: number, then: 'success' | { failed: string } = 'success') => ({ match: isCopyBlob, pendingCopy: { polls, then }, times: 1 });
const forBlob = (name: string, method: string) => (r: ProxiedRequest) => r.method === method && decodeURIComponent(r.path).endsWith(`/target/${name}`) && !r.query.has('comp');

async function sourceBlob(name: string, size = 64 * 1024): Promise<Buffer> {
  const body = randomBytes(size);
  await source.getBlockBlobClient(name).upload(body, body.length, { metadata: { origin: 'source' }, blobHTTPHeaders: { blobContentType: 'application/x-test' } });
  return body;
}

/** A destination that exists before the copy, with metadata and tags to restore. */
async function existingDestination(name: string): Promise<Buffer> {
  const old = Buffer.from(`the user's old content of ${name}`);
  await target.getBlockBlobClient(name).upload(old, old.length, { metadata: { old: 'yes' }, tags: { keep: 'me' } });
  return old;
}

async function assertRestored(name: string, old: Buffer): Promise<void> {
  const blob = target.getBlobClient(name);
  assert.deepEqual(await blob.downloadToBuffer(), old, 'the old bytes are back');
  assert.deepEqual((await blob.getProperties()).metadata, { old: 'yes' }, 'the old metadata is back');
  assert.deepEqual((await blob.getTags()).tags, { keep: 'me' }, 'the old tags are back');
  const versions = [];
  for await (const item of target.listBlobsFlat({ prefix: name, includeSnapshots: true })) if (item.name === name) versions.push(item.snapshot ?? 'base');
  assert.deepEqual(versions, ['base'], 'no snapshot is left behind');
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(20)) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('server copy, pending then done', () => {
  it('publishes the service progress while it polls, then verifies the copy', async () => {
    const name = `pending ü #${n}.bin`;
    await sourceBlob(name, 256 * 1024);
    proxy.rules.push(pending(6));
    const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy() });
    const progress = new Set<number>();
    let copyId = '';
    while (copies.host.engine.getStatus(id)?.runtimeStatus !== 'Completed') {
      const view = copies.view(id);
      if (view.serverCopy?.status === 'pending') {
        progress.add(view.bytes.copied);
        copyId = view.serverCopy.id;
      }
      await sleep(15);
    }
    const result = copies.view(id);
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.equal(result.strategy, 'server-copy');
    assert.ok(progress.size >= 2, `progress seen at least twice while pending: ${[...progress]}`);
    assert.equal(copyId, proxy.copies()[0]?.id ?? proxy.copies().at(-1)?.id);
    assert.equal(proxy.copyStarts().length, 1, 'one copy started');
    // Every request blobferry sends the destination names it: mirror rules know its writes by it.
    const ours = proxy.requests.filter((r) => decodeURIComponent(r.path).endsWith(name));
    assert.ok(ours.length > 0 && ours.every((r) => String(r.headers['x-ms-client-request-id']).startsWith('blobferry-')), JSON.stringify(ours.map((r) => r.headers['x-ms-client-request-id'])));
    await assertSameBlob(source.getBlobClient(name), target.getBlobClient(name), name);
  });

  it('follows a long copy over several generations (continue-as-new), holding the source lease throughout', async () => {
    const name = `long-${n}.bin`;
    await sourceBlob(name);
    proxy.rules.push(pending(POLLS_PER_GENERATION * 2 + 30));
    // Fast polls for this one copy (the limits are read when a request is prepared).
    const saved = [process.env.BLOBFERRY_POLL_INTERVAL, process.env.BLOBFERRY_POLL_MAX_INTERVAL];
    process.env.BLOBFERRY_POLL_INTERVAL = process.env.BLOBFERRY_POLL_MAX_INTERVAL = '5ms';
    const id = copies.start({ source: srcUrl(name, 'rw'), destination: dstUrl(name), options: serverCopy({ leaseSource: true }) });
    [process.env.BLOBFERRY_POLL_INTERVAL, process.env.BLOBFERRY_POLL_MAX_INTERVAL] = saved;
    const result = await copies.finish(id);
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.ok(proxy.copies().at(-1)!.polls > POLLS_PER_GENERATION * 2, 'polled past two generations');
    const history = copies.host.engine.getStatus(`${id}:blob`, { showHistory: true })?.historyEvents ?? [];
    assert.ok(history.length < POLLS_PER_GENERATION * 2 + 20, `the last generation's history stays short: ${history.length} events`);
    assert.equal((await source.getBlobClient(name).getProperties()).leaseState, 'available', 'the lease is released by the last generation');
    await assertSameBlob(source.getBlobClient(name), target.getBlobClient(name), name);
  });

  it('follows the copies a prefix copy started, one sub-orchestration each', async () => {
    const names = [0, 1, 2].map((i) => `prefix${n}/blob ${i}.txt`);
    for (const name of names) await sourceBlob(name, 1000);
    const starts = proxy.copyStarts().length;
    proxy.rules.push({ ...pending(2), times: 3 });
    const prefixSas = new URL(azurite.containerSasUrl('source', 'devstoreaccount1', 'rl')).searchParams;
    const dest = `${proxy.origin}/${SECOND_ACCOUNT}/target/copied${n}/`;
    const result = await copies.copy({ source: `${azurite.blobEndpoint()}/source/prefix${n}/?${prefixSas}`, destination: dest, options: serverCopy({ recursive: true }) });
    assert.deepEqual(result.blobs, { total: 3, copied: 3, skipped: 0, failed: 0 }, JSON.stringify(result));
    assert.deepEqual(result.strategies, { 'server-copy': 3 });
    assert.equal(proxy.copyStarts().length - starts, 3);
    const ours = proxy.copies().filter((c) => c.path.includes(`copied${n}/`));
    assert.ok(ours.length === 3 && ours.every((c) => c.status === 'success' && c.polls >= 2), `each followed to its end: ${JSON.stringify(ours)}`);
    for (const name of names) await assertSameBlob(source.getBlobClient(name), target.getBlobClient(name.replace(`prefix${n}/`, `copied${n}/`)), name);
  });
});

describe('server copy stopped: abort, then restore', () => {
  it('aborts a copy still pending at its deadline and removes the destination it created', async () => {
    const name = `deadline-new-${n}.bin`;
    await sourceBlob(name);
    const aborts = proxy.aborts().length;
    proxy.rules.push(pending(100_000));
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ timeout: '1s' }) });
    assert.equal(result.failures[0]?.code, 'TIMED_OUT', JSON.stringify(result));
    assert.match(result.failures[0].message, /timeout \(1s\).*aborted.*restored/);
    assert.equal(proxy.aborts().length, aborts + 1, 'aborted once');
    assert.equal(await target.getBlobClient(name).exists(), false, 'a destination that did not exist is removed');
  });

  it('aborts a copy still pending at its deadline and puts the old destination back, bytes, metadata and tags', async () => {
    const name = `deadline-old-${n}.bin`;
    await sourceBlob(name);
    const old = await existingDestination(name);
    const aborts = proxy.aborts().length;
    proxy.rules.push(pending(100_000));
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ timeout: 1, overwrite: 'always' }) });
    assert.equal(result.failures[0]?.code, 'TIMED_OUT', JSON.stringify(result));
    assert.equal(proxy.aborts().length, aborts + 1, 'aborted once');
    await assertRestored(name, old);
  });

  it('reports a copy the service failed with its description, and restores the destination', async () => {
    const name = `failed-${n}.bin`;
    await sourceBlob(name);
    const old = await existingDestination(name);
    proxy.rules.push(pending(2, { failed: '500 InternalError "Copy failed when reading the source."' }));
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ overwrite: 'always' }) });
    assert.equal(result.failures[0]?.code, 'COPY_FAILED', JSON.stringify(result));
    assert.match(result.failures[0].message, /Copy failed when reading the source\..*restored/);
    await assertRestored(name, old);

    const fresh = `failed-new-${n}.bin`;
    await sourceBlob(fresh);
    proxy.rules.push(pending(1, { failed: 'gone' }));
    const again = await copies.copy({ source: srcUrl(fresh), destination: dstUrl(fresh), options: serverCopy() });
    assert.equal(again.failures[0]?.code, 'COPY_FAILED');
    assert.equal(await target.getBlobClient(fresh).exists(), false);
  });

  it('cancels through the durable API: aborts, restores, and reports the copy cancelled', async () => {
    const name = `cancel-${n}.bin`;
    await sourceBlob(name);
    const old = await existingDestination(name);
    proxy.rules.push(pending(100_000));
    const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ overwrite: 'always' }) });
    await waitFor('a first status poll', () => (copies.view(id).serverCopy?.polls ?? 0) >= 1);
    const raised = await fetch(`${copies.host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(raised.status, 202);
    const result = await copies.finish(id);
    assert.equal(result.runtimeStatus, 'Completed');
    assert.equal(result.phase, 'cancelled');
    assert.equal(result.cancelled, true);
    assert.equal(result.failures[0]?.code, 'CANCELLED', JSON.stringify(result));
    await assertRestored(name, old);
  });

  it('cancels a prefix copy: the request reaches every blob still copying, each is aborted and undone', async () => {
    const names = [0, 1].map((i) => `cancel-prefix${n}/blob ${i}.txt`);
    for (const name of names) await sourceBlob(name, 1000);
    proxy.rules.push({ ...pending(100_000), times: 2 });
    const prefixSas = new URL(azurite.containerSasUrl('source', 'devstoreaccount1', 'rl')).searchParams;
    const id = copies.start({ source: `${azurite.blobEndpoint()}/source/cancel-prefix${n}/?${prefixSas}`, destination: `${proxy.origin}/${SECOND_ACCOUNT}/target/cancelled${n}/`, options: serverCopy({ recursive: true }) });
    await waitFor('both copies polled', () => proxy.pendingCopies().filter((c) => c.path.includes(`cancelled${n}/`) && c.polls >= 1).length === 2);
    await fetch(`${copies.host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const result = await copies.finish(id);
    assert.equal(result.cancelled, true, JSON.stringify(result));
    assert.deepEqual(result.failures.map((f) => f.code), ['CANCELLED', 'CANCELLED']);
    for (const name of names) assert.equal(await target.getBlobClient(name.replace(`cancel-prefix${n}/`, `cancelled${n}/`)).exists(), false);
  });

  it('cancels a block copy between staging steps, before anything is committed', async () => {
    const name = `cancel-blocks-${n}.bin`;
    await sourceBlob(name, 4 * 1024 * 1024);
    const old = await existingDestination(name);
    // Staging is slow enough to cancel in the middle.
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block', delayMs: 150 });
    const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: { strategy: 'block-copy', blockSizeMiB: 1, concurrency: 1, overwrite: 'always' } });
    await waitFor('a first staged block', () => proxy.stagedBlocks() > 0 || undefined);
    await fetch(`${copies.host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const result = await copies.finish(id);
    assert.equal(result.failures[0]?.code, 'CANCELLED', JSON.stringify(result));
    assert.match(result.failures[0].message, /before the commit, so the destination is unchanged/);
    assert.deepEqual(await target.getBlobClient(name).downloadToBuffer(), old);
    assert.equal(proxy.requests.filter((r) => r.query.get('comp') === 'blocklist' && r.method === 'PUT' && decodeURIComponent(r.path).endsWith(name)).length, 0, 'never committed');
  });

  it('does not lose a cancel request that arrives while a status poll is in flight', async () => {
    const name = `cancel-mid-poll-${n}.bin`;
    await sourceBlob(name);
    const old = await existingDestination(name);
    proxy.rules.push(pending(100_000));
    // Each status read takes a while: the request lands during one, not during a timer.
    proxy.rules.push({ match: forBlob(name, 'HEAD'), delayMs: 400 });
    const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ overwrite: 'always', timeout: '60s' }) });
    await waitFor('a first status poll', () => (copies.view(id).serverCopy?.polls ?? 0) >= 1);
    await sleep(450);
    await fetch(`${copies.host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const result = await copies.finish(id);
    assert.equal(result.failures[0]?.code, 'CANCELLED', JSON.stringify(result));
    await assertRestored(name, old);
  });

  it('leaves a destination someone else wrote meanwhile as they wrote it, and keeps the old version in its snapshot', async () => {
    const name = `theirs-now-${n}.bin`;
    await sourceBlob(name);
    await existingDestination(name);
    proxy.rules.push(pending(100_000));
    const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ overwrite: 'always' }) });
    await waitFor('a first status poll', () => (copies.view(id).serverCopy?.polls ?? 0) >= 1);
    // Someone aborts our copy and writes the blob themselves.
    const theirs = new BlockBlobClient(dstUrl(name), secondKey());
    await theirs.abortCopyFromURL(copies.view(id).serverCopy!.id);
    await theirs.upload('theirs', 6);
    const result = await copies.finish(id);
    assert.equal(result.failures[0]?.code, 'DESTINATION_CHANGED', JSON.stringify(result));
    const snapshot = /snapshot (\S+)\./.exec(result.failures[0].message)?.[1];
    assert.ok(snapshot, result.failures[0].message);
    assert.equal((await target.getBlobClient(name).downloadToBuffer()).toString(), 'theirs', 'their write stays');
    assert.match((await target.getBlobClient(name).withSnapshot(snapshot).downloadToBuffer()).toString(), /old content/, 'the old version is kept');
  });

  it('a start that runs again (its first result lost in a crash) follows the copy it began, with its snapshot', async () => {
    const name = `started-twice-${n}.bin`;
    await sourceBlob(name);
    const old = await existingDestination(name);
    const starts = proxy.copyStarts().length;
    proxy.rules.push(pending(100_000));
    const { input } = prepareTransfer({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ overwrite: 'always' }) }, 'user');
    const inspected = await run(inspectTransfer, { ...input, run: 'test-run' });
    assert.ok(inspected.ok && inspected.inspection.kind === 'blob', JSON.stringify(inspected));
    const { job, blob } = inspected.inspection;
    const first = await run(startServerCopy, { job, blob, name });
    const again = await run(startServerCopy, { job, blob, name });
    assert.ok(first.ok && first.start.action === 'started' && again.ok && again.start.action === 'started', JSON.stringify({ first, again }));
    assert.equal(again.start.started.copyId, first.start.started.copyId, 'the same copy');
    assert.equal(again.start.started.previous?.snapshot, first.start.started.previous?.snapshot, 'the same snapshot');
    assert.equal(proxy.copyStarts().length, starts + 1, 'one Copy Blob');
    const undone = await run(undoServerCopy, { job, blob, started: again.start.started, mode: 'abort' });
    assert.ok(undone.ok && !undone.completed, JSON.stringify(undone));
    assert.deepEqual(await target.getBlobClient(name).downloadToBuffer(), old);
    assert.deepEqual((await target.getBlobClient(name).getProperties()).metadata, { old: 'yes' });
  });

  it('keeps a copy that succeeded just before the abort reached it', async () => {
    const name = `late-${n}.bin`;
    await sourceBlob(name);
    // The last poll before the deadline still says pending; the abort then finds it finished.
    proxy.rules.push(pending(100_000));
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'copy', before: () => proxy.pendingCopies().forEach((c) => proxy.endAfter(c.id, 0)), times: 1 });
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy({ timeout: '1s' }) });
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    await assertSameBlob(source.getBlobClient(name), target.getBlobClient(name), name);
  });
});

describe('a destination with someone else\'s copy pending', () => {
  for (const strategy of ['server-copy', 'block-copy']) {
    it(`${strategy}: a clear PENDING_COPY by default, waited out with --on-pending-copy wait`, async () => {
      const name = `theirs-${strategy}-${n}.bin`;
      const ours = await sourceBlob(name);
      await sourceBlob(`${name}.theirs`);
      proxy.rules.push(pending(100_000));
      await new BlockBlobClient(dstUrl(name), secondKey()).beginCopyFromURL(srcUrl(`${name}.theirs`));
      const theirs = proxy.pendingCopies()[0].id;
      const refused = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: { strategy, overwrite: 'always' } });
      assert.equal(refused.failures[0]?.code, 'PENDING_COPY', JSON.stringify(refused));
      assert.equal(proxy.pendingCopies().length, 1, 'their copy goes on');

      // Ours waits while theirs is pending, then copies once it has finished.
      const id = copies.start({ source: srcUrl(name), destination: dstUrl(name), options: { strategy, overwrite: 'always', onPendingCopy: 'wait' } });
      await waitFor('the waiting phase', () => copies.view(id).phase === 'waiting');
      await sleep(300);
      // It tries again between waits (the phase may be a retry's at this instant), but never ends while theirs is pending.
      assert.equal(copies.view(id).runtimeStatus, 'Running', 'still waiting while their copy is pending');
      await waitFor('the waiting phase again', () => copies.view(id).phase === 'waiting');
      proxy.endAfter(theirs, 0);
      const waited = await copies.finish(id);
      assert.equal(waited.blobs.copied, 1, JSON.stringify(waited));
      assert.deepEqual(await target.getBlobClient(name).downloadToBuffer(), ours);
    });
  }
});

describe('--lease-source', () => {
  it('holds a lease on the source while the copy runs and releases it at the end', async () => {
    const name = `leased-${n}.bin`;
    await sourceBlob(name);
    const leaseStates: string[] = [];
    const starts = proxy.copyStarts().length;
    proxy.rules.push(pending(3));
    // Each status poll of the copy (after it started) looks at the source's lease.
    proxy.rules.push({ match: (r) => forBlob(name, 'HEAD')(r) && proxy.copyStarts().length > starts, before: async () => void leaseStates.push((await source.getBlobClient(name).getProperties()).leaseState ?? '') });
    const result = await copies.copy({ source: srcUrl(name, 'rw'), destination: dstUrl(name), options: serverCopy({ leaseSource: true }) });
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.ok(leaseStates.length > 0 && leaseStates.every((s) => s === 'leased'), `leased while copying: ${leaseStates}`);
    assert.equal((await source.getBlobClient(name).getProperties()).leaseState, 'available', 'released');
  });

  it('refuses a source someone else holds a lease on, and writes nothing', async () => {
    const name = `taken-${n}.bin`;
    await sourceBlob(name);
    const theirs = source.getBlobClient(name).getBlobLeaseClient();
    await theirs.acquireLease(-1);
    try {
      const result = await copies.copy({ source: srcUrl(name, 'rw'), destination: dstUrl(name), options: serverCopy({ leaseSource: true }) });
      assert.equal(result.failures[0]?.code, 'SOURCE_LEASED', JSON.stringify(result));
      assert.equal(await target.getBlobClient(name).exists(), false);
    } finally {
      await theirs.releaseLease();
    }
  });

  it('needs write permission in a source SAS', async () => {
    const name = `lease-ro-${n}.bin`;
    await sourceBlob(name);
    const result = await copies.copy({ source: srcUrl(name, 'r'), destination: dstUrl(name), options: serverCopy({ leaseSource: true }) });
    assert.equal(result.error?.code, 'PERMISSION_DENIED', JSON.stringify(result));
  });
});

describe('storage faults and a changing source', () => {
  it('rides out 503 ServerBusy, 500 OperationTimedOut and dropped connections', async () => {
    const name = `faults-${n}.bin`;
    await sourceBlob(name);
    proxy.rules.push({ match: isCopyBlob, fault: { status: 500, code: 'OperationTimedOut' }, times: 1 });
    proxy.rules.push(pending(4));
    proxy.rules.push({ match: forBlob(name, 'HEAD'), fault: { status: 503, code: 'ServerBusy' }, times: 2 });
    proxy.rules.push({ match: forBlob(name, 'HEAD'), fault: 'reset', times: 1 });
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: serverCopy() });
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.ok(proxy.requests.some((r) => r.status === 503) && proxy.requests.some((r) => r.status === 0));
    await assertSameBlob(source.getBlobClient(name), target.getBlobClient(name), name);
  });

  for (const strategy of ['server-copy', 'sync-copy']) {
    it(`${strategy}: a source changed after planning fails with SOURCE_CHANGED and writes nothing`, async () => {
      const name = `changing-${strategy}-${n}.bin`;
      await sourceBlob(name);
      proxy.rules.push({ match: (r) => r.method === 'PUT' && r.headers['x-ms-copy-source'] !== undefined, before: () => sourceBlob(name).then(() => undefined), times: 1 });
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: { strategy } });
      assert.equal(result.failures[0]?.code, 'SOURCE_CHANGED', JSON.stringify(result));
      assert.equal(await target.getBlobClient(name).exists(), false);
    });
  }

  it('sync-copy refuses a blob over 256 MiB before writing anything', async () => {
    const name = `big-sync-${n}.bin`;
    const big = source.getPageBlobClient(name);
    await big.create(257 * 1024 * 1024);
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: { strategy: 'sync-copy' } });
    assert.equal(result.error?.code, 'BLOB_TOO_LARGE', JSON.stringify(result));
  });
});
