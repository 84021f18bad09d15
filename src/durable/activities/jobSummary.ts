/** A batch migration's result, as a JSON blob in the app's results container: `<container>/<job id>.json`. */
import { appContainer } from '../../storage/appStorage';
import { activity } from '../calls';
import type { ActivityResult, CopyJobSummary } from '../types';
import { settle } from './settle';

export const writeJobSummary = activity('writeJobSummary', (args: { resultsContainer: string; summary: CopyJobSummary }): Promise<ActivityResult<{ url: string }>> =>
  settle(async () => {
    const container = appContainer(args.resultsContainer);
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient(`${args.summary.jobId}.json`);
    const body = JSON.stringify(args.summary, null, 2);
    await blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return { url: blob.url.split('?')[0] };
  }),
);
