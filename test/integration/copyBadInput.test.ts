/**
 * Bad input gets a clear error with a stable code, and nothing is written: malformed and
 * unsupported URLs, missing containers, SAS tokens without permission, expired or forged, a
 * missing source, impossible block sizes, a copy onto itself, conflicting options.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { BlobSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { prepareTransfer } from '../../src/durable/startTransfer';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import type { CopyHost } from '../support/copyHost';
import { startCopyFixture, type CopyFixture } from '../support/copyFixture';

let fixture: CopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let source: ContainerClient;
let target: ContainerClient;

before(async () => {
  fixture = await startCopyFixture();
  ({ azurite, copies, source, target } = fixture);
  await source.getBlockBlobClient('present.txt').upload('here', 4);
  await source.getBlockBlobClient('folder/a.txt').upload('a', 1);
  const sparse = source.getPageBlobClient('huge.vhd');
  await sparse.create(1024 * 1024 * 1024); // 1 GiB, sparse: cheap to make
});
after(async () => {
  await fixture.stop();
});

const srcUrl = (name: string, permissions = 'r') => azurite.blobSasUrl('source', name, 'devstoreaccount1', permissions);
const dstUrl = (name: string, permissions = 'racwdl', container = 'target') =>
  `${azurite.blobEndpoint(SECOND_ACCOUNT)}/${container}/${name}?${new URL(azurite.containerSasUrl(container === 'target' ? 'target' : container, SECOND_ACCOUNT, permissions)).searchParams}`;

async function targetIsEmpty(): Promise<void> {
  for await (const blob of target.listBlobsFlat()) assert.fail(`nothing should be written, found ${blob.name}`);
}

describe('refused before the copy starts', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['a malformed URL', () => ({ source: 'https://', destination: dstUrl('x') }), 'INVALID_URL'],
    ['a local path that is not there', () => ({ source: './no such file', destination: dstUrl('x') }), 'SOURCE_NOT_FOUND'],
    ['an unsupported scheme', () => ({ source: 'ftp://example.com/file', destination: dstUrl('x') }), 'UNSUPPORTED_URL'],
    ['an S3 destination', () => ({ source: srcUrl('present.txt'), destination: 's3://bucket/key' }), 'UNSUPPORTED_URL'],
    ['an invalid S3 bucket name', () => ({ source: 's3://Not_A_Bucket/key', destination: dstUrl('x') }), 'INVALID_URL'],
    ['a destination that is not Azure Blob', () => ({ source: srcUrl('present.txt'), destination: 'https://example.com/upload' }), 'UNSUPPORTED_URL'],
    ['a destination without a container', () => ({ source: srcUrl('present.txt'), destination: `${azurite.blobEndpoint(SECOND_ACCOUNT)}` }), 'INVALID_URL'],
    ['an invalid container name', () => ({ source: srcUrl('present.txt'), destination: `${azurite.blobEndpoint(SECOND_ACCOUNT)}/Bad_Name/x` }), 'INVALID_URL'],
    ['a block size over 4000 MiB', () => ({ source: srcUrl('present.txt'), destination: dstUrl('x'), options: { blockSizeMiB: 4001 } }), 'BLOCK_SIZE_TOO_LARGE'],
    ['the destination equal to the source', () => ({ source: srcUrl('present.txt'), destination: srcUrl('present.txt') }), 'SAME_SOURCE_DESTINATION'],
    ['--include without --recursive', () => ({ source: srcUrl('present.txt'), destination: dstUrl('x'), options: { include: ['*.txt'] } }), 'CONFLICTING_OPTIONS'],
    ['unknown options and wrong types', () => ({ source: srcUrl('present.txt'), destination: dstUrl('x'), options: { recursive: 'yes', speed: 'max' } }), 'BAD_REQUEST'],
    ['a missing destination', () => ({ source: srcUrl('present.txt') }), 'BAD_REQUEST'],
  ];
  for (const [label, request, code] of cases) {
    it(`refuses ${label} with ${code}`, () => {
      assert.throws(() => prepareTransfer(request(), 'user'), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, code, err.message);
        assert.ok((err.message ?? '').length > 20, 'a message a user can act on');
        assert.doesNotMatch(err.message ?? '', /sig=/);
        return true;
      });
    });
  }

  it('lists every bad field at once', () => {
    assert.throws(
      () => prepareTransfer({ source: '', options: { concurrency: 0, overwrite: 'sometimes' } }, 'user'),
      (err: { details?: { errors: Array<{ field: string }> } }) => {
        const fields = err.details!.errors.map((e) => e.field);
        for (const field of ['source', 'destination', 'options.concurrency', 'options.overwrite']) assert.ok(fields.includes(field), `${field} in ${fields}`);
        return true;
      },
    );
  });
});

describe('refused when inspected, nothing written', () => {
  const key = () => azurite.accounts.find((a) => a.name === 'devstoreaccount1')!.key;
  const expiredSas = () =>
    generateBlobSASQueryParameters({ containerName: 'source', blobName: 'present.txt', permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 7200_000), expiresOn: new Date(Date.now() - 3600_000) }, new StorageSharedKeyCredential('devstoreaccount1', key())).toString();

  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['a missing destination container', () => ({ source: srcUrl('present.txt'), destination: `${azurite.blobEndpoint(SECOND_ACCOUNT)}/nosuchcontainer/x?${new URL(azurite.containerSasUrl('nosuchcontainer', SECOND_ACCOUNT)).searchParams}` }), 'CONTAINER_NOT_FOUND'],
    ['a missing source container', () => ({ source: azurite.blobSasUrl('nosuchsource', 'x', 'devstoreaccount1', 'r'), destination: dstUrl('x') }), 'CONTAINER_NOT_FOUND'],
    ['a source that does not exist', () => ({ source: srcUrl('absent.txt'), destination: dstUrl('x') }), 'SOURCE_NOT_FOUND'],
    ['a source SAS without read permission', () => ({ source: srcUrl('present.txt', 'w'), destination: dstUrl('x') }), 'PERMISSION_DENIED'],
    ['a prefix source SAS without list permission', () => ({ source: azurite.containerSasUrl('source', 'devstoreaccount1', 'r').replace('/source?', '/source/folder/?'), destination: dstUrl('f/'), options: { recursive: true } }), 'PERMISSION_DENIED'],
    ['a destination SAS without write permission', () => ({ source: srcUrl('present.txt'), destination: dstUrl('x', 'rl') }), 'PERMISSION_DENIED'],
    ['an expired SAS', () => ({ source: `${azurite.blobEndpoint()}/source/present.txt?${expiredSas()}`, destination: dstUrl('x') }), 'SAS_EXPIRED'],
    ['a forged SAS signature', () => ({ source: srcUrl('present.txt').replace(/sig=[^&]+/, 'sig=AAAAforgedAAAA%3D'), destination: dstUrl('x') }), 'AUTH_FAILED'],
    ['a blob that would need more than 50,000 blocks', () => ({ source: srcUrl('huge.vhd'), destination: dstUrl('x'), options: { blockSizeMiB: 0.015625, strategy: 'block-copy' } }), 'TOO_MANY_BLOCKS'],
    ['a destination prefix inside the source prefix', () => ({ source: azurite.containerSasUrl('source', 'devstoreaccount1', 'rlwc').replace('/source?', '/source/folder/?'), destination: azurite.containerSasUrl('source', 'devstoreaccount1', 'rlwc').replace('/source?', '/source/folder/copy/?'), options: { recursive: true } }), 'SAME_SOURCE_DESTINATION'],
    ['a container source without --recursive', () => ({ source: azurite.containerSasUrl('source', 'devstoreaccount1', 'rl'), destination: dstUrl('x/') }), 'CONFLICTING_OPTIONS'],
  ];
  for (const [label, request, code] of cases) {
    it(`refuses ${label} with ${code}`, async () => {
      const result = await copies.copy(request() as { source: string; destination: string });
      assert.equal(result.runtimeStatus, 'Failed', JSON.stringify(result));
      assert.equal(result.error?.code, code, result.error?.message);
      assert.doesNotMatch(result.error?.message ?? '', /sig=[A-Za-z0-9%]{10}/);
      await targetIsEmpty();
    });
  }
});
