/**
 * Following a server copy (Copy Blob) to its end with durable timers: poll its status at growing
 * intervals (BLOBFERRY_POLL_INTERVAL up to BLOBFERRY_POLL_MAX_INTERVAL), publish the service's
 * progress, and stop it at the deadline or on a cancel request: abort, then restore the
 * destination. A host that restarts replays to the same copy id and keeps polling it; the copy
 * is started once, by an activity whose result is in the history.
 *
 * The `serverCopy` orchestration follows a copy some other step started (a batch of small
 * blobs in a prefix copy whose copy is still pending); copyBlob starts and follows its own.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobOutcome, SourceBlob } from '../../contracts/blobFacts';
import { formatDuration } from '../../contracts/duration';
import type { CopyProgress } from '../../contracts/progress';
import { keptByPolicy } from '../../plan/overwrite';
import { nextPollWaitMs } from '../../plan/polling';
import { finishServerCopy, serverCopyStatus, startServerCopy, undoServerCopy, type ServerCopyStarted, type ServerCopyStatus } from '../activities/serverCopy';
import { call, orchestration } from '../calls';
import { blobOutcome, type Ended } from '../outcome';
import type { BlobJob, Job } from '../types';
import { sourceDeleted, verified } from './afterCopy';
import { cancelWatch, withDeadline } from './cancel';

/** Status reads that may fail in a row (each already retried by the SDK) before the copy is stopped. */
const FAILED_POLLS_ALLOWED = 5;
/**
 * Polls per orchestration generation: each takes a timer and an activity, so a copy pending for
 * a day (about 1,500 polls at the default intervals) continues as new instead of growing one
 * history past ~500 tasks.
 */
export const POLLS_PER_GENERATION = 100;

/** Where following a copy stands, handed from one generation to the next. */
export interface FollowState {
  started: ServerCopyStarted;
  deadline: string;
  polls: number;
  copy: ServerCopyStatus;
  /** --lease-source: the lease held on the source meanwhile. */
  leaseId?: string;
}

/** How following ended: the copy's end, or a generation full of polls to hand over. */
export type Followed = Ended | { handOver: FollowState };

export interface ServerCopyInput {
  job: Job;
  blob: SourceBlob;
  started: ServerCopyStarted;
  follow?: FollowState;
}

export const serverCopy = orchestration<ServerCopyInput, BlobOutcome | undefined>('serverCopy', serverCopyOrchestrator);

function* serverCopyOrchestrator(context: OrchestrationContext): Generator<Task, BlobOutcome | undefined, unknown> {
  const input = context.df.getInput() as ServerCopyInput;
  const { blob, started, follow } = input;
  // Its timeout counts from the first generation: the copy started moments before, in a batch of the prefix copy.
  const job: BlobJob = follow ? { ...input.job, deadline: follow.deadline } : withDeadline(context, input.job);
  const followed = yield* followServerCopy(context, job, blob, started, follow);
  if ('handOver' in followed) {
    context.df.continueAsNew({ ...input, follow: followed.handOver } satisfies ServerCopyInput);
    return undefined;
  }
  const ended = yield* sourceDeleted(context, job, blob, yield* verified(context, job, blob, followed));
  return blobOutcome(job, blob, ended, 'server-copy');
}

/** Start a server copy (decide, snapshot, Copy Blob) and follow it. */
export function* serverCopyBlob(context: OrchestrationContext, job: BlobJob, blob: SourceBlob, name: string): Generator<Task, Followed, unknown> {
  const begun = yield* call(context, startServerCopy, { job, blob, name });
  // Someone wrote the destination between the look and the start: the policy decides, as at a commit.
  if (!begun.ok) return { outcome: keptByPolicy(job.options.overwrite, begun.code) ? 'skipped' : 'failed', name, code: begun.code, message: begun.message };
  if (begun.start.action === 'skip') return { outcome: 'skipped', name, code: begun.start.code, message: begun.start.reason };
  if (begun.start.action === 'adopted') return { outcome: 'copied', name: begun.start.name, verified: 'size' };
  return yield* followServerCopy(context, job, blob, begun.start.started);
}

