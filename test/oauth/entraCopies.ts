/**
 * Microsoft Entra ID for real, against Azurite's OAuth mode (HTTPS, `--oauth basic`): run by
 * test/integration/entra.test.ts in a process that trusts the test's self-signed certificate
 * (NODE_EXTRA_CA_CERTS is read only at start-up). Azurite checks a token's audience, issuer and
 * lifetime, not its signature, so a test token credential stands in for Entra ID itself, which
 * a test cannot reach. Account "entrasource" has no key in settings: blobferry reaches it with
 * Entra ID only (bearer tokens for its own calls, user delegation SAS for the service's reads).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { DEV_ACCOUNT, startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { useEntraCredential } from '../../src/storage/azureBlob/credentials';
import { startCopyHost, type CopyHost } from '../support/copyHost';
import { makeTempDir, removeDir } from '../support/temp';

const ENTRA_ACCOUNT = { name: 'entrasource', key: randomBytes(64).toString('base64') };
const TENANT = randomUUID();

/** A token as Entra ID issues them for Storage (v1 issuer), unsigned: Azurite's basic mode does not verify signatures. */
function token(lifetimeSeconds: number, audience = 'https://storage.azure.com'): AccessToken {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { aud: audience, iss: `https://sts.windows.net/${TENANT}/`, iat: now - 60, nbf: now - 60, exp: now + lifetimeSeconds, oid: randomUUID(), tid: TENANT };
  return { token: `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`, expiresOnTimestamp: (now + lifetimeSeconds) * 1000 };
}

/** The test's stand-in for the app's managed identity; counts the scopes it was asked for. */
class TestIdentity implements TokenCredential {
  scopes: string[] = [];
  expired = false;
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...[scopes].flat());
    return this.expired ? token(-3600) : token(3600);
  }
}

let azurite: RunningAzurite;
let copies: CopyHost;
let dir: string;
const identity = new TestIdentity();
let entraSource: ContainerClient;
let entraTarget: ContainerClient;
let devTarget: ContainerClient;
let devSource: ContainerClient;
const bodies = new Map<string, Buffer>();

before(async () => {
  dir = makeTempDir('blobferry-entra-');
  azurite = await startAzurite({ location: path.join(dir, 'azurite'), extraAccounts: [ENTRA_ACCOUNT], oauth: { cert: process.env.BLOBFERRY_TEST_CERT!, key: process.env.BLOBFERRY_TEST_KEY! } });
  useEntraCredential(identity);
  copies = await startCopyHost();
  // The test seeds with keys; blobferry is given none for entrasource.
  const service = (account: { name: string; key: string }) => new BlobServiceClient(azurite.blobEndpoint(account.name), new StorageSharedKeyCredential(account.name, account.key));
  entraSource = service(ENTRA_ACCOUNT).getContainerClient('private-data');
  entraTarget = service(ENTRA_ACCOUNT).getContainerClient('landing');
  devSource = service(DEV_ACCOUNT).getContainerClient('outbound');
  devTarget = service(DEV_ACCOUNT).getContainerClient('copies');
  await Promise.all([entraSource.create(), entraTarget.create(), devSource.create(), devTarget.create()]);
  for (const [name, size] of [['empty.bin', 0], ['one.bin', 1], ['dir/deep/a b %#?.bin', 5000], ['three-mib.bin', 3 * 1024 * 1024 + 1]] as const) {
    const body = randomBytes(size);
    bodies.set(name, body);
    await entraSource.getBlockBlobClient(name).uploadData(body);
    await devSource.getBlockBlobClient(name).uploadData(body);
  }
});
after(async () => {
  await copies?.stop();
  await azurite?.stop();
  if (dir) removeDir(dir);
});

const entraUrl = (container: string, name = '') => `${azurite.blobEndpoint(ENTRA_ACCOUNT.name)}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`;
const devUrl = (container: string, name = '') => `${azurite.blobEndpoint()}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`;

