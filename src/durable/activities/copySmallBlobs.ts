/**
 * Many blobs that each take one request or two in one activity, `concurrency` at a time (relay:
 * within its memory budget): a prefix of ten thousand 4 KiB files must not cost ten thousand
 * orchestration steps. By each blob's strategy: one Copy Blob From URL (sync-copy), one staged
 * block plus a commit (block-copy), one read plus one Put Blob (relay), or a started Copy Blob
 * (server-copy; one still pending is handed back for the orchestrator to follow), all under the
 * overwrite policy's conditions; one blob's failure is reported and the others go on.
 */
import { createHash } from 'node:crypto';
import { BlobferryError, isBlobferryError } from '../../contracts/errors';
import type { BlobOutcome, SourceBlob } from '../../contracts/blobFacts';
import { blockId, versionTag } from '../../plan/blocks';
import { prefixDestinationName } from '../../plan/names';
import { keptByPolicy, type CommitConditions } from '../../plan/overwrite';
import type { AzureBlobs } from '../../storage/azureBlobs';
import { chooseStrategy, type Strategy } from '../../plan/strategy';
import { blobOutcome } from '../outcome';
import { destinationOf, serviceSourceAccess, sourceReaderOf } from '../sources';
import type { ActivityResult, Job } from '../types';
import { commitContent } from './content';
import { decide } from './prepareBlob';
import { beginServerCopy, finishCopy, type ServerCopyStarted } from './serverCopy';
import { syncCopyOne } from './syncCopy';
import { verifyOne } from './verifyCopy';
import { relayParallel } from './relay';
import { mapPool, settle } from './settle';

/** A server copy the service has not finished yet, for the orchestrator to follow. */
export interface PendingServerCopy {
  blob: SourceBlob;
  started: ServerCopyStarted;
}

export interface SmallBlobsArgs {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  items: SourceBlob[];
}

const RENAME_ATTEMPTS = 3;

export function copySmallBlobs(args: SmallBlobsArgs): Promise<ActivityResult<{ outcomes: BlobOutcome[]; pending: PendingServerCopy[] }>> {
  return settle(async () => {
    const destination = destinationOf(args.job);
    const { concurrency } = args.job.options;
    // Relay holds each blob in memory while it copies it: keep to the relay's memory budget.
    const largest = Math.max(1, ...args.items.map((item) => item.size));
    const relays = args.items.some((item) => chooseStrategy(args.job.route, item).strategy === 'relay');
    const parallel = relays ? relayParallel(concurrency, largest) : concurrency;
    const results = await mapPool(args.items, parallel, (item) => copyOne(args, destination, item));
    return {
      outcomes: results.filter((r): r is BlobOutcome => 'outcome' in r),
      pending: results.filter((r): r is PendingServerCopy => 'started' in r),
    };
  });
}

async function copyOne(args: SmallBlobsArgs, destination: AzureBlobs, blob: SourceBlob): Promise<BlobOutcome | PendingServerCopy> {
  const { job } = args;
  const { strategy } = chooseStrategy(job.route, blob);
  const name = prefixDestinationName(args.destinationPrefix, args.sourcePrefix, blob.name);
  const outcome = (result: BlobOutcome['outcome'], extra: { name?: string; code?: string; message?: string } = {}) => blobOutcome(job, blob, { outcome: result, name: extra.name ?? name, code: extra.code, message: extra.message }, strategy);
  const policy = job.options.overwrite;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        if (strategy === 'server-copy') {
          const start = await beginServerCopy(job, blob, name, destination);
          if (start.action === 'skip') return outcome('skipped', { code: start.code, message: start.reason });
          // Still copying: the orchestrator follows it with durable timers (serverCopy).
          if (start.started.status === 'pending') return { blob, started: start.started };
          const note = await finishCopy(destination, blob, start.started);
          if (job.options.verify === 'md5') await verifyOne(job, blob, start.started.name, destination);
          return outcome('copied', { name: start.started.name, message: note });
        }
        // "never" needs no look: the write's If-None-Match decides, one request fewer per blob.
        const decision = await decide(destination, job, blob, name, policy === 'if-source-newer' || policy === 'rename');
        if (decision.action === 'skip') return outcome('skipped', { code: decision.code, message: decision.reason });
        await writeSmall(job, strategy, destination, blob, decision.name, decision.conditions);
        if (job.options.verify === 'md5') await verifyOne(job, blob, decision.name, destination);
        return outcome('copied', { name: decision.name });
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

async function writeSmall(job: Job, strategy: Strategy, destination: AzureBlobs, blob: SourceBlob, name: string, conditions: CommitConditions): Promise<void> {
  if (strategy === 'sync-copy') return syncCopyOne(job, blob, name, conditions, destination);
  if (strategy === 'relay') {
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
  const id = blockId(versionTag(blob), 0);
  await destination.stageFromUrl(destination.stagingClient(name, blob.etag), name, id, await serviceSourceAccess(job, blob), 0, blob.size);
  await destination.commit(name, [id], content, conditions);
}
