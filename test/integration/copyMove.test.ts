/**
 * --delete-source from Azure Blob sources: a source is deleted only once its copy is committed
 * and checked; skipped and failed copies keep theirs; a blob with snapshots is kept (its snapshots
 * were not copied); a leased single blob is released, then deleted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECOND_ACCOUNT } from '../support/azurite';
import { useCopyFixture } from '../support/copyFixture';

const fixture = useCopyFixture();

const prefixUrl = (prefix: string) => fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rlwd').replace('/source?', `/source/${prefix}?`);
const dst = (path: string) => `${fixture.azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${path}?${new URL(fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
const exists = (name: string) => fixture.source.getBlobClient(name).exists();

describe('moving Azure blobs', () => {
  it('deletes the sources of copied blobs only, and keeps a blob with snapshots', async () => {
    for (const name of ['a.txt', 'b.txt', 'snapped.txt']) await fixture.source.getBlockBlobClient(`move/${name}`).upload(name, name.length);
    await fixture.source.getBlobClient('move/snapped.txt').createSnapshot();
    await fixture.target.getBlockBlobClient('moved/b.txt').upload('theirs', 6);
    const result = await fixture.copies.copy({ source: prefixUrl('move/'), destination: dst('moved/'), options: { recursive: true, deleteSource: true } });
    assert.deepEqual(result.blobs, { total: 3, copied: 2, skipped: 1, failed: 0, deleted: 1 }, JSON.stringify(result));
    assert.deepEqual(result.failures.map((f) => f.code), ['SOURCE_HAS_SNAPSHOTS'], 'the kept fixture.source is reported');
    assert.deepEqual([await exists('move/a.txt'), await exists('move/b.txt'), await exists('move/snapped.txt')], [false, true, true]);
    assert.equal((await fixture.target.getBlobClient('moved/snapped.txt').downloadToBuffer()).toString(), 'snapped.txt', 'copied all the same');
  });

  it('refuses a SAS that cannot delete before anything is written', async () => {
    await fixture.source.getBlockBlobClient('nodelete/x.txt').upload('x', 1);
    const result = await fixture.copies.copy({ source: fixture.azurite.blobSasUrl('source', 'nodelete/x.txt', 'devstoreaccount1', 'r'), destination: dst('nodelete/x.txt'), options: { deleteSource: true } });
    assert.equal(result.error?.code, 'PERMISSION_DENIED', JSON.stringify(result));
    assert.match(result.error?.message ?? '', /--delete-source/);
    assert.equal(await fixture.target.getBlobClient('nodelete/x.txt').exists(), false);
  });

  it('moves a single leased blob: the lease is released, then the fixture.source deleted', async () => {
    await fixture.source.getBlockBlobClient('leased/one.bin').upload('one', 3);
    const result = await fixture.copies.copy({ source: fixture.azurite.blobSasUrl('source', 'leased/one.bin', 'devstoreaccount1', 'rwd'), destination: dst('leased/one.bin'), options: { deleteSource: true, leaseSource: true, strategy: 'relay' } });
    assert.deepEqual(result.blobs, { total: 1, copied: 1, skipped: 0, failed: 0, deleted: 1 }, JSON.stringify(result));
    assert.deepEqual(result.verification, { md5: 1 });
    assert.equal(await exists('leased/one.bin'), false);
    assert.equal((await fixture.target.getBlobClient('leased/one.bin').downloadToBuffer()).toString(), 'one');
  });
});
