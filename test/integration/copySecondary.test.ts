/**
 * RA-GRS / RA-GZRS secondaries are Azure Blob sources: `<account>-secondary` (Azurite serves it
 * path-style) is read as a blob, a prefix is listed, both copied by the same strategies as its
 * primary, and nothing is ever leased or deleted there.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SECOND_ACCOUNT } from '../support/azurite';
import { md5, withoutMarker } from '../support/blobAssert';
import { useCopyFixture } from '../support/copyFixture';

const MiB = 1024 * 1024;
const fixture = useCopyFixture();

const secondary = (url: string) => url.replace('/devstoreaccount1/', '/devstoreaccount1-secondary/');
const dst = (path: string) => `${fixture.azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${path}?${new URL(fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;

describe('a secondary endpoint as the source', () => {
  for (const [label, url] of [
    ['with a SAS', (name: string) => secondary(fixture.azurite.blobSasUrl('source', name))],
    ['with the account key', (name: string) => secondary(`${fixture.azurite.blobEndpoint()}/source/${name}`)],
  ] as const) {
    it(`fixture.copies a blob read from the secondary (${label}), relayed or by URL, every byte right`, async () => {
      const body = randomBytes(3 * MiB + 1);
      const name = `secondary/${label.replace(/ /g, '-')}.bin`;
      await fixture.source.getBlockBlobClient(name).uploadData(body, { metadata: { origin: 'primary' } });
      for (const strategy of ['auto', 'relay', 'block-copy'] as const) {
        const result = await fixture.copies.copy({ source: url(name), destination: dst(`${strategy}/${name}`), options: { strategy, blockSizeMiB: 1 } });
        assert.deepEqual(result.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 }, `${strategy}: ${JSON.stringify(result)}`);
        const copy = fixture.target.getBlobClient(`${strategy}/${name}`);
        assert.equal(md5(await copy.downloadToBuffer()), md5(body), strategy);
        assert.deepEqual(withoutMarker((await copy.getProperties()).metadata), { origin: 'primary' });
      }
    });
  }

  it('lists a prefix on the secondary', async () => {
    for (const n of ['a', 'b', 'c']) await fixture.source.getBlockBlobClient(`secondary-prefix/${n}.txt`).upload(n, 1);
    const url = secondary(fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl')).replace('/source?', '/source/secondary-prefix/?');
    const result = await fixture.copies.copy({ source: url, destination: dst('from-secondary/'), options: { recursive: true } });
    assert.deepEqual(result.blobs, { total: 3, copied: 3, skipped: 0, failed: 0 }, JSON.stringify(result));
    assert.equal((await fixture.target.getBlobClient('from-secondary/b.txt').downloadToBuffer()).toString(), 'b');
  });

  it('refuses to lease or delete on a read-only secondary, and to copy a blob onto its own primary', async () => {
    await fixture.source.getBlockBlobClient('secondary/keep.txt').upload('keep', 4);
    const url = secondary(fixture.azurite.blobSasUrl('source', 'secondary/keep.txt', 'devstoreaccount1', 'rwd'));
    for (const options of [{ leaseSource: true }, { deleteSource: true }]) {
      const refused = await fixture.copies.copy({ source: url, destination: dst('never.txt'), options });
      assert.equal(refused.error?.code, 'CONFLICTING_OPTIONS', JSON.stringify(refused));
      assert.match(refused.error?.message ?? '', /secondary/);
    }
    assert.throws(() => fixture.copies.start({ source: url, destination: fixture.azurite.blobSasUrl('source', 'secondary/keep.txt', 'devstoreaccount1', 'racwd'), options: { overwrite: 'always' } }), { code: 'SAME_SOURCE_DESTINATION' });
    assert.equal(await fixture.target.getBlobClient('never.txt').exists(), false);
    assert.equal((await fixture.source.getBlobClient('secondary/keep.txt').downloadToBuffer()).toString(), 'keep');
  });
});
