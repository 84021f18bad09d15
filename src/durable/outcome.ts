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
  /** A relay's MD5 of what it read (base64): --verify md5 compares the copy with it instead of reading the source again. */
  computedMD5?: string;
  /** The copy ended because it was stopped (cancelled, timed out) just as it finished: --delete-source keeps its source. */
  stopped?: { code: string };
  sourceDeleted?: BlobOutcome['sourceDeleted'];
}

/** `planned`: the name the copy was to have; a copy that ended under another was renamed. */
export function blobOutcome(job: Job, blob: SourceBlob, ended: Ended, strategy: string, planned?: string): BlobOutcome {
  return {
    source: displayObjectUrl(job.source, blob.name),
    destination: displayObjectUrl(job.destination, ended.name),
    outcome: ended.outcome,
    bytes: ended.outcome === 'copied' ? blob.size : 0,
    strategy,
    ...(ended.outcome === 'copied' ? { verified: ended.verified ?? 'size' } : {}),
    ...(ended.outcome === 'copied' && planned !== undefined && planned !== ended.name ? { renamed: true as const } : {}),
    ...(ended.sourceDeleted ? { sourceDeleted: ended.sourceDeleted } : {}),
    ...(ended.code ? { code: ended.code, message: ended.message ?? '' } : ended.message ? { message: ended.message } : {}),
  };
}

/** A copy kept although its bytes did not match the source's MD5 (--check-md5 warn) never costs the source (--delete-source). */
export function keptAfterMismatch(ended: Ended): Ended {
  return { ...ended, sourceDeleted: { code: 'MD5_MISMATCH', message: `${ended.name} did not match its source's MD5 (kept by --check-md5 warn); its source was kept.` } };
}
