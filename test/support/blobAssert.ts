/** Byte-for-byte (MD5) and property comparison of a copy with its source. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BlobClient } from '@azure/storage-blob';
import { COPY_MARKER } from '../../src/contracts/blobFacts';

export const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Metadata without blobferry's copy marker: what the source had. */
export function withoutMarker(metadata: Record<string, string> | undefined): Record<string, string> {
  const { [COPY_MARKER]: _marker, ...rest } = metadata ?? {};
  return rest;
}

export async function assertSameBlob(source: BlobClient, copy: BlobClient, what = copy.name, blobType = 'BlockBlob'): Promise<void> {
  const [a, b] = await Promise.all([source.downloadToBuffer(), copy.downloadToBuffer()]);
  assert.equal(b.length, a.length, `${what}: size`);
  assert.equal(md5(b), md5(a), `${what}: MD5 of the bytes`);
  const [p, q] = await Promise.all([source.getProperties(), copy.getProperties()]);
  assert.equal(q.blobType, blobType, `${what}: blob type`);
  for (const key of ['contentType', 'contentEncoding', 'contentLanguage', 'contentDisposition', 'cacheControl'] as const) {
    assert.equal(q[key], p[key], `${what}: ${key}`);
  }
  // A copy carries the source's metadata plus blobferry's copy marker (which names its run).
  assert.match(q.metadata?.[COPY_MARKER] ?? '', /^[0-9a-f-]+\.[0-9a-f]{8}$/, `${what}: the copy marker`);
  assert.deepEqual(withoutMarker(q.metadata), withoutMarker(p.metadata), `${what}: metadata`);
  if (p.contentMD5 && p.contentMD5.length > 0) {
    assert.equal(Buffer.from(q.contentMD5 ?? []).toString('base64'), Buffer.from(p.contentMD5).toString('base64'), `${what}: Content-MD5 property`);
  }
}
