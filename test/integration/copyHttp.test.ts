/**
 * Relay from a plain HTTP server: ranges read in order with If-Match, blocks uploaded with a
 * transactional MD5, the whole-object MD5 computed on the way and checked against Content-MD5;
 * a server without Range support is streamed once; a changed or missing object is refused.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import type { CopyHost } from '../support/copyHost';
import { startCopyFixture, type CopyFixture } from '../support/copyFixture';
import { startFileServer, type FileServer } from '../support/httpFileServer';

const MiB = 1024 * 1024;
let fixture: CopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let files: FileServer;
let target: ContainerClient;

before(async () => {
  [fixture, files] = await Promise.all([startCopyFixture(), startFileServer()]);
  ({ azurite, copies, target } = fixture);
});
after(async () => {
  await files.close();
  await fixture.stop();
});

const dstUrl = (name: string) => `${azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${name}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
const get = (name: string) => target.getBlobClient(name);

describe('relay from an HTTP server', () => {
  it('copies by ranges, chooses relay itself, and sets the whole-object MD5', async () => {
    const body = randomBytes(5.5 * MiB);
    files.put('/data/archive.tar', body, { contentType: 'application/x-tar' });
    const result = await copies.copy({ source: `${files.origin}/data/archive.tar`, destination: dstUrl('http/archive.tar'), options: { blockSizeMiB: 1, concurrency: 3 } });
    assert.equal(result.runtimeStatus, 'Completed', JSON.stringify(result));
    assert.equal(result.strategy, 'relay');
    assert.match(result.strategyReason ?? '', /Azurite cannot fetch/);
    assert.deepEqual(result.bytes, { total: body.length, copied: body.length });
    assert.equal(md5(await get('http/archive.tar').downloadToBuffer()), md5(body));
    const props = await get('http/archive.tar').getProperties();
    assert.equal(props.contentType, 'application/x-tar');
    assert.equal(Buffer.from(props.contentMD5 ?? []).toString('hex'), md5(body));
    const reads = files.requests.filter((r) => r.path === '/data/archive.tar' && r.method === 'GET');
    assert.ok(reads.every((r) => r.status === 206), 'every read is a range');
  });

  it('puts the object under a destination prefix by its name, and copies an empty one', async () => {
    files.put('/empty.txt', Buffer.alloc(0));
    const result = await copies.copy({ source: `${files.origin}/empty.txt`, destination: dstUrl('http/landing/').replace('/landing?', '/landing/?') });
    assert.equal(result.blobs.copied, 1, JSON.stringify(result));
    assert.equal((await get('http/landing/empty.txt').getProperties()).contentLength, 0);
  });

  it('streams a server that ignores Range once, and still checks every byte', async () => {
    const body = randomBytes(3 * MiB + 5);
    files.put('/norange.bin', body);
    files.ranges = false;
    try {
      const before = files.requests.length;
      const result = await copies.copy({ source: `${files.origin}/norange.bin`, destination: dstUrl('http/norange.bin'), options: { blockSizeMiB: 1 } });
      assert.equal(result.blobs.copied, 1, JSON.stringify(result));
      assert.equal(md5(await get('http/norange.bin').downloadToBuffer()), md5(body));
      const gets = files.requests.slice(before).filter((r) => r.path === '/norange.bin' && r.method === 'GET');
      assert.equal(gets.length, 2, 'one probe, one full read');
    } finally {
      files.ranges = true;
    }
  });

  it('checks the whole-object MD5 against Content-MD5: a match copies, a mismatch commits nothing', async () => {
    const body = randomBytes(2 * MiB + 1);
    files.put('/md5/right.bin', body, { contentMD5: true });
    const right = await copies.copy({ source: `${files.origin}/md5/right.bin`, destination: dstUrl('http/md5-right.bin'), options: { blockSizeMiB: 1 } });
    assert.equal(right.blobs.copied, 1, JSON.stringify(right));
    files.put('/md5/wrong.bin', body, { contentMD5: createHash('md5').update('something else').digest('base64') });
    const wrong = await copies.copy({ source: `${files.origin}/md5/wrong.bin`, destination: dstUrl('http/md5-wrong.bin'), options: { blockSizeMiB: 1 } });
    assert.equal(wrong.blobs.failed, 1, JSON.stringify(wrong));
    assert.equal(wrong.failures[0].code, 'MD5_MISMATCH');
    assert.equal(await get('http/md5-wrong.bin').exists(), false);
  });

  it('refuses an object that changes while it is read (If-Match), committing nothing', async () => {
    const body = randomBytes(4 * MiB);
    files.put('/changing.bin', body);
    const original = files.files.get('/changing.bin')!;
    // Replace the object after its second range has been served.
    const interval = setInterval(() => {
      const reads = files.requests.filter((r) => r.path === '/changing.bin' && r.status === 206).length;
      if (reads >= 2 && files.files.get('/changing.bin') === original) files.put('/changing.bin', randomBytes(4 * MiB));
    }, 1);
    try {
      const result = await copies.copy({ source: `${files.origin}/changing.bin`, destination: dstUrl('http/changing.bin'), options: { blockSizeMiB: 1, concurrency: 1 } });
      assert.equal(result.blobs.failed, 1, JSON.stringify(result));
      assert.equal(result.failures[0].code, 'SOURCE_CHANGED');
      assert.equal(await get('http/changing.bin').exists(), false);
    } finally {
      clearInterval(interval);
    }
  });

  it('refuses an object that shrinks while it is read (a range it no longer holds: HTTP 416), committing nothing', async () => {
    // No ETag or Last-Modified to pin the reads to: only the ranges tell.
    files.put('/shrinking.bin', randomBytes(4 * MiB), { etag: undefined, lastModified: undefined });
    const original = files.files.get('/shrinking.bin')!;
    const interval = setInterval(() => {
      const reads = files.requests.filter((r) => r.path === '/shrinking.bin' && r.status === 206).length;
      if (reads >= 2 && files.files.get('/shrinking.bin') === original) files.put('/shrinking.bin', randomBytes(MiB), { etag: undefined, lastModified: undefined });
    }, 1);
    try {
      const result = await copies.copy({ source: `${files.origin}/shrinking.bin`, destination: dstUrl('http/shrinking.bin'), options: { blockSizeMiB: 1, concurrency: 1 } });
      assert.equal(result.blobs.failed, 1, JSON.stringify(result));
      assert.equal(result.failures[0].code, 'SOURCE_CHANGED', JSON.stringify(result.failures));
      assert.ok(files.requests.some((r) => r.path === '/shrinking.bin' && r.status === 416), 'a range was refused');
      assert.equal(await get('http/shrinking.bin').exists(), false);
    } finally {
      clearInterval(interval);
    }
  });

  it('reports a missing object as SOURCE_NOT_FOUND before writing anything', async () => {
    const result = await copies.copy({ source: `${files.origin}/nope.bin`, destination: dstUrl('http/nope.bin') });
    assert.equal(result.runtimeStatus, 'Failed');
    assert.equal(result.error?.code, 'SOURCE_NOT_FOUND');
    assert.equal(await get('http/nope.bin').exists(), false);
  });
});
