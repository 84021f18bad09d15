/**
 * Many blobs that each take one request or two in one activity, `concurrency` at a time (relay:
 * within its memory budget): a prefix of ten thousand 4 KiB files must not cost ten thousand
 * orchestration steps. By each blob's strategy: one Copy Blob From URL (sync-copy), one staged
 * block plus a commit (block-copy), one read plus one Put Blob (relay), or a started Copy Blob
 * (server-copy; one still pending is handed back for the orchestrator to follow), all under the
 * overwrite policy's conditions; then, with --delete-source, the source of each verified copy
 * is deleted. One blob's failure is reported and the others go on.
 */
import { BlobferryError, isBlobferryError } from '../../contracts/errors';
import type { BlobOutcome, CommitConditions, SourceBlob } from '../../contracts/blobFacts';
import { blockId, versionTag } from '../../plan/blocks';
import { destinationNameFor, prefixDestinationName } from '../../plan/names';
import { keptByPolicy, looksAtDestination } from '../../plan/overwrite';
import { chooseStrategy, type Strategy } from '../../plan/strategy';
import { checkDigests, type Verification } from '../../plan/verification';
import type { BlobDestination, SourceEndpoint } from '../../storage/endpoint';
import { mapPool } from '../../storage/pool';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import { blobOutcome, keptAfterMismatch, type Ended } from '../outcome';
import type { ActivityResult, Job } from '../types';
import { commitContent } from './content';
import { deleteCopiedSource } from './deleteSource';
import { digestsOf } from './digests';
import { decide, isOwnWrite } from './prepareBlob';
import { RELAY_BUFFER_BUDGET } from './relay';
import { beginServerCopy, finishCopy, type ServerCopyStarted } from './serverCopy';
import { settle } from './settle';
import { syncCopyOne } from './syncCopy';
import { verifyOne } from './verifyCopy';

/** A server copy the service has not finished yet, for the orchestrator to follow. */
export interface PendingServerCopy {
  blob: SourceBlob;
  started: ServerCopyStarted;
}

export interface SmallBlobsArgs {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  /** Tags can be read (and are copied). */
  listTags: boolean;
  items: SourceBlob[];
  /** Requests in flight: this batch's share of the window at the pace now (default --concurrency). */
  parallel?: number;
  /** Bytes of relayed blobs this batch may hold in memory at once (default the relay's budget); at least one blob. */
  relayBudget?: number;
}

const RENAME_ATTEMPTS = 3;

export const copySmallBlobs = activity('copySmallBlobs', (args: SmallBlobsArgs): Promise<ActivityResult<{ outcomes: BlobOutcome[]; pending: PendingServerCopy[]; throttled: number; secondaryReads: number }>> =>
  settle(async () => {
    const source = await openSource(args.job);
    const destination = await openDestination(args.job);
    const concurrency = Math.max(1, Math.min(args.parallel ?? args.job.options.concurrency, args.job.options.concurrency));
    // Relay holds each blob in memory while it copies it: keep to this batch's memory budget too.
    const largest = Math.max(1, ...args.items.map((item) => item.size));
    const relays = args.items.some((item) => chooseStrategy(args.job.route, item).strategy === 'relay');
    const parallel = relays ? Math.max(1, Math.min(concurrency, Math.floor((args.relayBudget ?? RELAY_BUFFER_BUDGET) / largest))) : concurrency;
    const results = await mapPool(args.items, parallel, (item) => copyOne(args, source, destination, item));
    return {
      outcomes: results.filter((r): r is BlobOutcome => 'outcome' in r),
      pending: results.filter((r): r is PendingServerCopy => 'started' in r),
      throttled: destination.throttles(),
      secondaryReads: source.secondaryReads?.() ?? 0,
    };
  }),
);

