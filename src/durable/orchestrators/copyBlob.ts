/**
 * copyBlob: one blob, any size. Decide under the overwrite policy (prepareBlob), stage every
 * block (block-copy: waves of stageBlocks activities; relay: segments in order, carrying the
 * whole-object MD5), then commit once (commitBlob). Staging never changes what readers of the
 * destination see; the commit does, all at once, or not at all.
 *
 * An instance schedules at most ~400 staging activities whatever the blob's size: runs grow
 * with the block count.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobOutcome } from '../../contracts/blobFacts';
import { displayBlobUrl } from '../../contracts/locations';
import type { CopyProgress } from '../../contracts/progress';
import { isBlobferryError } from '../../contracts/errors';
import { planBlocks, planRuns, requestedBlockSize, runLengthFor, type BlockPlan } from '../../plan/blocks';
import { keptByPolicy, type OverwriteDecision } from '../../plan/overwrite';
import { bytesPerSecond, type ProgressPoint } from '../../plan/waves';
import { STAGE_PARALLEL } from '../activities/stageBlocks';
import type { ActivityResult, CopyBlobInput, StageArgs, StageResult } from '../types';

/** Staging activities one blob may take, at most. */
const MAX_STAGE_ACTIVITIES = 400;
/** Attempts at a commit that lost its name (rename) or its staged blocks (a concurrent writer). */
const COMMIT_ATTEMPTS = 3;
const EMPTY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';

export function* copyBlobOrchestrator(context: OrchestrationContext): Generator<Task, BlobOutcome, unknown> {
  return yield* copyOneBlob(context, context.df.getInput() as CopyBlobInput);
}

export function* copyOneBlob(context: OrchestrationContext, input: CopyBlobInput): Generator<Task, BlobOutcome, unknown> {
  const { job, blob } = input;
  const policy = job.options.overwrite;
  const result = (outcome: BlobOutcome['outcome'], name: string, extra: { code?: string; message?: string } = {}): BlobOutcome => {
    const done: BlobOutcome = { source: displayBlobUrl(job.source, blob.name), destination: displayBlobUrl(job.destination, name), outcome, bytes: outcome === 'copied' ? blob.size : 0, ...extra };
    context.df.setCustomStatus({
      phase: 'done',
      blobs: { total: 1, copied: outcome === 'copied' ? 1 : 0, skipped: outcome === 'skipped' ? 1 : 0, failed: outcome === 'failed' ? 1 : 0 },
      bytes: { total: blob.size, copied: done.bytes },
      strategy: job.strategy,
    } satisfies CopyProgress);
    return done;
  };

  let plan: BlockPlan;
  try {
    plan = planBlocks(blob.size, requestedBlockSize(job.options));
  } catch (err) {
    if (!isBlobferryError(err)) throw err;
    return result('failed', input.destinationName, { code: err.code, message: err.message });
  }

  let name = input.destinationName;
  for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
    const prepared = (yield context.df.callActivity('prepareBlob', { job, blob, name: input.destinationName })) as ActivityResult<{ decision: OverwriteDecision }>;
    if (!prepared.ok) return result('failed', name, why(prepared));
    const decision = prepared.decision;
    if (decision.action === 'skip') return result('skipped', name, { code: decision.code, message: decision.reason });
    name = decision.name;

    const staged = yield* stageAll(context, input, name, plan);
    if (!staged.ok) return result('failed', name, why(staged));

    context.df.setCustomStatus({ phase: 'committing', bytes: { total: blob.size, copied: blob.size }, strategy: job.strategy } satisfies CopyProgress);
    const committed = (yield context.df.callActivity('commitBlob', { job, blob, name, plan, conditions: decision.conditions, computedMD5: staged.md5 })) as ActivityResult<{ etag: string }>;
    if (committed.ok) return result('copied', name);
    const lostName = committed.code === 'DESTINATION_EXISTS' && policy === 'rename';
    if ((lostName || committed.code === 'BLOCKS_LOST') && attempt < COMMIT_ATTEMPTS) continue;
    return result(keptByPolicy(policy, committed.code) ? 'skipped' : 'failed', name, why(committed));
  }
  return result('failed', name, { code: 'INTERNAL', message: 'The commit did not succeed after several attempts.' });
}

const why = (failure: { code: string; message: string }) => ({ code: failure.code, message: failure.message });

type Staged = { ok: true; md5?: string } | { ok: false; code: string; message: string };

function* stageAll(context: OrchestrationContext, input: CopyBlobInput, name: string, plan: BlockPlan): Generator<Task, Staged, unknown> {
  const { job, blob } = input;
  const concurrency = job.options.concurrency;
  if (plan.blockCount === 0) return { ok: true, md5: job.strategy === 'relay' ? EMPTY_MD5 : undefined };
  const args = (first: number, last: number, md5State?: string): StageArgs => ({ job, blob, name, plan, first, last, md5State });
  let copied = 0;
  let last: ProgressPoint = { at: context.df.currentUtcDateTime.getTime(), bytes: 0 };
  const report = (bytes: number) => {
    copied += bytes;
    const now = { at: context.df.currentUtcDateTime.getTime(), bytes: copied };
    context.df.setCustomStatus({ phase: 'copying', bytes: { total: blob.size, copied }, rateBytesPerSec: bytesPerSecond(last, now), strategy: job.strategy } satisfies CopyProgress);
    last = now;
  };
  report(0);

  if (job.strategy === 'block-copy') {
    const perActivity = Math.min(STAGE_PARALLEL, concurrency);
    const runs = planRuns(plan.blockCount, runLengthFor(plan.blockCount, MAX_STAGE_ACTIVITIES, perActivity));
    const width = Math.max(1, Math.floor(concurrency / perActivity));
    for (let offset = 0; offset < runs.length; offset += width) {
      const wave = runs.slice(offset, offset + width).map((run) => context.df.callActivity('stageBlocks', args(run.first, run.last)));
      const results = (yield context.df.Task.all(wave)) as Array<ActivityResult<StageResult>>;
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) return failed;
      report(results.reduce((sum, r) => sum + (r.ok ? r.bytes : 0), 0));
    }
    return { ok: true };
  }

  if (blob.acceptsRanges === false) {
    const streamed = (yield context.df.callActivity('relayStream', args(0, plan.blockCount - 1))) as ActivityResult<StageResult>;
    if (!streamed.ok) return streamed;
    report(streamed.bytes);
    return { ok: true, md5: streamed.md5 };
  }
  // Relay segments run in order so the whole-object MD5 can be carried from one to the next;
  // inside a segment `concurrency` blocks are in flight.
  const segments = planRuns(plan.blockCount, runLengthFor(plan.blockCount, MAX_STAGE_ACTIVITIES, concurrency * 4));
  let md5State: string | undefined;
  let md5: string | undefined;
  for (const segment of segments) {
    const done = (yield context.df.callActivity('relaySegment', args(segment.first, segment.last, md5State))) as ActivityResult<StageResult>;
    if (!done.ok) return done;
    md5State = done.md5State;
    md5 = done.md5;
    report(done.bytes);
  }
  return { ok: true, md5 };
}
