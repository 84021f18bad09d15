/**
 * copyBlob: one blob, any size, by the strategy the table picks for it (plan/strategy.ts).
 *   server-copy  Copy Blob, followed with durable timers (serverCopy.ts)
 *   sync-copy    decide under the overwrite policy (prepareBlob), then one Copy Blob From URL
 *   block-copy   decide, stage every block (stageBlocks activities in a sliding window), commit once
 *   relay        the same, with segments in order carrying the whole-object MD5
 * Staging never changes what readers of the destination see; the commit does, all at once, or
 * not at all. Options around it: --lease-source holds the source for the copy's duration;
 * --on-pending-copy wait waits out someone else's pending copy; the deadline and a cancel
 * request stop it (server copies are aborted and undone; staging stops before the commit).
 *
 * An instance schedules at most ~400 staging activities whatever the blob's size: runs grow
 * with the block count.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobOutcome } from '../../contracts/blobFacts';
import { formatDuration } from '../../contracts/duration';
import type { CopyProgress } from '../../contracts/progress';
import { failureClass, isBlobferryError } from '../../contracts/errors';
import { nextPollWaitMs } from '../../plan/polling';
import { retryBudget, type RetryBudget } from '../../plan/retry';
import { checkStrategyFits, chooseStrategy, type Strategy } from '../../plan/strategy';
import { planBlocks, planRuns, requestedBlockSize, runLengthFor, type BlockPlan } from '../../plan/blocks';
import { keptByPolicy } from '../../plan/overwrite';
import type { Digests } from '../../plan/verification';
import { bytesPerSecond, type ProgressPoint } from '../../plan/rate';
import { commitBlob } from '../activities/commitBlob';
import { discardStaged } from '../activities/discardStaged';
import { prepareBlob } from '../activities/prepareBlob';
import { relaySegment, relayStream } from '../activities/relay';
import { leaseSource, releaseSource } from '../activities/sourceLease';
import { STAGE_PARALLEL, stageBlocks } from '../activities/stageBlocks';
import { syncCopyBlob } from '../activities/syncCopy';
import { call, callRetrying, orchestration, resultOf, retried, schedule } from '../calls';
import { blobOutcome, type Ended } from '../outcome';
import type { ActivityResult, BlobJob, CopyBlobInput, StageArgs, StageResult } from '../types';
import { sourceDeleted, verified } from './afterCopy';
import { cancelWatch, pastDeadline, withDeadline } from './cancel';
import { EXPIRED, waitForCredentials } from './credentialsWait';
import { followServerCopy, serverCopyBlob, type FollowState, type Followed } from './serverCopy';
import { slidingWindow } from './window';

/** Staging activities one blob may take, at most. */
const MAX_STAGE_ACTIVITIES = 400;
/** Attempts at a commit that lost its name (rename) or its staged blocks (a concurrent writer). */
const COMMIT_ATTEMPTS = 3;
const EMPTY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';

/**
 * One blob; a server copy still pending after a generation of polls continues as new (same
 * instance id, so its status stays where readers look) with where it stands in `follow`.
 */
export const copyBlob = orchestration<CopyBlobInput & { follow?: FollowState }, BlobOutcome | undefined>('copyBlob', copyBlobOrchestrator);

