/** How one blob's copy ended, as orchestrators pass it around and report it. */
import type { BlobOutcome, SourceBlob } from '../contracts/blobFacts';
import { displayObjectUrl } from '../storage/registry';
import type { Job } from './types';

/** The end of one blob's copy, under the name it was (or would have been) written. */
export interface Ended {
  outcome: BlobOutcome['outcome'];
  name: string;
  code?: string;
  message?: string;
  /** How a copy was checked against its source. */
  verified?: string;
  sourceDeleted?: BlobOutcome['sourceDeleted'];
}

export function blobOutcome(job: Job, blob: SourceBlob, ended: Ended, strategy: string): BlobOutcome {
  return {
    source: displayObjectUrl(job.source, blob.name),
    destination: displayObjectUrl(job.destination, ended.name),
    outcome: ended.outcome,
    bytes: ended.outcome === 'copied' ? blob.size : 0,
    strategy,
    ...(ended.outcome === 'copied' ? { verified: ended.verified ?? 'size' } : {}),
    ...(ended.sourceDeleted ? { sourceDeleted: ended.sourceDeleted } : {}),
    ...(ended.code ? { code: ended.code, message: ended.message ?? '' } : ended.message ? { message: ended.message } : {}),
  };
}
