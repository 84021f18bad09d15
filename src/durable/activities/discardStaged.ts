/**
 * A copy in blocks that ended without its commit: what it staged is let go (a local download's
 * temporary file is removed, so a failed copy leaves nothing half-written on disk; Azure drops
 * uncommitted blocks by itself after a week). Not after an expired SAS: that copy goes on.
 */
import { openDestination } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export const discardStaged = activity('discardStaged', (args: { job: Job; name: string }): Promise<ActivityResult<object>> =>
  settle(async () => {
    await (await openDestination(args.job)).discardStaged(args.name);
    return {};
  }),
);