function* copyBlobOrchestrator(context: OrchestrationContext): Generator<Task, BlobOutcome | undefined, unknown> {
  const given = context.df.getInput() as CopyBlobInput & { follow?: FollowState };
  const { follow } = given;
  const input: BlobCopy = { ...given, job: follow ? { ...given.job, deadline: follow.deadline } : withDeadline(context, given.job) };
  const { job, blob } = input;
  const { strategy } = chooseStrategy(job.route, blob);
  const copy = function* (): Generator<Task, Followed, unknown> {
    const ended = follow ? yield* followServerCopy(context, job, blob, follow.started, follow) : yield* copyUntilDone(context, input, strategy);
    return 'handOver' in ended ? ended : yield* verified(context, job, blob, ended);
  };
  let ended: Followed;
  if (job.options.leaseSource) {
    const lease = { job, name: blob.name, leaseId: follow?.leaseId ?? context.df.newGuid(context.df.instanceId) };
    // A later generation holds the lease already.
    const leased: ActivityResult<object> = follow ? { ok: true } : yield* call(context, leaseSource, lease);
    if (leased.ok) {
      ended = yield* copy();
      if ('handOver' in ended) return handOver(context, given, { ...ended.handOver, leaseId: lease.leaseId });
      // Released whatever the outcome; a release that fails leaves an infinite lease, so say so.
      const released = yield* call(context, releaseSource, lease);
      if (!released.ok) {
        const unreleased = `The source lease ${lease.leaseId} could not be released (${released.message}); break it by hand.`;
        ended = ended.outcome === 'failed' ? { ...ended, message: `${ended.message ?? ''} ${unreleased}`.trim() } : { ...ended, outcome: 'failed', code: released.code, message: `Copied, but: ${unreleased}` };
      }
    } else ended = { outcome: 'failed', name: input.destinationName, code: leased.code, message: leased.message };
  } else {
    ended = yield* copy();
    if ('handOver' in ended) return handOver(context, given, ended.handOver);
  }
  // After the lease is released: a leased blob cannot be deleted without its lease.
  ended = yield* sourceDeleted(context, job, blob, ended);
  const outcome = blobOutcome(job, blob, ended, strategy, input.destinationName);
  context.df.setCustomStatus({
    phase: 'done',
    blobs: { total: 1, copied: ended.outcome === 'copied' ? 1 : 0, skipped: ended.outcome === 'skipped' ? 1 : 0, failed: ended.outcome === 'failed' ? 1 : 0 },
    bytes: { total: blob.size, copied: outcome.bytes },
    strategy,
  } satisfies CopyProgress);
  return outcome;
}

function handOver(context: OrchestrationContext, given: CopyBlobInput, follow: FollowState): undefined {
  context.df.continueAsNew({ job: given.job, blob: given.blob, destinationName: given.destinationName, follow });
  return undefined;
}

/** Copies; a destination with someone else's copy pending is waited out when asked (--on-pending-copy wait). */
function* copyUntilDone(context: OrchestrationContext, input: BlobCopy, strategy: Strategy): Generator<Task, Followed, unknown> {
  const { job, blob } = input;
  for (let waits = 0; ; waits++) {
    const ended = strategy === 'server-copy' ? yield* serverCopyBlob(context, job, blob, input.destinationName) : yield* copyInBlocks(context, input, strategy);
    // A step that failed for a reason that may pass, once the deadline is past: the deadline is why.
    if (!('handOver' in ended) && ended.outcome === 'failed' && ended.code && failureClass(ended.code) !== 'final' && pastDeadline(context, job.deadline)) {
      return { ...ended, code: 'TIMED_OUT', message: `${ended.name} was not copied within its timeout (${formatDuration(job.limits.timeoutSeconds)}): ${ended.message ?? ''}` };
    }
    // A SAS that expired mid-copy: wait for fresh ones, then go on (staged blocks are kept).
    if (!('handOver' in ended) && ended.code === EXPIRED) {
      if (yield* waitForCredentials(context, job, { strategy, bytes: { total: blob.size, copied: 0 } }, ended.message ?? '')) continue;
      return ended;
    }
    if ('handOver' in ended || ended.code !== 'PENDING_COPY' || job.options.onPendingCopy !== 'wait') return ended;
    const now = context.df.currentUtcDateTime.getTime();
    const deadline = Date.parse(job.deadline);
    if (now >= deadline) return { ...ended, code: 'TIMED_OUT', message: `${ended.name} still had someone else's copy pending when the timeout (${formatDuration(job.limits.timeoutSeconds)}) ran out; nothing was written.` };
    context.df.setCustomStatus({ phase: 'waiting', strategy, deadline: job.deadline, error: { code: ended.code, message: ended.message ?? '' } } satisfies CopyProgress);
    const timer = context.df.createTimer(new Date(now + nextPollWaitMs(waits, job.limits, deadline - now)));
    if (yield* cancelWatch(context).race(timer, false)) {
      if (!timer.isCompleted) timer.cancel();
      return { ...ended, code: 'CANCELLED', message: `The copy was cancelled while it waited for another copy into ${ended.name}; nothing was written.` };
    }
  }
}

