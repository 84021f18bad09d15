/**
 * Many small blobs (each fits in one block) in one activity, `concurrency` at a time (relay:
 * within its memory budget): a prefix of
 * ten thousand 4 KiB files must not cost ten thousand orchestration steps. Each blob is one
 * staged block plus a commit (block-copy), or one read plus one Put Blob (relay), both under the
 * overwrite policy's conditions; one blob's failure is reported and the others go on.
 */
import { createHash } from 'node:crypto';
import { BlobferryError, isBlobferryError } from '../../contracts/errors';
import type { BlobOutcome, SourceBlob } from '../../contracts/blobFacts';
import { displayBlobUrl } from '../../contracts/locations';
import { blockId, versionTag } from '../../plan/blocks';
import { prefixDestinationName } from '../../plan/names';
import { keptByPolicy, type CommitConditions } from '../../plan/overwrite';
import type { AzureBlobs } from '../../storage/azureBlobs';
import { destinationOf, sourceBlobsOf, sourceReaderOf } from '../sources';
import type { ActivityResult, Job } from '../types';
import { commitContent } from './content';
import { decide } from './prepareBlob';
import { relayParallel } from './relay';
import { mapPool, settle } from './settle';

export interface SmallBlobsArgs {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  items: SourceBlob[];
}

const RENAME_ATTEMPTS = 3;

export function copySmallBlobs(args: SmallBlobsArgs): Promise<ActivityResult<{ outcomes: BlobOutcome[] }>> {
  return settle(async () => {
    const destination = destinationOf(args.job);
    const { concurrency } = args.job.options;
    // Relay holds each blob in memory while it copies it: keep to the relay's memory budget.
    const largest = Math.max(1, ...args.items.map((item) => item.size));
    const parallel = args.job.strategy === 'relay' ? relayParallel(concurrency, largest) : concurrency;
    const outcomes = await mapPool(args.items, parallel, (item) => copyOne(args, destination, item));
    return { outcomes };
  });
}

async function copyOne(args: SmallBlobsArgs, destination: AzureBlobs, blob: SourceBlob): Promise<BlobOutcome> {
  const { job } = args;
  const name = prefixDestinationName(args.destinationPrefix, args.sourcePrefix, blob.name);
  const outcome = (result: BlobOutcome['outcome'], extra: Partial<BlobOutcome> = {}): BlobOutcome => ({
    source: displayBlobUrl(job.source, blob.name),
    destination: displayBlobUrl(job.destination, extra.destination ?? name),
    outcome: result,
    bytes: result === 'copied' ? blob.size : 0,
    ...(extra.code ? { code: extra.code, message: extra.message } : {}),
  });
  const policy = job.options.overwrite;
  try {
    for (let attempt = 1; ; attempt++) {
      // "never" needs no look: the commit's If-None-Match decides, one request fewer per blob.
      const decision = await decide(destination, job, blob, name, policy === 'if-source-newer' || policy === 'rename');
      if (decision.action === 'skip') return outcome('skipped', { code: decision.code, message: decision.reason });
      try {
        await writeSmall(job, destination, blob, decision.name, decision.conditions);
        return outcome('copied', { destination: decision.name });
      } catch (err) {
        if (policy === 'rename' && isBlobferryError(err) && err.code === 'DESTINATION_EXISTS' && attempt < RENAME_ATTEMPTS) continue;
        throw err;
      }
    }
  } catch (err) {
    const e = isBlobferryError(err) ? err : new BlobferryError('INTERNAL', (err as Error)?.message ?? String(err));
    return outcome(keptByPolicy(policy, e.code) ? 'skipped' : 'failed', { code: e.code, message: e.message });
  }
}

async function writeSmall(job: Job, destination: AzureBlobs, blob: SourceBlob, name: string, conditions: CommitConditions): Promise<void> {
  if (job.strategy === 'relay') {
    const body = await sourceReaderOf(job, blob).readRange(0, blob.size);
    const md5 = createHash('md5').update(body).digest();
    const md5Text = md5.toString('base64');
    if (blob.properties.contentMD5 && blob.properties.contentMD5 !== md5Text) {
      throw new BlobferryError('MD5_MISMATCH', `The bytes read from ${blob.name} do not match its declared MD5; nothing was written.`);
    }
    await destination.putWhole(name, body, md5, commitContent(job.options, blob, md5Text), conditions);
    return;
  }
  const content = commitContent(job.options, blob);
  if (blob.size === 0) {
    await destination.commit(name, [], content, conditions);
    return;
  }
  const source = sourceBlobsOf(job)!;
  const id = blockId(versionTag(blob), 0);
  await destination.stageFromUrl(destination.stagingClient(name, blob.etag), name, id, await source.sourceAccess(blob.name), 0, blob.size);
  await destination.commit(name, [id], content, conditions);
}
