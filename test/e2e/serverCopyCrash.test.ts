/**
 * A host killed (SIGKILL) while it polls a pending server copy: after a restart it replays to
 * the same copy id and keeps polling it; a second copy is never started.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { assertSameBlob } from '../support/blobAssert';
import { exited, spawnProductHost, type ProductHost } from '../support/productHost';
import { isCopyBlob, startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

let azurite: TestAzurite;
let proxy: StorageProxy;
const temp = makeTempDir('blobferry-servercopy-crash-');
const hosts: ProductHost[] = [];

before(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageProxy(azurite.blobPort, { accounts: azurite.accounts });
  await Promise.all([azurite.blobService().getContainerClient('source').create(), azurite.blobService(SECOND_ACCOUNT).getContainerClient('target').create()]);
});
after(async () => {
  for (const h of hosts) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
  await proxy.close();
  await azurite.cleanup();
  removeDir(temp);
});


async function startHost(): Promise<ProductHost> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BLOBFERRY_POLL_INTERVAL: '100ms',
    BLOBFERRY_POLL_MAX_INTERVAL: '200ms',
    [`BLOBFERRY_ACCOUNT_KEY_${SECOND_ACCOUNT.toUpperCase()}`]: azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!.key,
    // The copies are posted to the API (remote callers): the operator trusts the loopback storage
    // and the fault proxy, and lets the app's key for the second account write its target container.
    BLOBFERRY_TRUSTED_ENDPOINTS: '127.0.0.1',
    BLOBFERRY_ACCESS_POLICY: JSON.stringify([{ write: `${proxy.origin}/${SECOND_ACCOUNT}/target/` }]),
  };
  delete env.AzureWebJobsStorage;
  delete env.BLOBFERRY_FUNCTION_KEY;
  const host = await spawnProductHost(['--no-azurite', '--state-dir', path.join(temp, 'state'), '--log-level', 'warn'], env);
  hosts.push(host);
  return host;
}

it('keeps polling the same copy after a SIGKILL, and never starts a second one', async () => {
  const name = 'crash while polling.bin';
  const body = randomBytes(300 * 1024);
  await azurite.blobService().getContainerClient('source').getBlockBlobClient(name).uploadData(body);
  proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: 12, then: 'success' }, times: 1 });

  const first = await startHost();
  const request = { source: azurite.blobSasUrl('source', name), destination: `${proxy.origin}/${SECOND_ACCOUNT}/target/${encodeURIComponent(name)}`, options: { strategy: 'server-copy' } };
  const started = await fetch(`${first.url}/api/copies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  assert.equal(started.status, 202, await started.clone().text());
  const { id } = (await started.json()) as { id: string };
  while ((proxy.copies()[0]?.polls ?? 0) < 3) await sleep(10);
  first.child.kill('SIGKILL');
  await exited(first.child);
  const pollsBeforeKill = proxy.copies()[0].polls;

  const second = await startHost();
  let view: { runtimeStatus: string; blobs: { copied: number } } | undefined;
  for (let i = 0; i < 600 && view?.runtimeStatus !== 'Completed'; i++) {
    await sleep(50);
    view = (await (await fetch(`${second.url}/api/copies/${id}`)).json()) as typeof view;
  }
  assert.equal(view?.runtimeStatus, 'Completed', JSON.stringify(view));
  assert.equal(view?.blobs.copied, 1, JSON.stringify(view));
  assert.equal(proxy.copyStarts().length, 1, 'one Copy Blob, before and after the kill');
  assert.equal(proxy.copies().length, 1);
  assert.equal(proxy.copies()[0].status, 'success');
  assert.ok(proxy.copies()[0].polls > pollsBeforeKill, 'the restarted host polled the same copy');
  await assertSameBlob(azurite.blobService().getContainerClient('source').getBlobClient(name), azurite.blobService(SECOND_ACCOUNT).getContainerClient('target').getBlobClient(name), name);
  second.child.kill('SIGTERM');
  await exited(second.child);
});
