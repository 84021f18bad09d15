/**
 * A batch migration's result, as a JSON blob in the app's results container: `<container>/<job id>.json`.
 * The container comes from settings and the name from a checked job id, never from the input as
 * given: an orchestration started by hand through the Durable webhook must not write elsewhere
 * in the app's storage (azure-webjobs-secrets holds the function keys).
 */
import { isJobId } from '../../contracts/copyJob';
import { BlobferryError } from '../../contracts/errors';
import { appContainer, resultsContainer } from '../../storage/appStorage';
import { activity } from '../calls';
import type { ActivityResult, CopyJobSummary } from '../types';
import { settle } from './settle';

export const writeJobSummary = activity('writeJobSummary', (args: { summary: CopyJobSummary }): Promise<ActivityResult<{ url: string }>> =>
  settle(async () => {
    if (!isJobId(args.summary.jobId)) throw new BlobferryError('BAD_REQUEST', 'A job summary needs a job id of 1-100 letters, digits or . _ : -; nothing was written.');
    const container = appContainer(resultsContainer());
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient(`${args.summary.jobId}.json`);
    const body = JSON.stringify(args.summary, null, 2);
    await blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return { url: blob.url.split('?')[0] };
  }),
);
