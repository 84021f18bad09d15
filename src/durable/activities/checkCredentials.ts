/** Whether a copy's credentials (the freshest given) can be used now: both sides open, and no SAS has expired. */
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export const checkCredentials = activity('checkCredentials', (args: { job: Job }): Promise<ActivityResult<object>> =>
  settle(async () => {
    await openSource(args.job);
    await openDestination(args.job);
    return {};
  }),
);
