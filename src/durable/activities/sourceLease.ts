/**
 * --lease-source: an infinite lease on the source blob while it is copied, so nobody can change
 * or delete it meanwhile; released at the end whatever the outcome. The lease id comes from the
 * orchestration (newGuid), so a re-run takes the same lease again instead of failing on its own.
 */
import { BlobferryError } from '../../contracts/errors';
import { unsealLocation } from '../../storage/seal';
import { AzureBlobs } from '../../storage/azureBlobs';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export interface LeaseArgs {
  job: Job;
  name: string;
  leaseId: string;
}

export function leaseSource(args: LeaseArgs): Promise<ActivityResult<object>> {
  return settle(async () => {
    await sourceBlobs(args.job).acquireLease(args.name, args.leaseId);
    return {};
  });
}

export function releaseSource(args: LeaseArgs): Promise<ActivityResult<object>> {
  return settle(async () => {
    await sourceBlobs(args.job).releaseLease(args.name, args.leaseId);
    return {};
  });
}

function sourceBlobs(job: Job): AzureBlobs {
  const source = unsealLocation(job.source);
  if (source.kind !== 'azure-blob') throw new BlobferryError('CONFLICTING_OPTIONS', '--lease-source needs a blob source; an HTTP source cannot be leased.');
  return new AzureBlobs(source, 'source');
}
