/**
 * Prefix and container copies: a 1,000-blob prefix with --include/--exclude, small and large
 * blobs together (batches and sub-orchestrations), awkward names under a prefix, and the report.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
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

const srcPrefix = (prefix: string) => azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('/source?', `/source/${prefix}?`);
const dstPrefix = (prefix: string) => azurite.containerSasUrl('target', SECOND_ACCOUNT).replace('/target?', `/target/${prefix}?`);

async function listNames(container: ContainerClient, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const blob of container.listBlobsFlat({ prefix })) out.set(blob.name, blob.name);
  return out;
}

async function uploadMany(entries: Array<[string, Buffer]>, parallel = 32): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < entries.length) {
      const [name, body] = entries[next++];
      await source.getBlockBlobClient(name).upload(body, body.length);
    }
  }));
}

describe('prefix copies', () => {
  it('copies 1,000 blobs under a prefix, filtered by --include and --exclude, every byte right', async () => {
    const entries: Array<[string, Buffer]> = [];
    for (let i = 0; i < 1000; i++) {
      const dir = i % 10 === 0 ? 'skip' : `d${i % 7}`;
      const ext = i % 2 === 0 ? 'csv' : 'log';
      entries.push([`big-prefix/${dir}/file-${String(i).padStart(4, '0')}.${ext}`, randomBytes(100 + (i % 50))]);
    }
    await uploadMany(entries);
    const result = await copies.copy({ source: srcPrefix('big-prefix/'), destination: dstPrefix('mirror/'), options: { recursive: true, include: ['*.csv'], exclude: ['skip/**'] } });
    const expected = entries.filter(([name]) => name.endsWith('.csv') && !name.includes('/skip/'));
    assert.equal(result.runtimeStatus, 'Completed', JSON.stringify(result).slice(0, 500));
    assert.deepEqual(result.blobs, { total: expected.length, copied: expected.length, skipped: 0, failed: 0 });
    const copied = await listNames(target, 'mirror/');
    assert.equal(copied.size, expected.length);
    for (const [name, body] of expected) {
      const got = await target.getBlobClient(name.replace('big-prefix/', 'mirror/')).downloadToBuffer();
      assert.equal(md5(got), md5(body), name);
    }
    assert.ok(![...copied.keys()].some((n) => n.includes('/skip/') || n.endsWith('.log')));
  });

  it('copies small and large blobs together, keeps awkward names, and checks every byte', async () => {
    const entries: Array<[string, Buffer]> = [
      ['mixed/empty.bin', Buffer.alloc(0)],
      ['mixed/one.bin', randomBytes(1)],
      ['mixed/large-a.bin', randomBytes(3 * MiB + 17)],
      ['mixed/large-b.bin', randomBytes(2 * MiB)],
      ['mixed/with space/ünï %#?+.txt', Buffer.from('odd')],
      ['mixed/a/b/c/d/e/deep.txt', Buffer.from('deep')],
    ];
    await uploadMany(entries, 4);
    const result = await copies.copy({ source: srcPrefix('mixed/'), destination: dstPrefix('mixed-copy/'), options: { recursive: true, blockSizeMiB: 1 } });
    assert.deepEqual(result.blobs, { total: entries.length, copied: entries.length, skipped: 0, failed: 0 }, JSON.stringify(result));
    assert.equal(result.bytes.copied, entries.reduce((sum, [, b]) => sum + b.length, 0));
    for (const [name, body] of entries) {
      const copy = target.getBlobClient(name.replace('mixed/', 'mixed-copy/'));
      assert.equal(md5(await copy.downloadToBuffer()), md5(body), name);
      assert.equal((await copy.getProperties()).blobType, 'BlockBlob');
    }
  });

  it('copies a whole container with --recursive, and refuses a prefix without it', async () => {
    const whole = azurite.blobService().getContainerClient('whole');
    await whole.create();
    for (const name of ['x.txt', 'y/z.txt']) await whole.getBlockBlobClient(name).upload(name, name.length);
    const sourceUrl = azurite.containerSasUrl('whole', 'devstoreaccount1', 'rl');
    const refused = await copies.copy({ source: sourceUrl, destination: dstPrefix('whole/') });
    assert.equal(refused.runtimeStatus, 'Failed');
    assert.equal(refused.error?.code, 'CONFLICTING_OPTIONS');
    assert.match(refused.error?.message ?? '', /--recursive/);
    const result = await copies.copy({ source: sourceUrl, destination: dstPrefix('whole/'), options: { recursive: true } });
    assert.deepEqual(result.blobs, { total: 2, copied: 2, skipped: 0, failed: 0 });
    assert.equal((await target.getBlobClient('whole/y/z.txt').downloadToBuffer()).toString(), 'y/z.txt');
  });

  it('reports each blob that failed, with source, destination, code and message, and copies the rest', async () => {
    await uploadMany([['partial/a.txt', Buffer.from('a')], ['partial/b.txt', Buffer.from('b')], ['partial/c.txt', Buffer.from('c')]], 3);
    await target.getBlockBlobClient('partial-copy/b.txt').upload('already here', 12);
    const result = await copies.copy({ source: srcPrefix('partial/'), destination: dstPrefix('partial-copy/'), options: { recursive: true, overwrite: 'never' } });
    assert.deepEqual(result.blobs, { total: 3, copied: 2, skipped: 1, failed: 0 });
    assert.equal((await target.getBlobClient('partial-copy/b.txt').downloadToBuffer()).toString(), 'already here');
    const progress = copies.host.engine.getStatus(`${result.instanceId}:prefix`)?.customStatus as { phase: string };
    assert.equal(progress.phase, 'done');
  });

  it('copies only what changed after --include-after and before --include-before (last-modified times)', async () => {
    const upload = (name: string) => source.getBlockBlobClient(`dated/${name}`).upload(name, name.length);
    await upload('old.txt');
    // Last-Modified counts seconds: each group a second and more apart.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await Promise.all([upload('new-1.txt'), upload('deep/new 2.txt')]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await upload('newest.txt');
    const result = await copies.copy({ source: srcPrefix('dated/'), destination: dstPrefix('dated-copy/'), options: { recursive: true, includeAfter: after, includeBefore: before } });
    assert.deepEqual(result.blobs, { total: 2, copied: 2, skipped: 0, failed: 0 }, JSON.stringify(result));
    assert.deepEqual([...(await listNames(target, 'dated-copy/')).keys()].sort(), ['dated-copy/deep/new 2.txt', 'dated-copy/new-1.txt']);
    const none = await copies.copy({ source: srcPrefix('dated/'), destination: dstPrefix('dated-none/'), options: { recursive: true, includeAfter: new Date(Date.now() + 3600_000).toISOString() } });
    assert.equal(none.error?.code, 'NOTHING_TO_COPY', JSON.stringify(none));
    assert.match(none.error?.message ?? '', /--include-after/);
  });

  it('copies an empty prefix as zero blobs', async () => {
    const result = await copies.copy({ source: srcPrefix('nothing-here/'), destination: dstPrefix('nothing/'), options: { recursive: true } });
    assert.equal(result.runtimeStatus, 'Completed');
    assert.deepEqual(result.blobs, { total: 0, copied: 0, skipped: 0, failed: 0 });
  });
});