/** Sync-copy, block-copy and relay: decide, (stage,) write once; retried when the name or the staged blocks were lost. */
function* copyInBlocks(context: OrchestrationContext, input: BlobCopy, strategy: Strategy): Generator<Task, Ended, unknown> {
  // One budget of activity retries for this blob's copy, its steps and block runs together.
  const retries = retryBudget(input.job.limits.retryWaitSeconds);
  const { job, blob } = input;
  const policy = job.options.overwrite;
  let plan: BlockPlan | undefined;
  try {
    checkStrategyFits(strategy, blob);
    if (strategy !== 'sync-copy') plan = planBlocks(blob.size, requestedBlockSize(job.options));
  } catch (err) {
    if (!isBlobferryError(err)) throw err;
    return { outcome: 'failed', name: input.destinationName, code: err.code, message: err.message };
  }

  let name = input.destinationName;
  for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
    const prepared = yield* callRetrying(context, prepareBlob, { job, blob, name: input.destinationName, attempt }, retries);
    if (!prepared.ok) return { outcome: 'failed', name, ...why(prepared) };
    const decision = prepared.decision;
    if (decision.action === 'skip') return { outcome: 'skipped', name, code: decision.code, message: decision.reason };
    if (decision.action === 'adopt') return { outcome: 'copied', name: decision.name, verified: 'size' };
    name = decision.name;

    let committed: ActivityResult<{ verified?: string }>;
    let computedMD5: string | undefined;
    if (plan) {
      const staged = yield* stageAll(context, input, name, plan, strategy, retries);
      if (!staged.ok) {
        yield* discard(context, job, name, staged.code);
        return { outcome: 'failed', name, ...why(staged) };
      }
      computedMD5 = staged.digests?.md5;
      context.df.setCustomStatus({ phase: 'committing', bytes: { total: blob.size, copied: blob.size }, strategy } satisfies CopyProgress);
      committed = yield* callRetrying(context, commitBlob, { job, blob, name, plan, conditions: decision.conditions, computed: staged.digests }, retries);
    } else {
      context.df.setCustomStatus({ phase: 'copying', bytes: { total: blob.size, copied: 0 }, strategy } satisfies CopyProgress);
      committed = yield* callRetrying(context, syncCopyBlob, { job, blob, name, conditions: decision.conditions }, retries);
    }
    if (committed.ok) return { outcome: 'copied', name, verified: committed.verified ?? 'size', computedMD5 };
    const lostName = committed.code === 'DESTINATION_EXISTS' && policy === 'rename';
    if ((lostName || committed.code === 'BLOCKS_LOST') && attempt < COMMIT_ATTEMPTS) continue;
    if (plan) yield* discard(context, job, name, committed.code);
    return { outcome: keptByPolicy(policy, committed.code) ? 'skipped' : 'failed', name, ...why(committed) };
  }
  return { outcome: 'failed', name, code: 'INTERNAL', message: 'The commit did not succeed after several attempts.' };
}

/** Staged blocks that will not be committed are let go, except when an expired SAS is waited out (the copy goes on). */
function* discard(context: OrchestrationContext, job: BlobJob, name: string, code: string): Generator<Task, void, unknown> {
  if (code !== EXPIRED) yield* call(context, discardStaged, { job, name });
}

/** One blob's copy, with its deadline. */
type BlobCopy = CopyBlobInput & { job: BlobJob };

const why = (failure: { code: string; message: string }) => ({ code: failure.code, message: failure.message });

/** Relay: the whole object's digests, computed on the way. */
type Staged = { ok: true; digests?: Digests } | { ok: false; code: string; message: string };