async function copyOne(args: SmallBlobsArgs, source: SourceEndpoint, destination: BlobDestination, blob: SourceBlob): Promise<BlobOutcome | PendingServerCopy> {
  const { job } = args;
  const { strategy } = chooseStrategy(job.route, blob);
  const mapped = destinationNameFor(prefixDestinationName(args.destinationPrefix, args.sourcePrefix, blob.name), job.options.invalidNames, blob.name);
  const name = 'name' in mapped ? mapped.name : prefixDestinationName(args.destinationPrefix, args.sourcePrefix, blob.name);
  const outcome = (ended: Omit<Ended, 'name'> & { name?: string }) => blobOutcome(job, blob, { ...ended, name: ended.name ?? name }, strategy, name);
  const policy = job.options.overwrite;
  try {
    if ('code' in mapped) throw new BlobferryError(mapped.code, mapped.message);
    for (let attempt = 1; ; attempt++) {
      try {
        if (strategy === 'server-copy') {
          const start = await beginServerCopy(job, blob, name, { source, destination }, attempt);
          if (start.action === 'skip') return outcome({ outcome: 'skipped', code: start.code, message: start.reason });
          if (start.action === 'adopted') return outcome(await afterCopy(job, source, destination, blob, { outcome: 'copied', name: start.name, verified: 'size' }));
          // Still copying: the orchestrator follows it with durable timers (serverCopy).
          if (start.started.status === 'pending') return { blob, started: start.started };
          const note = await finishCopy(destination, blob, start.started);
          return outcome(await afterCopy(job, source, destination, blob, { outcome: 'copied', name: start.started.name, message: note, verified: 'size' }));
        }
        // "never" needs no look: the write's If-None-Match decides, one request fewer per blob.
        const decision = await decide(destination, job, blob, name, looksAtDestination(policy), attempt);
        if (decision.action === 'skip') return outcome({ outcome: 'skipped', code: decision.code, message: decision.reason });
        const adopted = () => afterCopy(job, source, destination, blob, { outcome: 'copied', name: decision.name, verified: 'size' });
        if (decision.action === 'adopt') return outcome(await adopted());
        const written = await writeSmall(args, strategy, source, destination, blob, decision.name, decision.conditions).catch(async (err: unknown) => {
          if (await isOwnWrite(destination, job, blob, decision.name, err)) return undefined;
          throw err;
        });
        if (!written) return outcome(await adopted());
        return outcome(await afterCopy(job, source, destination, written.blob, { outcome: 'copied', name: decision.name, verified: written.verified, computedMD5: written.computedMD5 }));
      } catch (err) {
        if (policy === 'rename' && isBlobferryError(err) && err.code === 'DESTINATION_EXISTS' && attempt < RENAME_ATTEMPTS) continue;
        throw err;
      }
    }
  } catch (err) {
    const e = isBlobferryError(err) ? err : new BlobferryError('INTERNAL', (err as Error)?.message ?? String(err));
    return outcome({ outcome: keptByPolicy(policy, e.code) ? 'skipped' : 'failed', code: e.code, message: e.message });
  }
}

/** A copy made: read back with --verify md5, then its source deleted with --delete-source. */
async function afterCopy(job: Job, source: SourceEndpoint, destination: BlobDestination, blob: SourceBlob, ended: Ended): Promise<Ended> {
  let done = ended;
  if (job.options.verify === 'md5') {
    await verifyOne(blob, ended.name, source, destination, ended.computedMD5);
    done = { ...done, verified: 'md5' };
  }
  if (!job.options.deleteSource) return done;
  if (done.verified === 'md5-mismatch') return keptAfterMismatch(done);
  try {
    await deleteCopiedSource(source, blob);
    return { ...done, sourceDeleted: true };
  } catch (err) {
    const e = isBlobferryError(err) ? err : new BlobferryError('INTERNAL', (err as Error)?.message ?? String(err));
    return { ...done, sourceDeleted: { code: e.code, message: e.message } };
  }
}

/** Writes one small blob; how it was checked against its source, and the source's facts (a relay's read completes a partial listing's). */
async function writeSmall(args: SmallBlobsArgs, strategy: Strategy, source: SourceEndpoint, destination: BlobDestination, listed: SourceBlob, name: string, conditions: CommitConditions): Promise<{ verified: Verification; blob: SourceBlob; computedMD5?: string }> {
  const { job } = args;
  if (strategy === 'sync-copy') {
    await syncCopyOne(job, listed, name, conditions, source, destination);
    return { verified: 'size', blob: listed };
  }
  if (strategy === 'relay') {
    const { body, blob } = await source.readObject(listed, { tags: args.listTags });
    const computed = await digestsOf(body, blob.checksum?.algorithm);
    const verified = checkDigests(blob, computed, job.options.checkMd5);
    await destination.putWhole(name, body, Buffer.from(computed.md5, 'base64'), commitContent(job, blob, computed.md5), conditions);
    return { verified, blob, computedMD5: computed.md5 };
  }
  const content = commitContent(job, listed);
  if (listed.size === 0) {
    await destination.commit(name, [], content, conditions);
    return { verified: 'size', blob: listed };
  }
  const id = blockId(versionTag(listed), 0);
  const access = await source.serviceAccess(listed);
  await destination.stageFromUrl(name, id, access, 0, listed.size);
  // A source the service cannot pin (x-ms-source-if-match) is checked again before the commit.
  if (!access.ifMatch && !(await source.stillPinned(listed))) {
    throw new BlobferryError('SOURCE_CHANGED', `The source ${listed.name} changed while it was being copied; nothing was committed. Copy it again.`);
  }
  await destination.commit(name, [id], content, conditions);
  return { verified: 'size', blob: listed };
}