export function* followServerCopy(context: OrchestrationContext, job: BlobJob, blob: SourceBlob, started: ServerCopyStarted, resumed?: FollowState): Generator<Task, Followed, unknown> {
  const { name, copyId } = started;
  const deadline = Date.parse(job.deadline);
  let copy: ServerCopyStatus = resumed?.copy ?? { status: started.status };
  let polls = resumed?.polls ?? 0;
  const firstPoll = polls;
  let failedPolls = 0;
  const publish = (phase: CopyProgress['phase'] = 'copying') =>
    context.df.setCustomStatus({
      phase,
      bytes: { total: blob.size, copied: copy.status === 'success' ? blob.size : (copy.bytesCopied ?? 0) },
      strategy: 'server-copy',
      serverCopy: { id: copyId, status: copy.status ?? 'pending', ...(copy.description ? { description: copy.description } : {}), polls },
      deadline: job.deadline,
    } satisfies CopyProgress);
  publish();

  while (copy.status === 'pending') {
    if (polls - firstPoll >= POLLS_PER_GENERATION && !cancelWatch(context).requested) {
      return { handOver: { started, deadline: job.deadline, polls, copy } };
    }
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= deadline) {
      return yield* stopServerCopy(context, job, blob, started, publish, 'TIMED_OUT', `The copy to ${name} did not finish within its timeout (${formatDuration(job.limits.timeoutSeconds)}); it was aborted and the destination restored.`);
    }
    const timer = context.df.createTimer(new Date(now + nextPollWaitMs(polls, job.limits, deadline - now)));
    if (yield* cancelWatch(context).race(timer, false)) {
      if (!timer.isCompleted) timer.cancel();
      return yield* stopServerCopy(context, job, blob, started, publish, 'CANCELLED', `The copy to ${name} was cancelled; it was aborted and the destination restored.`);
    }
    const read = yield* call(context, serverCopyStatus, { job, name, copyId });
    polls++;
    if (!read.ok) {
      if (++failedPolls < FAILED_POLLS_ALLOWED) continue;
      return yield* stopServerCopy(context, job, blob, started, publish, read.code, `The status of the copy to ${name} could not be read (${read.message}); it was aborted and the destination restored.`);
    }
    failedPolls = 0;
    copy = read.copy;
    publish();
  }

  switch (copy.status) {
    case 'success': {
      const finished = yield* call(context, finishServerCopy, { job, blob, started });
      return finished.ok ? { outcome: 'copied', name, message: finished.note, verified: 'size' } : { outcome: 'failed', name, code: finished.code, message: finished.message };
    }
    case 'superseded': {
      const kept = started.previous ? ` Its version from before the copy is kept in the snapshot ${started.previous.snapshot}.` : '';
      return { outcome: 'failed', name, code: 'DESTINATION_CHANGED', message: `${name} was written by someone else while the copy ran; it was left as they wrote it.${kept}` };
    }
    default: {
      const undone = yield* call(context, undoServerCopy, { job, blob, started, mode: 'restore' });
      const [code, said] = copy.status === 'aborted' ? ['COPY_ABORTED', 'was aborted by someone else'] : ['COPY_FAILED', `failed: ${copy.description || 'the service gave no reason'}`];
      const restored = undone.ok ? 'the destination was restored' : `restoring the destination failed too (${undone.message})`;
      return { outcome: 'failed', name, code, message: `The server copy to ${name} ${said}; ${restored}.` };
    }
  }
}

/** Abort, restore, and say why; a copy that finished just before the abort is kept. */
function* stopServerCopy(context: OrchestrationContext, job: BlobJob, blob: SourceBlob, started: ServerCopyStarted, publish: (phase: CopyProgress['phase']) => void, code: string, message: string): Generator<Task, Ended, unknown> {
  publish('restoring');
  const undone = yield* call(context, undoServerCopy, { job, blob, started, mode: 'abort' });
  if (!undone.ok) return { outcome: 'failed', name: started.name, code, message: `${message.replace(/; it was aborted.*$/, '')}; stopping it failed: ${undone.message}` };
  if (undone.completed) return { outcome: 'copied', name: started.name, message: undone.note, verified: 'size', stopped: { code } };
  return { outcome: 'failed', name: started.name, code, message };
}
