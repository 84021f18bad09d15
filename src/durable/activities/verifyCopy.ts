/**
 * `verify: "md5"`: after a copy, read the destination back and compare its MD5 with the
 * source's: the source's declared MD5 (Content-MD5, a single-part S3 ETag) when there is one,
 * else the MD5 the relay computed on the way, else the source read again (pinned to the version
 * copied). Reading costs what the copy moved, once more through blobferry; "size" (the default)
 * only compares sizes.
 */
import { createHash } from 'node:crypto';
import { BlobferryError } from '../../contracts/errors';
import type { SourceBlob } from '../../contracts/blobFacts';
import type { BlobDestination, SourceEndpoint } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

/** Bytes read per request while hashing. */
const READ_CHUNK = 8 * 1024 * 1024;

export const verifyCopy = activity('verifyCopy', (args: { job: Job; blob: SourceBlob; name: string; computedMD5?: string }): Promise<ActivityResult<{ md5: string }>> =>
  settle(async () => ({ md5: await verifyOne(args.blob, args.name, await openSource(args.job), await openDestination(args.job), args.computedMD5) })),
);

export async function verifyOne(blob: SourceBlob, name: string, source: SourceEndpoint, destination: BlobDestination, computedMD5?: string): Promise<string> {
  const written = await destination.properties(name);
  const size = written.contentLength ?? 0;
  const actual = await md5Of(size, (offset, count) => destination.readRange(name, offset, count, written.etag));
  const expected = blob.properties.contentMD5 ?? computedMD5 ?? (await md5Of(blob.size, (offset, count) => source.readRange(blob, offset, count)));
  if (size !== blob.size || actual !== expected) {
    throw new BlobferryError('MD5_MISMATCH', `${name} was written, but reading it back gives ${size} bytes with MD5 ${actual}; the source has ${blob.size} bytes with MD5 ${expected}. Do not trust this copy; copy it again.`);
  }
  return actual;
}

async function md5Of(size: number, read: (offset: number, count: number) => Promise<Buffer>): Promise<string> {
  const hash = createHash('md5');
  for (let offset = 0; offset < size; offset += READ_CHUNK) hash.update(await read(offset, Math.min(READ_CHUNK, size - offset)));
  return hash.digest('base64');
}