function* stageAll(context: OrchestrationContext, input: BlobCopy, name: string, plan: BlockPlan, strategy: Strategy, retries: RetryBudget): Generator<Task, Staged, unknown> {
  const { job, blob } = input;
  const concurrency = job.options.concurrency;
  // An empty object is committed with no blocks; a relay's MD5 is that of no bytes.
  if (plan.blockCount === 0) return { ok: true, digests: strategy === 'relay' ? { md5: EMPTY_MD5 } : undefined };
  const args = (first: number, last: number, digestStates?: StageArgs['digestStates']): StageArgs => ({ job, blob, name, plan, first, last, digestStates });
  let copied = 0;
  let last: ProgressPoint = { at: context.df.currentUtcDateTime.getTime(), bytes: 0 };
  const report = (bytes: number) => {
    copied += bytes;
    const now = { at: context.df.currentUtcDateTime.getTime(), bytes: copied };
    context.df.setCustomStatus({ phase: 'copying', bytes: { total: blob.size, copied }, rateBytesPerSec: bytesPerSecond(last, now), strategy, deadline: job.deadline } satisfies CopyProgress);
    last = now;
  };
  report(0);
  // Between steps: stop at the deadline or on a cancel request, before anything is committed.
  const stopped = (code: string, what: string): Staged => ({ ok: false, code, message: `The copy to ${name} ${what}; it stopped before the commit, so the destination is unchanged.` });
  const timedOut = () => stopped('TIMED_OUT', `did not finish within its timeout (${formatDuration(job.limits.timeoutSeconds)})`);
  const step = function* (task: Task): Generator<Task, Staged | undefined, unknown> {
    if (pastDeadline(context, job.deadline)) return timedOut();
    return (yield* cancelWatch(context).race(task, true)) ? stopped('CANCELLED', 'was cancelled') : undefined;
  };

  if (strategy === 'block-copy') {
    const perActivity = Math.min(STAGE_PARALLEL, concurrency);
    const runs = planRuns(plan.blockCount, runLengthFor(plan.blockCount, MAX_STAGE_ACTIVITIES, perActivity));
    const stage = (i: number) => args(runs[i].first, runs[i].last);
    let failed: Staged | undefined;
    const { cancelled } = yield* slidingWindow(
      context,
      {
        count: runs.length,
        start: (i) => schedule(context, stageBlocks, stage(i)),
        room: () => Math.max(1, Math.floor(concurrency / perActivity)),
        stopping: () => (failed ??= pastDeadline(context, job.deadline) ? timedOut() : undefined) !== undefined,
        *ended(i, task) {
          if (failed) return false;
          // A run that failed for a reason that may pass is staged again (its staged blocks are skipped).
          const staged = yield* retried(context, stageBlocks, stage(i), task.result as ActivityResult<StageResult>, retries);
          if (!staged.ok) failed = staged;
          else report(staged.bytes);
          return staged.ok;
        },
      },
      { watch: cancelWatch(context) },
    );
    return cancelled ? stopped('CANCELLED', 'was cancelled') : (failed ?? { ok: true });
  }

  if (blob.acceptsRanges === false) {
    const streaming = schedule(context, relayStream, args(0, plan.blockCount - 1));
    const stop = yield* step(streaming);
    if (stop) return stop;
    const streamed = resultOf(streaming);
    if (!streamed.ok) return streamed;
    report(streamed.bytes);
    return { ok: true, digests: streamed.digests };
  }
  // Relay segments run in order so the whole-object digests can be carried from one to the next;
  // inside a segment `concurrency` blocks are in flight.
  const segments = planRuns(plan.blockCount, runLengthFor(plan.blockCount, MAX_STAGE_ACTIVITIES, concurrency * 4));
  let done: StageResult | undefined;
  for (const segment of segments) {
    const relaying = schedule(context, relaySegment, args(segment.first, segment.last, done?.digestStates));
    const stop = yield* step(relaying);
    if (stop) return stop;
    const relayed = yield* retried(context, relaySegment, args(segment.first, segment.last, done?.digestStates), resultOf(relaying), retries);
    if (!relayed.ok) return relayed;
    done = relayed;
    report(relayed.bytes);
  }
  return { ok: true, digests: done?.digests };
}
