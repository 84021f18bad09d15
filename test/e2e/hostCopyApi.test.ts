/**
 * Copies through a running host (`blobferry host`, what `npm start` runs): POST /api/copies,
 * GET /api/copies/{id}, the list, cancel, caller-chosen ids (idempotent retry, 409 conflict),
 * bad bodies and queries, and `blobferry copy --host`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { prepareTransfer } from '../../src/durable/startTransfer';
import { DEV_ACCOUNT } from '../../src/local/azurite';
import { cliInChild } from '../support/cli';
import { exited, spawnProductHost } from '../support/productHost';
import { isCopyBlob, startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

const temp = makeTempDir('blobferry-hostapi-');
let host: ChildProcess;
let url: string;
let blobEndpoint: string;
let blobs: BlobServiceClient;
let proxy: StorageProxy;

function env(): NodeJS.ProcessEnv {
  // The fault proxy in front of the embedded Azurite is a private endpoint the operator trusts.
  const e: NodeJS.ProcessEnv = { ...process.env, BLOBFERRY_STATE_DIR: path.join(temp, 'state'), BLOBFERRY_TRUSTED_ENDPOINTS: '127.0.0.1' };
  delete e.AzureWebJobsStorage;
  delete e.BLOBFERRY_FUNCTION_KEY;
  delete e.BLOBFERRY_SEAL_KEY;
  return e;
}

before(async () => {
  const started = await spawnProductHost(['--azurite-dir', path.join(temp, 'azurite')], env());
  host = started.child;
  url = started.url;
  blobEndpoint = /Embedded Azurite: blob (\S+),/.exec(started.log())![1];
  const service = new BlobServiceClient(blobEndpoint, new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key));
  await service.getContainerClient('api-source').create();
  await service.getContainerClient('api-target').create();
  await service.getContainerClient('api-source').getBlockBlobClient('docs/a.txt').upload('alpha', 5);
  await service.getContainerClient('api-source').getBlockBlobClient('docs/b.txt').upload('beta', 4);
  blobs = service;
  proxy = await startStorageProxy(Number(new URL(blobEndpoint).port), { accounts: [DEV_ACCOUNT] });
});
after(async () => {
  await proxy?.close();
  host.kill('SIGTERM');
  await exited(host);
  removeDir(temp);
});

const json = { 'content-type': 'application/json' };

async function until(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const view = (await (await fetch(`${url}/api/copies/${id}`)).json()) as Record<string, unknown>;
    if (['Completed', 'Failed', 'Terminated'].includes(view.runtimeStatus as string)) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('copy did not finish');
}

describe('the copy HTTP API', () => {
  it('starts a prefix copy with POST /api/copies and reports it at GET /api/copies/{id}', async () => {
    // devstoreaccount1 on Azurite needs no SAS: the host knows its public development key.
    const body = JSON.stringify({ source: `${blobEndpoint}/api-source/docs/`, destination: `${blobEndpoint}/api-target/copied/`, options: { recursive: true } });
    const res = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body });
    assert.equal(res.status, 202);
    const started = (await res.json()) as { id: string; statusQueryGetUri: string };
    assert.match(started.id, /^copy-[0-9a-f]{32}$/);
    assert.ok(started.statusQueryGetUri.includes(`/instances/${started.id}`));
    assert.equal(res.headers.get('location'), started.statusQueryGetUri);
    const again = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body });
    assert.equal(((await again.json()) as { id: string }).id, started.id, 'the same request is the same copy');
    const view = await until(started.id);
    assert.equal(view.runtimeStatus, 'Completed');
    assert.deepEqual(view.blobs, { total: 2, copied: 2, skipped: 0, failed: 0 });
    assert.equal(view.strategy, 'server-copy', 'one account: the table says server-copy');
    assert.deepEqual(view.strategies, { 'server-copy': 2 });
  });

  it('copies a prefix of 500 blobs posted to /api/copies, followed on its Durable status URL to the end', async () => {
    const container = blobs.getContainerClient('api-source');
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < 500) {
        const i = next++;
        await container.getBlockBlobClient(`many/${String(i % 7)}/blob ${i}.txt`).upload(`blob ${i}`, `blob ${i}`.length);
      }
    }));
    const res = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ source: `${blobEndpoint}/api-source/many/`, destination: `${blobEndpoint}/api-target/many-copy/`, options: { recursive: true } }) });
    assert.equal(res.status, 202);
    const { id, statusQueryGetUri } = (await res.json()) as { id: string; statusQueryGetUri: string };
    let status: { runtimeStatus: string; output?: { blobs: unknown } } | undefined;
    for (let i = 0; i < 600; i++) {
      const answer = await fetch(statusQueryGetUri);
      status = (await answer.json()) as typeof status;
      if (answer.status === 200) break;
      assert.equal(answer.status, 202, 'running');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status?.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status?.output?.blobs, { total: 500, copied: 500, skipped: 0, failed: 0 });
    assert.deepEqual(((await (await fetch(`${url}/api/copies/${id}`)).json()) as { blobs: unknown }).blobs, { total: 500, copied: 500, skipped: 0, failed: 0 });
    let copied = 0;
    for await (const item of blobs.getContainerClient('api-target').listBlobsFlat({ prefix: 'many-copy/' })) copied += item.name.startsWith('many-copy/') ? 1 : 0;
    assert.equal(copied, 500);
  });

  it('answers bad bodies with 400 and a code, and unknown ids with 404', async () => {
    const notJson = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: '{nope' });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { code: string }).code, 'INVALID_JSON');
    const badField = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ source: 'x', destination: `${blobEndpoint}/api-target/x`, options: { colour: 'blue' } }) });
    assert.equal(badField.status, 400);
    const errorBody = (await badField.json()) as { code: string; details: { errors: unknown[] } };
    assert.equal(errorBody.code, 'BAD_REQUEST');
    assert.ok(errorBody.details.errors.length >= 1);
    assert.equal((await fetch(`${url}/api/copies/copy-unknown`)).status, 404);
    const form = await fetch(`${url}/api/copies`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'source=a&destination=b' });
    assert.equal(form.status, 415);
    assert.equal(((await form.json()) as { code: string }).code, 'UNSUPPORTED_MEDIA_TYPE');
    const unknownField = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ source: `${blobEndpoint}/api-source/docs/a.txt`, destination: `${blobEndpoint}/api-target/x`, extra: 1 }) });
    assert.equal(unknownField.status, 400);
    const badList = await fetch(`${url}/api/copies?status=sleeping&from=yesterday&top=0`);
    assert.equal(badList.status, 400);
    assert.deepEqual(((await badList.json()) as { details: { errors: Array<{ field: string }> } }).details.errors.map((e) => e.field), ['status', 'from', 'top']);
    assert.equal((await fetch(`${url}/api/copies/copy-unknown/cancel`, { method: 'POST' })).status, 404);
    // A file on the host's own disk is never read for a remote caller.
    const localList = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ source: `${blobEndpoint}/api-source/docs/`, destination: `${blobEndpoint}/api-target/listed/`, options: { recursive: true, listOfFiles: { path: '/etc/hostname', sha256: '0'.repeat(64) } } }) });
    assert.equal(localList.status, 403);
    assert.equal(((await localList.json()) as { code: string }).code, 'LOCAL_PATH_NOT_ALLOWED');
    // Nor is any local path, and whether it exists is never told (the same answer either way).
    for (const local of ['/etc/hostname', 'file:///etc/hostname', '/no/such/path', './relative/dir']) {
      const refused = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ source: local, destination: `${blobEndpoint}/api-target/local/` }) });
      assert.equal(refused.status, 403, local);
      const body = (await refused.json()) as { code: string; message: string };
      assert.equal(body.code, 'LOCAL_PATH_NOT_ALLOWED', local);
      assert.doesNotMatch(body.message, /hostname|no\/such|relative/, 'the path is not echoed');
    }
  });

  it('takes a caller-chosen id: the same request again is the same copy, another request is a 409; lists and cancels it', async () => {
    // A server copy the proxy keeps pending: the copy runs until cancelled.
    proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: 100_000, then: 'success' }, times: 1 });
    await blobs.getContainerClient('api-target').getBlockBlobClient('kept.txt').upload('kept', 4);
    const request = { id: 'nightly-2026-11-23', source: `${blobEndpoint}/api-source/docs/a.txt`, destination: `${proxy.origin}/${DEV_ACCOUNT.name}/api-target/kept.txt`, options: { strategy: 'server-copy', overwrite: 'always' } };
    const post = (body: unknown) => fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const first = await post(request);
    assert.equal(first.status, 202, await first.clone().text());
    assert.equal(((await first.json()) as { id: string }).id, 'nightly-2026-11-23');
    const retry = await post(request);
    assert.equal(retry.status, 202, 'an idempotent retry');
    const conflict = await post({ ...request, options: { ...request.options, overwrite: 'never' } });
    assert.equal(conflict.status, 409);
    assert.equal(((await conflict.json()) as { code: string }).code, 'COPY_ID_CONFLICT');

    while (proxy.copies().length === 0 || proxy.copies()[0].polls < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    // The list shows a running copy's totals as its own status does (its worker's counts).
    const running = (await (await fetch(`${url}/api/copies?status=running`)).json()) as { copies: Array<{ id: string; runtimeStatus: string; blobs: { total: number }; bytes: { total: number } }> };
    assert.deepEqual(running.copies.map((c) => [c.id, c.runtimeStatus, c.blobs.total, c.bytes.total]), [['nightly-2026-11-23', 'Running', 1, 'alpha'.length]]);
    const cancel = await fetch(`${url}/api/copies/nightly-2026-11-23/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    assert.match(cancel.headers.get('location') ?? '', /\/api\/copies\/nightly-2026-11-23$/);
    const view = await until('nightly-2026-11-23');
    assert.equal(view.phase, 'cancelled', JSON.stringify(view));
    assert.equal((view.failures as Array<{ code: string }>)[0].code, 'CANCELLED');
    assert.equal((await blobs.getContainerClient('api-target').getBlobClient('kept.txt').downloadToBuffer()).toString(), 'kept', 'the destination is back');
    const again = await fetch(`${url}/api/copies/nightly-2026-11-23/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { code: string }).code, 'NOT_RUNNING');
  });

  it('takes fresh SAS tokens for a running copy, for the same places only', async () => {
    proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: 100_000, then: 'success' }, times: 1 });
    const sas = (minutes: number) =>
      generateBlobSASQueryParameters({ containerName: 'api-target', permissions: ContainerSASPermissions.parse('racwd'), expiresOn: new Date(Date.now() + minutes * 60_000) }, new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key)).toString();
    const destination = (name: string, query = sas(30)) => `${proxy.origin}/${DEV_ACCOUNT.name}/api-target/${name}${query ? `?${query}` : ''}`;
    const started = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ id: 'fresh-sas', source: `${blobEndpoint}/api-source/docs/b.txt`, destination: destination('fresh/b.txt'), options: { strategy: 'server-copy' } }) });
    assert.equal(started.status, 202, await started.clone().text());
    const credentials = (body: unknown, id = 'fresh-sas') => fetch(`${url}/api/copies/${id}/credentials`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as { code?: string; updated?: string[] } });

    assert.deepEqual(await answer(await credentials({ destination: destination('fresh/b.txt', sas(120)) })), { status: 200, body: { id: 'fresh-sas', updated: ['destination'] } });
    for (const [label, body] of [
      ['another place', { destination: destination('elsewhere/b.txt') }],
      ['no SAS', { destination: destination('fresh/b.txt', '') }],
      ['nothing', {}],
      ['an unknown field', { destination: destination('fresh/b.txt'), priority: 'high' }],
      ['the source as the destination', { destination: `${blobEndpoint}/api-source/docs/b.txt?${sas(30)}` }],
    ] as const) {
      const refused = await answer(await credentials(body));
      assert.equal(refused.status, 400, `${label}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.code, 'BAD_REQUEST', label);
    }
    assert.equal((await credentials({ destination: destination('fresh/b.txt') }, 'no-such-copy')).status, 404);

    while (proxy.copies().length === 0 || proxy.copies().at(-1)!.polls < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await fetch(`${url}/api/copies/fresh-sas/cancel`, { method: 'POST' });
    await until('fresh-sas');
    const ended = await answer(await credentials({ destination: destination('fresh/b.txt') }));
    assert.equal(ended.status, 409);
    assert.equal(ended.body.code, 'NOT_RUNNING');
  });

  it('lists copies newest first, a page at a time', async () => {
    const all = (await (await fetch(`${url}/api/copies`)).json()) as { copies: Array<{ id: string; createdTime: string; blobs: unknown }> };
    assert.ok(all.copies.length >= 2, JSON.stringify(all));
    assert.deepEqual([...all.copies].sort((a, b) => b.createdTime.localeCompare(a.createdTime)).map((c) => c.id), all.copies.map((c) => c.id));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = (await (await fetch(`${url}/api/copies?top=1${token ? `&continuationToken=${token}` : ''}`)).json()) as { copies: Array<{ id: string }>; continuationToken?: string };
      assert.ok(page.copies.length <= 1);
      seen.push(...page.copies.map((c) => c.id));
      token = page.continuationToken;
    } while (token);
    assert.deepEqual(seen, all.copies.map((c) => c.id), 'pages of one add up to the whole list');
    const none = (await (await fetch(`${url}/api/copies?to=2000-01-01T00:00:00Z`)).json()) as { copies: unknown[] };
    assert.deepEqual(none.copies, []);
  });

  it('runs `blobferry copy --host` on the host, and `blobferry jobs --host` lists, shows and cancels its copies', async () => {
    const cli = await cliInChild(['copy', `${blobEndpoint}/api-source/docs/a.txt`, `${blobEndpoint}/api-target/via-host/a.txt`, '--host', url, '--json'], env());
    assert.equal(cli.status, 0, cli.stdout);
    const report = JSON.parse(cli.stdout) as { instanceId: string; blobs: unknown };
    assert.deepEqual(report.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });

    const jobs = async (...args: string[]) => {
      const run = await cliInChild(['jobs', ...args, '--host', url, '--json'], env());
      assert.ok(run.stdout.trim(), `jobs ${args.join(' ')}: ${run.stderr}`);
      return { status: run.status, json: JSON.parse(run.stdout) as Record<string, unknown> & { error?: { code: string } } };
    };
    const list = await jobs('list', '--status', 'completed');
    assert.ok((list.json.copies as Array<{ id: string }>).some((c) => c.id === report.instanceId), JSON.stringify(list.json));
    const shown = await jobs('show', report.instanceId);
    assert.equal(shown.status, 0);
    assert.deepEqual(shown.json.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });
    const ended = await jobs('cancel', report.instanceId);
    assert.deepEqual([ended.status, ended.json.error?.code], [2, 'NOT_RUNNING']);
    const resume = await jobs('resume', report.instanceId);
    assert.deepEqual([resume.status, resume.json.error?.code], [2, 'CONFLICTING_OPTIONS'], 'a host resumes its copies itself');

    // A server copy the proxy keeps pending runs until jobs cancel stops it.
    proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: 100_000, then: 'success' }, times: 1 });
    const started = await fetch(`${url}/api/copies`, { method: 'POST', headers: json, body: JSON.stringify({ id: 'cancel-from-cli', source: `${blobEndpoint}/api-source/docs/b.txt`, destination: `${proxy.origin}/${DEV_ACCOUNT.name}/api-target/from-cli/b.txt`, options: { strategy: 'server-copy' } }) });
    assert.equal(started.status, 202);
    while (proxy.copies().length === 0 || proxy.copies().at(-1)!.polls < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const cancelled = await jobs('cancel', 'cancel-from-cli');
    assert.equal(cancelled.status, 0, JSON.stringify(cancelled.json));
    assert.equal(cancelled.json.cancelled, true);
    assert.equal(await blobs.getContainerClient('api-target').getBlobClient('from-cli/b.txt').exists(), false, 'the aborted copy left nothing');
  });

  it('does not run a copy sealed for the CLI\'s user when it reaches the host (a shared key or state folder)', async () => {
    // The host keeps its seal key in its state folder; whoever shares it can seal a "user" grant.
    const key = fs.readFileSync(path.join(temp, 'state', 'seal.key'), 'utf8').trim();
    const saved = process.env.BLOBFERRY_SEAL_KEY;
    process.env.BLOBFERRY_SEAL_KEY = key;
    let input: unknown;
    try {
      ({ input } = prepareTransfer({ source: `${blobEndpoint}/api-source/docs/a.txt`, destination: `${blobEndpoint}/api-target/user-grant/a.txt` }, 'user'));
    } finally {
      if (saved === undefined) delete process.env.BLOBFERRY_SEAL_KEY;
      else process.env.BLOBFERRY_SEAL_KEY = saved;
    }
    const started = await fetch(`${url}/runtime/webhooks/durabletask/orchestrators/transfer`, { method: 'POST', headers: json, body: JSON.stringify(input) });
    assert.equal(started.status, 202);
    const { id } = (await started.json()) as { id: string };
    let status: { runtimeStatus: string; customStatus?: unknown; output?: unknown } = { runtimeStatus: 'Pending' };
    for (let i = 0; i < 300 && !['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await (await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}`)).json()) as typeof status;
    }
    assert.match(JSON.stringify(status), /SEAL_MISMATCH/);
    assert.equal(await blobs.getContainerClient('api-target').getBlobClient('user-grant/a.txt').exists(), false);
  });
});
