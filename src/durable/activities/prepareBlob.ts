/** Before copying a large blob: look at the destination and decide, under the overwrite policy. */
import { randomUUID } from 'node:crypto';
import type { DestinationState, SourceBlob } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import { decideOverwrite, type OverwriteDecision } from '../../plan/overwrite';
import { suffixFromGuid } from '../../plan/names';
import type { BlobDestination } from '../../storage/endpoint';
import { openDestination } from '../../storage/registry';
import { activity } from '../calls';
import { commitContent } from './content';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export const prepareBlob = activity('prepareBlob', (args: { job: Job; blob: SourceBlob; name: string }): Promise<ActivityResult<{ decision: OverwriteDecision }>> =>
  settle(async () => ({ decision: await decide(openDestination(args.job), args.job, args.blob, args.name) })),
);

export async function decide(destination: BlobDestination, job: Job, blob: SourceBlob, name: string, lookFirst = job.options.overwrite !== 'always'): Promise<OverwriteDecision> {
  // Metadata or tags Azure would refuse fail the blob now, before any block is staged (a listing
  // entry not yet described is checked when its read describes it).
  if (!blob.partial) commitContent(job.options, blob);
  return (await lookAndDecide(destination, job, blob, name, lookFirst)).decision;
}

/**
 * The decision and what it was made from. A destination with a copy pending cannot be written
 * (Azure allows one copy at a time): PENDING_COPY, which --on-pending-copy wait waits out.
 */
export async function lookAndDecide(destination: BlobDestination, job: Job, blob: SourceBlob, name: string, lookFirst: boolean): Promise<{ decision: OverwriteDecision; state: DestinationState }> {
  const state = lookFirst ? await lookAt(destination, name, job) : ({ exists: false } as DestinationState);
  const decision = decideOverwrite(job.options.overwrite, name, state, blob.lastModified ?? new Date(0).toISOString(), suffixFromGuid(randomUUID()));
  if (decision.action === 'copy' && decision.name === name && state.exists && state.copyPending) {
    throw new BlobferryError('PENDING_COPY', `${name} has a copy pending from someone else; Azure allows one at a time. Wait for it or abort it, or run with --on-pending-copy wait.`);
  }
  return { decision, state };
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
