/**
 * Copies through a running host (`blobferry host`, what `npm start` runs): POST /api/copies and
 * GET /api/copies/{id}, an idempotent repeat, bad bodies, and `blobferry copy --host`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { DEV_ACCOUNT } from '../../src/local/azurite';
import { makeTempDir, removeDir } from '../support/temp';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const temp = makeTempDir('blobferry-hostapi-');
let host: ChildProcess;
let url: string;
let blobEndpoint: string;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, BLOBFERRY_STATE_DIR: path.join(temp, 'state') };
  delete e.AzureWebJobsStorage;
  delete e.BLOBFERRY_FUNCTION_KEY;
  delete e.BLOBFERRY_SEAL_KEY;
  return e;
}

before(async () => {
  host = spawn(process.execPath, [CLI, 'host', '--port', '0', '--azurite-dir', path.join(temp, 'azurite')], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  host.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(log)), 60_000);
    host.stdout!.on('data', (c: Buffer) => {
      const m = /host ready: (\S+)/.exec(c.toString());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  blobEndpoint = /Embedded Azurite: blob (\S+),/.exec(log)![1];
  const service = new BlobServiceClient(blobEndpoint, new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key));
  await service.getContainerClient('api-source').create();
  await service.getContainerClient('api-target').create();
  await service.getContainerClient('api-source').getBlockBlobClient('docs/a.txt').upload('alpha', 5);
  await service.getContainerClient('api-source').getBlockBlobClient('docs/b.txt').upload('beta', 4);
});
after(async () => {
  host.kill('SIGTERM');
  await new Promise((resolve) => host.once('exit', resolve));
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
  });

  it('runs `blobferry copy --host` on the host', async () => {
    const cli = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'copy', `${blobEndpoint}/api-source/docs/a.txt`, `${blobEndpoint}/api-target/via-host/a.txt`, '--host', url, '--json'], { env: env(), stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.once('close', (status) => resolve({ status, stdout }));
    });
    assert.equal(cli.status, 0, cli.stdout);
    assert.deepEqual(JSON.parse(cli.stdout).blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });
  });
});
