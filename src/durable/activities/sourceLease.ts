/**
 * --lease-source: an infinite lease on the source blob while it is copied, so nobody can change
 * or delete it meanwhile; released at the end whatever the outcome. The lease id comes from the
 * orchestration (newGuid), so a re-run takes the same lease again instead of failing on its own.
 * Inspection refuses --lease-source for sources that cannot be leased.
 */
import { BlobferryError } from '../../contracts/errors';
import type { SourceEndpoint } from '../../storage/endpoint';
import { openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export interface LeaseArgs {
  job: Job;
  name: string;
  leaseId: string;
}

export const leaseSource = activity('leaseSource', (args: LeaseArgs): Promise<ActivityResult<object>> =>
  settle(async () => {
    await (await leaseOf(args.job)).acquire(args.name, args.leaseId);
    return {};
  }),
);

export const releaseSource = activity('releaseSource', (args: LeaseArgs): Promise<ActivityResult<object>> =>
  settle(async () => {
    await (await leaseOf(args.job)).release(args.name, args.leaseId);
    return {};
  }),
);

async function leaseOf(job: Job): Promise<NonNullable<SourceEndpoint['lease']>> {
  const source = await openSource(job);
  if (!source.lease) throw new BlobferryError('CONFLICTING_OPTIONS', `--lease-source: ${source.facts.noun} cannot be leased.`);
  return source.lease;
}
