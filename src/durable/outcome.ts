/** How one blob's copy ended, as orchestrators pass it around and report it. */
import type { BlobOutcome, SourceBlob } from '../contracts/blobFacts';
import { displayBlobUrl } from '../contracts/locations';
import type { Job } from './types';

/** The end of one blob's copy, under the name it was (or would have been) written. */
export interface Ended {
  outcome: BlobOutcome['outcome'];
  name: string;
  code?: string;
  message?: string;
}

export function blobOutcome(job: Job, blob: SourceBlob, ended: Ended, strategy: string): BlobOutcome {
  return {
    source: displayBlobUrl(job.source, blob.name),
    destination: displayBlobUrl(job.destination, ended.name),
    outcome: ended.outcome,
    bytes: ended.outcome === 'copied' ? blob.size : 0,
    strategy,
    ...(ended.code ? { code: ended.code, message: ended.message ?? '' } : ended.message ? { message: ended.message } : {}),
  };
}
