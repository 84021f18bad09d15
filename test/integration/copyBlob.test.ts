/**
 * Single-blob copies across accounts on Azurite, by block-copy (Put Block From URL) and by relay:
 * sizes around the block size, awkward names, faithful properties, metadata, tags and tier, and
 * page and append blob sources. Every copy is compared byte for byte with its source.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { assertSameBlob, withoutMarker } from '../support/blobAssert';
import type { CopyHost } from '../support/copyHost';
import { startCopyFixture, type CopyFixture } from '../support/copyFixture';

const MiB = 1024 * 1024;
let fixture: CopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let source: ContainerClient;
let target: ContainerClient;

before(async () => {
  fixture = await startCopyFixture();
  ({ azurite, copies, source, target } = fixture);
});
after(async () => {
  await fixture.stop();
});

const srcUrl = (name: string) => azurite.blobSasUrl('source', name, 'devstoreaccount1', 'rt');
const dstUrl = (name: string) => `${azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${name.split('/').map(encodeURIComponent).join('/')}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;

async function upload(name: string, body: Buffer, extra: Parameters<ReturnType<ContainerClient['getBlockBlobClient']>['uploadData']>[1] = {}) {
  await source.getBlockBlobClient(name).uploadData(body, { blockSize: 4 * MiB, ...extra });
}

for (const strategy of ['block-copy', 'relay'] as const) {
  describe(`${strategy}: sizes around the block size`, () => {
    const sizes: Array<[string, number]> = [
      ['0 bytes', 0],
      ['1 byte', 1],
      ['block - 1', MiB - 1],
      ['block', MiB],
      ['block + 1', MiB + 1],
      ['5.5 blocks', 5.5 * MiB],
    ];
    for (const [label, size] of sizes) {
      it(`copies ${label}`, async () => {
        const name = `${strategy}/size-${size}.bin`;
        await upload(name, randomBytes(size), { blobHTTPHeaders: { blobContentType: 'application/x-test', blobCacheControl: 'max-age=60' }, metadata: { origin: 'test', size: String(size) } });
        const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(`copied/${name}`), options: { blockSizeMiB: 1, strategy } });
        assert.equal(result.runtimeStatus, 'Completed', JSON.stringify(result));
        assert.deepEqual(result.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });
        assert.deepEqual(result.bytes, { total: size, copied: size });
        assert.equal(result.strategy, strategy);
        await assertSameBlob(source.getBlobClient(name), target.getBlobClient(`copied/${name}`));
      });
    }
  });
}

describe('names', () => {
  const names = ['with space.txt', 'ünïcødé-日本語.txt', 'per%cent.txt', 'hash#tag.txt', 'question?.txt', 'plus+sign.txt', 'a/b/c/d/e/f/g/deep.txt', "quote'and\"double.txt"];
  for (const name of names) {
    it(`copies "${name}"`, async () => {
      const src = `names/${name}`;
      await upload(src, Buffer.from(`content of ${name}`));
      const result = await copies.copy({ source: srcUrl(src), destination: dstUrl(`names/${name}`) });
      assert.equal(result.blobs.copied, 1, JSON.stringify(result));
      await assertSameBlob(source.getBlobClient(src), target.getBlobClient(`names/${name}`));
    });
  }

  it('puts a blob under a destination prefix ending with "/" by its base name', async () => {
    await upload('names/base/report.pdf', Buffer.from('pdf'));
    const prefixUrl = dstUrl('landing/').replace('/landing?', '/landing/?');
    const result = await copies.copy({ source: srcUrl('names/base/report.pdf'), destination: prefixUrl });
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.equal((await target.getBlobClient('landing/report.pdf').downloadToBuffer()).toString(), 'pdf');
  });
});

describe('faithful copies', () => {
  it('carries content headers, Content-MD5, metadata and tags', async () => {
    const name = 'faithful/doc.html';
    await upload(name, Buffer.from('<h1>hello</h1>'), {
      blobHTTPHeaders: { blobContentType: 'text/html; charset=utf-8', blobContentEncoding: 'identity', blobContentLanguage: 'en-GB', blobContentDisposition: 'attachment; filename="doc.html"', blobCacheControl: 'no-cache', blobContentMD5: createHash('md5').update('<h1>hello</h1>').digest() },
      metadata: { owner: 'data-platform', project: 'blobferry' },
      tags: { team: 'platform', tier: 'gold' },
    });
    for (const strategy of ['block-copy', 'relay']) {
      const out = `faithful/${strategy}.html`;
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(out), options: { strategy } });
      assert.equal(result.blobs.copied, 1, JSON.stringify(result));
      const copy = target.getBlobClient(out);
      const props = await copy.getProperties();
      assert.equal(props.contentType, 'text/html; charset=utf-8');
      assert.equal(props.contentLanguage, 'en-GB');
      assert.equal(props.contentDisposition, 'attachment; filename="doc.html"');
      assert.equal(props.cacheControl, 'no-cache');
      assert.equal(Buffer.from(props.contentMD5 ?? []).toString('hex'), createHash('md5').update('<h1>hello</h1>').digest('hex'));
      assert.deepEqual(withoutMarker(props.metadata), { owner: 'data-platform', project: 'blobferry' });
      assert.deepEqual((await copy.getTags()).tags, { team: 'platform', tier: 'gold' });
    }
  });

  it('carries the access tier when asked, and not otherwise', async () => {
    const name = 'faithful/cool.bin';
    await upload(name, randomBytes(1000));
    await source.getBlobClient(name).setAccessTier('Cool');
    const asked = await copies.copy({ source: srcUrl(name), destination: dstUrl('faithful/cool-kept.bin'), options: { preserveAccessTier: true } });
    assert.equal(asked.blobs.copied, 1);
    assert.equal((await target.getBlobClient('faithful/cool-kept.bin').getProperties()).accessTier, 'Cool');
    // Blocks committed by blobferry get the account's default tier unless asked (a service-side
    // copy's tier is the service's choice: docs/strategies.md).
    await copies.copy({ source: srcUrl(name), destination: dstUrl('faithful/cool-default.bin'), options: { strategy: 'block-copy' } });
    assert.notEqual((await target.getBlobClient('faithful/cool-default.bin').getProperties()).accessTier, 'Cool');
    for (const strategy of ['sync-copy', 'server-copy']) {
      await copies.copy({ source: srcUrl(name), destination: dstUrl(`faithful/cool-${strategy}.bin`), options: { strategy, preserveAccessTier: true } });
      assert.equal((await target.getBlobClient(`faithful/cool-${strategy}.bin`).getProperties()).accessTier, 'Cool', strategy);
    }
  });

  it('copies page and append blobs into block blobs', async () => {
    const page = source.getPageBlobClient('kinds/disk.vhd');
    const pageData = randomBytes(3 * 512 * 1024);
    await page.create(pageData.length);
    await page.uploadPages(pageData, 0, pageData.length);
    const append = source.getAppendBlobClient('kinds/log.txt');
    await append.create();
    for (const line of ['one\n', 'two\n', 'three\n']) await append.appendBlock(line, line.length);
    for (const [name, strategy] of [['kinds/disk.vhd', 'block-copy'], ['kinds/log.txt', 'block-copy'], ['kinds/disk.vhd', 'relay'], ['kinds/log.txt', 'relay']]) {
      const out = `${name}.${strategy}`;
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(out), options: { strategy, blockSizeMiB: 1 } });
      assert.equal(result.blobs.copied, 1, `${out}: ${JSON.stringify(result)}`);
      await assertSameBlob(source.getBlobClient(name), target.getBlobClient(out), out);
    }
  });

  it('keeps page and append blobs as they are by server-copy, unless a block blob is asked for', async () => {
    for (const [name, type] of [['kinds/disk.vhd', 'PageBlob'], ['kinds/log.txt', 'AppendBlob']]) {
      const kept = await copies.copy({ source: srcUrl(name), destination: dstUrl(`${name}.kept`) });
      assert.equal(kept.strategy, 'server-copy', JSON.stringify(kept));
      await assertSameBlob(source.getBlobClient(name), target.getBlobClient(`${name}.kept`), name, type);
      const asBlock = await copies.copy({ source: srcUrl(name), destination: dstUrl(`${name}.block`), options: { blobType: 'block' } });
      assert.equal(asBlock.strategy, 'block-copy');
      assert.equal((await target.getBlobClient(`${name}.block`).getProperties()).blobType, 'BlockBlob');
    }
  });

  it('verify md5 reads each copy back: a faithful copy passes, bytes that differ from what the source declares fail', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await upload('verify/plain.bin', body);
    for (const strategy of ['sync-copy', 'block-copy', 'relay', 'server-copy']) {
      const result = await copies.copy({ source: srcUrl('verify/plain.bin'), destination: dstUrl(`verify/plain-${strategy}.bin`), options: { strategy, verify: 'md5', blockSizeMiB: 1 } });
      assert.equal(result.blobs.copied, 1, `${strategy}: ${JSON.stringify(result)}`);
    }
    // A source whose declared Content-MD5 is not its bytes' MD5: block-copy carries the claim over; verify catches it.
    await source.getBlockBlobClient('verify/lying.bin').upload(body, body.length);
    await source.getBlobClient('verify/lying.bin').setHTTPHeaders({ blobContentMD5: Buffer.alloc(16, 7) });
    const trusting = await copies.copy({ source: srcUrl('verify/lying.bin'), destination: dstUrl('verify/lying-size.bin'), options: { strategy: 'block-copy' } });
    assert.equal(trusting.blobs.copied, 1, 'size alone does not see it');
    const checked = await copies.copy({ source: srcUrl('verify/lying.bin'), destination: dstUrl('verify/lying-md5.bin'), options: { strategy: 'block-copy', verify: 'md5' } });
    assert.equal(checked.failures[0]?.code, 'MD5_MISMATCH', JSON.stringify(checked));
    assert.match(checked.failures[0].message, /Do not trust this copy/);
    const prefix = await copies.copy({ source: azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('/source?', '/source/verify/?'), destination: dstUrl('verify-prefix/'), options: { recursive: true, verify: 'md5', overwrite: 'always' } });
    assert.deepEqual(prefix.blobs, { total: 2, copied: 1, skipped: 0, failed: 1 }, JSON.stringify(prefix));
    assert.equal(prefix.failures[0].code, 'MD5_MISMATCH');
  });

  it('picks the strategy by the table and says why', async () => {
    await upload('auto/x.bin', randomBytes(10));
    const crossAccount = await copies.copy({ source: srcUrl('auto/x.bin'), destination: dstUrl('auto/x.bin') });
    assert.equal(crossAccount.strategy, 'sync-copy');
    assert.match(crossAccount.strategyReason ?? '', /another account, up to 256 MiB/);
    const sameAccount = await copies.copy({ source: srcUrl('auto/x.bin'), destination: `${azurite.blobEndpoint()}/source/auto/x-again.bin` });
    assert.equal(sameAccount.strategy, 'server-copy');
    assert.match(sameAccount.strategyReason ?? '', /same storage account/);
    await assertSameBlob(source.getBlobClient('auto/x.bin'), source.getBlobClient('auto/x-again.bin'), 'same account');
  });
});
