/** Opening a job's endpoints inside an activity: unseal, then the storage client for each side. */
import type { SourceBlob } from '../contracts/blobFacts';
import { AzureBlobs, quotedEtag, type SourceAccess } from '../storage/azureBlobs';
import { withSecret } from '../storage/endpoints';
import { HttpSource } from '../storage/httpSource';
import { unsealLocation } from '../storage/seal';
import type { Job } from './types';

export interface SourceReader {
  /** A byte range of the pinned version (into `into`, a reused buffer, when given). */
  readRange(offset: number, count: number, into?: Buffer): Promise<Buffer>;
  /** The whole object as one stream (sources without Range support). */
  stream(): AsyncIterable<Buffer>;
}

export function destinationOf(job: Job): AzureBlobs {
  return new AzureBlobs(unsealLocation(job.destination), 'destination');
}

export function sourceReaderOf(job: Job, blob: SourceBlob): SourceReader {
  const source = unsealLocation(job.source);
  if (source.kind === 'http') {
    const http = new HttpSource(source);
    const pin = { etag: blob.etag, lastModified: blob.lastModified };
    return { readRange: (offset, count, into) => http.readRange(offset, count, pin, into), stream: () => http.stream(pin) };
  }
  const blobs = new AzureBlobs(source, 'source');
  return {
    readRange: (offset, count, into) => blobs.readRange(blob.name, offset, count, blob.etag, into),
    stream: () => {
      throw new Error('blob sources are read by ranges');
    },
  };
}

/** How the destination service reads the source: a blob's (signed) URL, or the HTTP URL with its query. */
export async function serviceSourceAccess(job: Job, blob: SourceBlob): Promise<SourceAccess> {
  const source = unsealLocation(job.source);
  if (source.kind === 'http') return { url: withSecret(source.url, source.secret) };
  return new AzureBlobs(source, 'source').sourceAccess(blob.name);
}

/** Re-reads the source's version: has it changed since the copy was planned? */
export async function sourceStillPinned(job: Job, blob: SourceBlob): Promise<boolean> {
  const source = unsealLocation(job.source);
  if (source.kind === 'http') {
    const now = await new HttpSource(source).currentVersion();
    return (blob.etag === undefined || now.etag === blob.etag) && (blob.lastModified === undefined || now.lastModified === blob.lastModified) && (now.size === undefined || now.size === blob.size);
  }
  const props = await new AzureBlobs(source, 'source').properties(blob.name);
  return quotedEtag(props.etag) === quotedEtag(blob.etag);
}