async function bytesOf(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlobClient(name).downloadToBuffer();
}

describe('an Entra ID source (no key, no SAS): the service reads it through a user delegation SAS, blobferry with bearer tokens', () => {
  for (const strategy of ['server-copy', 'sync-copy', 'block-copy', 'relay']) {
    it(`copies by ${strategy}`, async () => {
      const name = 'three-mib.bin';
      const view = await copies.copy({ source: entraUrl('private-data', name), destination: devUrl('copies', `${strategy}/${name}`), options: { strategy, blockSizeMiB: 1, overwrite: 'always' } });
      assert.equal(view.runtimeStatus, 'Completed', JSON.stringify(view));
      assert.equal(view.blobs.copied, 1, JSON.stringify(view));
      assert.deepEqual(await bytesOf(devTarget, `${strategy}/${name}`), bodies.get(name));
    });
  }

  it('copies a whole container, edge sizes and odd names included', async () => {
    const view = await copies.copy({ source: entraUrl('private-data'), destination: devUrl('copies', 'all/'), options: { recursive: true } });
    assert.equal(view.blobs.copied, bodies.size, JSON.stringify(view));
    for (const [name, body] of bodies) assert.deepEqual(await bytesOf(devTarget, `all/${name}`), body, name);
  });

  it('asked Entra ID for Storage tokens only', () => {
    assert.ok(identity.scopes.length > 0);
    assert.deepEqual([...new Set(identity.scopes)], ['https://storage.azure.com/.default']);
  });
});

describe('an Entra ID destination', () => {
  for (const strategy of ['auto', 'block-copy', 'relay']) {
    it(`writes with bearer tokens (${strategy})`, async () => {
      const view = await copies.copy({ source: devUrl('outbound'), destination: entraUrl('landing', `${strategy}/`), options: { recursive: true, strategy, blockSizeMiB: 1 } });
      assert.equal(view.blobs.copied, bodies.size, JSON.stringify(view));
      for (const [name, body] of bodies) assert.deepEqual(await bytesOf(entraTarget, `${strategy}/${name}`), body, name);
    });
  }
});

describe('refused tokens', () => {
  it('say it was the Entra ID token, and write nothing', async () => {
    identity.expired = true;
    try {
      const view = await copies.copy({ source: entraUrl('private-data', 'one.bin'), destination: devUrl('copies', 'expired/one.bin') });
      assert.equal(view.error?.code, 'AUTH_FAILED', JSON.stringify(view));
      assert.match(view.error?.message ?? '', /Entra ID token/);
      assert.equal(await devTarget.getBlobClient('expired/one.bin').exists(), false);
    } finally {
      identity.expired = false;
    }
  });
});

describe('remote callers and the app\'s identity', () => {
  it('lend Entra ID to an API request only where the access policy allows', async () => {
    const post = (source: string, destination: string) =>
      fetch(`${copies.host.url}/api/copies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source, destination }) });
    process.env.BLOBFERRY_TRUSTED_ENDPOINTS = new URL(azurite.blobEndpoint()).host;
    try {
      const refused = await post(entraUrl('private-data', 'one.bin'), devUrl('copies', 'api/one.bin'));
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { code: string }).code, 'SOURCE_NOT_ALLOWED');
      process.env.BLOBFERRY_ACCESS_POLICY = JSON.stringify([{ read: entraUrl('private-data', '') }]);
      const allowed = await post(entraUrl('private-data', 'one.bin'), devUrl('copies', 'api/one.bin'));
      assert.equal(allowed.status, 202);
      const view = await copies.finish(((await allowed.json()) as { id: string }).id);
      assert.equal(view.blobs.copied, 1, JSON.stringify(view));
    } finally {
      delete process.env.BLOBFERRY_TRUSTED_ENDPOINTS;
      delete process.env.BLOBFERRY_ACCESS_POLICY;
    }
  });
});
