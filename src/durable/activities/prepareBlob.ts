/** Before copying a large blob: look at the destination and decide, under the overwrite policy. */
import type { DestinationState, SourceBlob } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import { copyMarker, decideOverwrite, ownWrite, renameSuffix, sourceSideOf, type OverwriteDecision, type SourceSide } from '../../plan/overwrite';
import type { BlobDestination } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import { commitContent } from './content';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export const prepareBlob = activity('prepareBlob', (args: { job: Job; blob: SourceBlob; name: string; attempt?: number }): Promise<ActivityResult<{ decision: OverwriteDecision }>> =>
  settle(async () => ({ decision: await decide(await openDestination(args.job), args.job, args.blob, args.name, args.job.options.overwrite !== 'always', args.attempt) })),
);

/** `attempt`: which try at a free renamed name this is (each gets its own suffix, the same in every run of it). */
export async function decide(destination: BlobDestination, job: Job, blob: SourceBlob, name: string, lookFirst = job.options.overwrite !== 'always', attempt = 1): Promise<OverwriteDecision> {
  // Metadata or tags Azure would refuse fail the blob now, before any block is staged (a listing
  // entry not yet described is checked when its read describes it).
  if (!blob.partial) commitContent(job, blob);
  return (await lookAndDecide(destination, job, blob, name, lookFirst, attempt)).decision;
}

/**
 * The decision and what it was made from. A destination with a copy pending cannot be written
 * (Azure allows one copy at a time): PENDING_COPY, which --on-pending-copy wait waits out.
 */
export async function lookAndDecide(destination: BlobDestination, job: Job, blob: SourceBlob, name: string, lookFirst: boolean, attempt = 1): Promise<{ decision: OverwriteDecision; state: DestinationState }> {
  const state = lookFirst ? await lookAt(destination, name, job) : ({ exists: false } as DestinationState);
  const marker = copyMarker(job.run, blob);
  const source = await withMD5s(job, blob, name, destination, state);
  const decision = decideOverwrite(job.options.overwrite, name, state, source, renameSuffix(marker, name, attempt), { marker, size: blob.size }, job.options.compare);
  if (decision.action === 'copy' && decision.name === name && state.exists && state.copyPending) {
    throw new BlobferryError('PENDING_COPY', `${name} has a copy pending from someone else; Azure allows one at a time. Wait for it or abort it, or run with --on-pending-copy wait.`);
  }
  return { decision, state };
}

/**
 * Sync with --compare md5: MD5s the listing did not give are asked for (a local file is read
 * and hashed; a blob says its Content-MD5 or has none). The state is completed in place.
 */
async function withMD5s(job: Job, blob: SourceBlob, name: string, destination: BlobDestination, state: DestinationState): Promise<SourceSide> {
  const side = sourceSideOf(blob);
  if (job.options.overwrite !== 'if-different' || job.options.compare !== 'md5' || !state.exists || state.size !== blob.size) return side;
  side.md5 ??= await (await openSource(job)).md5?.(blob);
  state.md5 ??= await destination.md5?.(name);
  return side;
}

/** The destination's state; a write-only SAS cannot read it, and "never" can do without (the commit condition decides). */
async function lookAt(destination: BlobDestination, name: string, job: Job): Promise<DestinationState> {
  try {
    return await destination.destinationState(name);
  } catch (err) {
    if (err instanceof BlobferryError && err.code === 'PERMISSION_DENIED' && job.options.overwrite === 'never') return { exists: false };
    throw err;
  }
}

/**
 * A conditional write refused because the blob exists: is it this run's own earlier write of
 * this source version (the activity ran again after a crash)? Then it is adopted, not skipped,
 * failed or written again under another name.
 */
export async function isOwnWrite(destination: BlobDestination, job: Job, blob: SourceBlob, name: string, err: unknown): Promise<boolean> {
  if (!(err instanceof BlobferryError) || (err.code !== 'DESTINATION_EXISTS' && err.code !== 'DESTINATION_CHANGED')) return false;
  const state = await destination.destinationState(name).catch(() => undefined);
  return state !== undefined && ownWrite(state, copyMarker(job.run, blob), blob.size);
}
