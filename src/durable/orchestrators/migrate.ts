/**
 * migrate: every blob under a prefix, a page at a time. Each generation copies one listed page
 * (small blobs in batches of one activity, large ones as copyBlob sub-orchestrations, in a sliding window;
 * server copies a batch started and the service has not finished as serverCopy
 * sub-orchestrations) while the next page is listed, then continues as new with the running totals, so history
 * stays one page long and no instance schedules more than ~500 tasks, whatever the prefix holds.
 */
import { createHash } from 'node:crypto';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobOutcome, SourceBlob } from '../../contracts/blobFacts';
import type { CopyProgress } from '../../contracts/progress';
import { MiB, DEFAULT_BLOCK_SIZE, requestedBlockSize } from '../../plan/blocks';
import { nameInPrefix, prefixDestinationName } from '../../plan/names';
import { paceAfterTask, startPace, type Pace } from '../../plan/pace';
import { retryBudget } from '../../plan/retry';
import { chooseStrategy, copiedInBatch } from '../../plan/strategy';
import { bytesPerSecond } from '../../plan/rate';
import { displayObjectUrl } from '../../storage/registry';
import { copySmallBlobs, type PendingServerCopy } from '../activities/copySmallBlobs';
import { RELAY_BUFFER_BUDGET } from '../activities/relay';
import { forwardCancel } from '../activities/forwardCancel';
import { listPage, PAGE_SIZE, type ListedItems } from '../activities/listPage';
import { undoServerCopy } from '../activities/serverCopy';
import { callRetrying, orchestration, resultOf, retried, schedule, scheduleChild, type TypedTask } from '../calls';
import { blobOutcome, type Ended } from '../outcome';
import type { ActivityResult, Kept, MigrateInput, MigrateState, TransferSummary } from '../types';
import { keptAfterStop } from './afterCopy';
import { cancelWatch } from './cancel';
import { EXPIRED, waitForCredentials } from './credentialsWait';
import { copyBlob } from './copyBlob';
import { serverCopy, type ServerCopyInput } from './serverCopy';
import { slidingWindow } from './window';

/** Small blobs per batch activity, and their bytes at most. */
const BATCH_ITEMS = 64;
const BATCH_BYTES = 256 * MiB;
/** The window holds this many times the pace's limit in weight (requests in flight). */
const ROOM_PER_LIMIT = 2;
/**
 * Batches of small blobs the window holds at full pace, each at an equal share of its room. A
 * batch's last requests leave its share idle until the slowest is answered (the next batch starts
 * only then): four smaller shares idle less of the window than two large ones (3,000 × 4 KiB at
 * +60 ms a request: 9.3 s with two, 8.4 s with four, 8.8 s with eight; docs/benchmarks.md).
 */
const BATCHES_IN_WINDOW = 4;
/** Relayed bytes a batch may hold: the window's batches together hold what two did at the relay's budget each. */
const BATCH_RELAY_BUDGET = (RELAY_BUFFER_BUDGET * ROOM_PER_LIMIT) / BATCHES_IN_WINDOW;

/** Requests in flight per batch of small blobs at the pace's `limit` (rounded down: the batches fit the window). */
function batchParallel(limit: number): number {
  return Math.max(1, Math.floor((limit * ROOM_PER_LIMIT) / BATCHES_IN_WINDOW));
}
/** Notes about blobs copied (a snapshot left behind) kept in the report. */
const NOTES_KEPT = 100;
/** Failures kept in the report; the rest are counted. */
export const FAILURES_KEPT = 1000;
/** Renamed copies listed in the report. */
export const RENAMED_KEPT = 1000;

export const migrate = orchestration<MigrateInput, TransferSummary | undefined>('migrate', migrateOrchestrator);

function* migrateOrchestrator(context: OrchestrationContext): Generator<Task, TransferSummary | undefined, unknown> {
  const input = context.df.getInput() as MigrateInput;
  const { job } = input;
  const state: MigrateState & { pace: Pace } = { ...input.state, pace: input.state.pace ?? startPace(job.options.concurrency) };
  // One budget of activity retries for this page (this generation's listing).
  const retries = retryBudget(job.limits.retryWaitSeconds);
  // Sync lists the destination in step with the source: each listing goes on where the last one left it.
  let destinationCursor = state.destinationCursor;
  const listArgs = (continuation: string | undefined) => ({ job, sourcePrefix: input.sourcePrefix, destinationPrefix: input.destinationPrefix, destinationCursor, continuation, pageSize: PAGE_SIZE, listTags: input.listTags });

  let page: { items: SourceBlob[]; kept?: Kept };
  let next: string | undefined;
  if (state.pendingPage) {
    page = { items: state.pendingPage, kept: state.pendingKept };
    next = state.continuation;
  } else {
    const listed = (yield* callRetrying(context, listPage, listArgs(state.continuation), retries)) as ListedItems;
    if (!listed.ok) return summarize(input, recordListingFailure(state, input, listed));
    page = listed;
    next = listed.next;
    destinationCursor = listed.destinationCursor;
  }

  const totals = { ...state.totals };
  // Objects this generation copies: its page, and the next one when its page is short.
  let taken = 0;
  const take = ({ items: blobs, kept = { count: 0, bytes: 0 } }: { items: SourceBlob[]; kept?: Kept }): PageTask[] => {
    taken += blobs.length + kept.count;
    totals.listed += blobs.length + kept.count;
    totals.bytesListed += blobs.reduce((sum, b) => sum + b.size, kept.bytes);
    // Kept as they are, as the destination's listing showed (sync): skipped without a look each.
    totals.skipped += kept.count;
    const planned = planPage(context, input, blobs);
    // Objects without a valid blob name fail on their own (--invalid-names fail); the rest copy.
    for (const o of planned.unnamed) tally(state, totals, o);
    return planned.work;
  };
  let work = take(page);
  // The next page is listed while this one copies (from `next`).
  let listing = next ? schedule(context, listPage, listArgs(next)) : undefined;
  let progressAt = { at: context.df.currentUtcDateTime.getTime(), bytes: totals.bytesCopied };
  let rate = 0;
  // The rate since the last wake-up that moved the clock (tasks that end together share one).
  const publish = () => {
    const now = { at: context.df.currentUtcDateTime.getTime(), bytes: totals.bytesCopied };
    if (now.at > progressAt.at) [rate, progressAt] = [bytesPerSecond(progressAt, now), now];
    context.df.setCustomStatus(progress(totals, state, rate, next !== undefined, job));
  };
  const pending: PendingServerCopy[] = [];
  const cancel = cancelWatch(context);
  // Blobs whose SAS expired mid-copy: copied again once fresh tokens are given.
  let expired: Array<{ blob: SourceBlob; outcome: BlobOutcome }> = [];
  const forward = (childIds: Array<string | undefined>) => forwardCancelTo(context, childIds);
  // Work starts as room frees up under the destination's pace; the next page's listing rides
  // along (a task of no weight, started first). A short page (the first: inspection keeps it
  // short so the copy starts sooner) takes the listed page into its window, and lists the one after.
  for (let pass = 0; ; pass++) {
    const items: WindowItem[] = listing && pass === 0 ? [{ listing }, ...work] : [...work];
    const room = () => state.pace.limit * ROOM_PER_LIMIT;
    // The pace's slowdowns when each task started.
    const startedAt: number[] = [];
    yield* slidingWindow(
      context,
      {
        get count() {
          return items.length;
        },
        start: (i) => {
          startedAt[i] = state.pace.slowdowns ?? 0;
          const item = items[i];
          return 'listing' in item ? item.listing : item.start(state.pace.limit);
        },
        weight: (i) => {
          const item = items[i];
          return 'listing' in item ? 0 : item.weightAt(state.pace.limit);
        },
        room,
        *ended(i, task) {
          const item = items[i];
          if ('listing' in item) {
            const listed = resultOf(item.listing);
            // A listing that failed is tried again after the window; a full page waits for the next generation.
            if (!listed.ok || taken >= PAGE_SIZE || cancel.requested) return;
            const more = take(listed);
            next = listed.next;
            destinationCursor = listed.destinationCursor;
            listing = next ? schedule(context, listPage, listArgs(next)) : undefined;
            items.push(...(listing ? [{ listing }] : []), ...more);
            publish();
            return;
          }
          const found = outcomesOf(task.result, item.covers, input);
          const throttled = throttlesOf(task.result) + found.filter((o) => o.code === 'THROTTLED').length;
          totals.secondaryReads = (totals.secondaryReads ?? 0) + secondaryReadsOf(task.result);
          for (const o of found) {
            const blob = o.code === EXPIRED ? item.covers.find((b) => displayObjectUrl(job.source, b.name) === o.source) : undefined;
            if (blob) expired.push({ blob, outcome: o });
            else tally(state, totals, o);
          }
          pending.push(...pendingOf(task.result));
          state.pace = paceAfterTask(state.pace, job.options.concurrency, { throttled, weight: (item.calmWeightAt ?? item.weightAt)(state.pace.limit), slowdowns: startedAt[i] }, room(), destinationAccount(job));
          publish();
        },
      },
      { watch: cancel, forward: (inFlight) => forward(inFlight.map((i) => childIdOf(items[i]))) },
    );
    if (expired.length === 0 || cancel.requested) break;
    // This page's other blobs are done: wait for fresh tokens, then copy those again (or fail them).
    const message = expired[0].outcome.message ?? 'A SAS expired.';
    const { phase: _phase, ...status } = progress(totals, state, 0, next !== undefined, job);
    const fresh = yield* waitForCredentials(context, job, status, message);
    if (!fresh) for (const e of expired) tally(state, totals, e.outcome);
    work = fresh ? planPage(context, input, expired.map((e) => e.blob)).work : [];
    expired = [];
  }
  // Server copies the batches started and the service has not finished: followed with durable
  // timers, until a cancel request; those not followed by then are aborted and undone. None is left running.
  // The window starts them in order: the first `followed` are followed, the rest undone.
  let followed = 0;
  const childIds = pending.map((p) => childIdFor(context, p.blob));
  yield* slidingWindow(
    context,
    {
      count: pending.length,
      start: (i) => {
        followed++;
        return scheduleChild(context, serverCopy, { job, blob: pending[i].blob, started: pending[i].started } satisfies ServerCopyInput, childIds[i]);
      },
      room: () => job.options.concurrency * 2,
      *ended(_i, task) {
        tally(state, totals, resultOf(task) as BlobOutcome);
        publish();
      },
    },
    { watch: cancel, forward: (inFlight) => forward(inFlight.map((i) => childIds[i])) },
  );
  const unfollowed = pending.slice(followed);
  yield* slidingWindow(context, {
    count: unfollowed.length,
    start: (i) => schedule(context, undoServerCopy, { job, blob: unfollowed[i].blob, started: unfollowed[i].started, mode: 'abort' }),
    room: () => job.options.concurrency * 2,
    *ended(i, task) {
      tally(state, totals, blobOutcome(job, unfollowed[i].blob, cancelledCopy(job, unfollowed[i], resultOf(task) as ActivityResult<{ completed: boolean; note?: string }>), 'server-copy'));
      publish();
    },
  });
  const cancelled = cancel.requested;

  const nextState: MigrateState = { ...state, totals, generation: state.generation + 1 };
  if (cancelled) {
    context.df.setCustomStatus({ ...progress(totals, nextState, 0, false, job), phase: 'cancelled' });
    return { ...summarize(input, nextState), cancelled: true };
  }
  if (listing) {
    const listed = yield* retried(context, listPage, listArgs(next!), resultOf(listing), retries);
    if (!listed.ok) return summarize(input, recordListingFailure(nextState, input, listed));
    context.df.continueAsNew({ ...input, state: { ...nextState, pendingPage: listed.items, pendingKept: listed.kept, destinationCursor: listed.destinationCursor, continuation: listed.next } } satisfies MigrateInput);
    return undefined;
  }
  const summary = summarize(input, nextState);
  context.df.setCustomStatus({ ...progress(totals, nextState, 0, false, job), phase: 'done' });
  return summary;
}

/** Passes a cancel request on to the sub-orchestrations in flight, which stop and undo. */
function* forwardCancelTo(context: OrchestrationContext, childIds: Array<string | undefined>): Generator<Task, void, unknown> {
  const instanceIds = childIds.filter((id): id is string => id !== undefined);
  if (instanceIds.length > 0) yield schedule(context, forwardCancel, { instanceIds, reason: 'the copy was cancelled' });
}

/** A pending server copy undone on a cancel request (or kept: it had finished; a move keeps its source). */
function cancelledCopy(job: MigrateInput['job'], p: PendingServerCopy, undone: ActivityResult<{ completed: boolean; note?: string }>): Ended {
  if (undone.ok && undone.completed) {
    const copied: Ended = { outcome: 'copied', name: p.started.name, message: undone.note, verified: 'size' };
    return job.options.deleteSource ? keptAfterStop({ ...copied, stopped: { code: 'CANCELLED' } }) : copied;
  }
  const restored = undone.ok ? 'it was aborted and the destination restored' : `stopping it failed: ${undone.message}`;
  return { outcome: 'failed', name: p.started.name, code: 'CANCELLED', message: `The copy to ${p.started.name} was cancelled; ${restored}.` };
}

/** A stable child id per blob: a re-run finds the same sub-orchestration. */
function childIdFor(context: OrchestrationContext, blob: SourceBlob): string {
  return `${context.df.instanceId}:${createHash('sha256').update(blob.name).digest('hex').slice(0, 24)}`;
}

/** What a window runs: the page's work, and the listing of the next page riding along (no weight). */
type WindowItem = PageTask | { listing: TypedTask<ListedItems> };

const childIdOf = (item: WindowItem) => ('listing' in item ? undefined : item.childId);

interface PageTask {
  /** Starts it at the pace's `limit` now. */
  start: (limit: number) => TypedTask<unknown>;
  /** Requests it keeps in flight at the pace's `limit`. */
  weightAt: (limit: number) => number;
  /**
   * What it counts towards a calm wave (the pace's recovery) when it ends calmly; its weight unless
   * said. A batch of small blobs runs at a share of the window for as much longer: it counts the
   * room it would take at full pace, so the pace recovers as fast as the window's shares are split.
   */
  calmWeightAt?: (limit: number) => number;
  /** The listed blobs it copies. */
  covers: SourceBlob[];
  /** A sub-orchestration's id (cancel requests are passed on to it). */
  childId?: string;
}

/**
 * One task per batch of blobs that take a request or two each (one block, a sync copy, the
 * start of a server copy) and one sub-orchestration per larger blob. Blobs whose names cannot be
 * blob names (and --invalid-names fail) get no task: they fail at once.
 */
function planPage(context: OrchestrationContext, input: MigrateInput, page: SourceBlob[]): { work: PageTask[]; unnamed: BlobOutcome[] } {
  const { job } = input;
  const oneBlock = requestedBlockSize(job.options) ?? DEFAULT_BLOCK_SIZE;
  const strategyOf = (blob: SourceBlob) => chooseStrategy(job.route, blob).strategy;
  const named = page.map((blob) => ({ blob, to: nameInPrefix(input.destinationPrefix, input.sourcePrefix, blob.name, job.options.invalidNames) }));
  const unnamed = named.flatMap(({ blob, to }) => ('code' in to ? [blobOutcome(job, blob, { outcome: 'failed', name: to.name, code: to.code, message: to.message }, strategyOf(blob))] : []));
  const copyable = named.flatMap(({ blob, to }) => ('code' in to ? [] : [{ blob, name: to.name }]));
  const batched = (blob: SourceBlob) => copiedInBatch(job.route, oneBlock, blob);
  // Bytes a batch moves itself or waits for; a server copy's start returns at once.
  const batchBytes = (blob: SourceBlob) => (strategyOf(blob) === 'server-copy' ? 0 : blob.size);
  const small = copyable.filter(({ blob }) => batched(blob));
  // A short page (the first: inspection keeps it short) still fills the window: as many batches
  // as it holds at full pace, rather than one batch of them all.
  const perBatch = Math.min(BATCH_ITEMS, Math.max(batchParallel(job.options.concurrency), Math.ceil(small.length / BATCHES_IN_WINDOW)));
  const batches: SourceBlob[][] = [];
  for (const { blob } of small) {
    const current = batches[batches.length - 1];
    if (current && current.length < perBatch && current.reduce((sum, b) => sum + batchBytes(b), 0) + batchBytes(blob) <= BATCH_BYTES) current.push(blob);
    else batches.push([blob]);
  }
  const work: PageTask[] = batches.map((items) => ({
    start: (limit) => schedule(context, copySmallBlobs, { job, sourcePrefix: input.sourcePrefix, destinationPrefix: input.destinationPrefix, listTags: input.listTags, items, parallel: batchParallel(limit), relayBudget: BATCH_RELAY_BUDGET }),
    weightAt: (limit) => Math.min(items.length, batchParallel(limit)),
    calmWeightAt: (limit) => Math.min(items.length, limit),
    covers: items,
  }));
  for (const { blob, name } of copyable.filter(({ blob }) => !batched(blob))) {
    const childId = childIdFor(context, blob);
    work.push({
      start: () => scheduleChild(context, copyBlob, { job, blob, destinationName: name }, childId),
      weightAt: (limit) => Math.min(Math.ceil(blob.size / oneBlock), job.options.concurrency, limit),
      covers: [blob],
      childId,
    });
  }
  return { work, unnamed };
}

/** Reads a batch made on an RA-GRS source's secondary. */
function secondaryReadsOf(result: unknown): number {
  const r = result as ActivityResult<{ secondaryReads?: number }> | BlobOutcome;
  return 'ok' in r && r.ok ? (r.secondaryReads ?? 0) : 0;
}

/** Answers of the destination that asked to slow down during a batch. */
function throttlesOf(result: unknown): number {
  const r = result as ActivityResult<{ throttled?: number }> | BlobOutcome;
  return 'ok' in r && r.ok ? (r.throttled ?? 0) : 0;
}

/** The destination account, as people name it in the progress line. */
function destinationAccount(job: MigrateInput['job']): string {
  return job.destination.kind === 'azure-blob' ? job.destination.account : 'the destination';
}

/** Server copies a batch left pending. */
function pendingOf(result: unknown): PendingServerCopy[] {
  const r = result as ActivityResult<{ pending?: PendingServerCopy[] }> | BlobOutcome;
  return 'ok' in r && r.ok ? (r.pending ?? []) : [];
}

/** A task's blob outcomes; a batch that failed as a whole fails each of its blobs. */
function outcomesOf(result: unknown, covers: SourceBlob[], input: MigrateInput): BlobOutcome[] {
  const r = result as ActivityResult<{ outcomes: BlobOutcome[] }> | BlobOutcome;
  if ('outcome' in r) return [r];
  if (r.ok) return r.outcomes;
  return covers.map((blob) => ({
    source: displayObjectUrl(input.job.source, blob.name),
    destination: displayObjectUrl(input.job.destination, prefixDestinationName(input.destinationPrefix, input.sourcePrefix, blob.name)),
    outcome: 'failed',
    bytes: 0,
    code: r.code,
    message: r.message,
  }));
}

function tally(state: MigrateState, totals: MigrateState['totals'], o: BlobOutcome): void {
  const fail = (failure: BlobOutcome) => {
    if (state.failures.length < FAILURES_KEPT) state.failures.push(failure);
    else state.failuresNotKept++;
  };
  if (o.outcome === 'copied') {
    totals.copied++;
    if (o.renamed && (state.renamed ??= []).length < RENAMED_KEPT) state.renamed.push({ source: o.source, destination: o.destination });
    if (o.message && state.notes.length < NOTES_KEPT) state.notes.push(o.message);
    if (o.strategy) totals.strategies = { ...totals.strategies, [o.strategy]: (totals.strategies[o.strategy] ?? 0) + 1 };
    if (o.verified) totals.verification = { ...totals.verification, [o.verified]: (totals.verification?.[o.verified] ?? 0) + 1 };
    totals.bytesCopied += o.bytes;
    if (o.sourceDeleted === true) totals.deleted = (totals.deleted ?? 0) + 1;
    else if (o.sourceDeleted) fail({ ...o, code: o.sourceDeleted.code, message: `Copied, but the source was not deleted: ${o.sourceDeleted.message}` });
  } else if (o.outcome === 'skipped') totals.skipped++;
  else {
    totals.failed++;
    fail(o);
  }
}

function recordListingFailure(state: MigrateState, input: MigrateInput, failure: { code: string; message: string }): MigrateState {
  const source = `${input.sourcePrefix || '(container)'}`;
  return { ...state, failures: [...state.failures, { source, destination: input.destinationPrefix, outcome: 'failed', bytes: 0, code: failure.code, message: `Listing stopped: ${failure.message}` }], totals: { ...state.totals, failed: state.totals.failed + 1 } };
}

function progress(totals: MigrateState['totals'], state: MigrateState, rate: number, listing: boolean, job: MigrateInput['job']): CopyProgress {
  return {
    phase: 'copying',
    kind: 'prefix',
    blobs: { total: totals.listed, copied: totals.copied, skipped: totals.skipped, failed: totals.failed, ...(job.options.deleteSource ? { deleted: totals.deleted ?? 0 } : {}) },
    bytes: { total: totals.bytesListed, copied: totals.bytesCopied },
    rateBytesPerSec: rate,
    listing,
    failures: state.failures.length + state.failuresNotKept,
    strategies: totals.strategies,
    strategy: job.strategy,
    strategyReason: job.strategyReason,
    ...paceOf(state, job),
    ...(totals.secondaryReads ? { secondaryReads: totals.secondaryReads } : {}),
  };
}

/** The pace, once it has differed from --concurrency. */
function paceOf(state: MigrateState, job: MigrateInput['job']): { concurrency?: CopyProgress['concurrency'] } {
  const pace = state.pace;
  return pace && (pace.note || pace.limit !== job.options.concurrency) ? { concurrency: { limit: pace.limit, of: job.options.concurrency, ...(pace.note ? { note: pace.note } : {}) } } : {};
}

function summarize(input: MigrateInput, state: MigrateState): TransferSummary {
  const t = state.totals;
  return {
    blobs: { total: t.listed, copied: t.copied, skipped: t.skipped, failed: t.failed, ...(input.job.options.deleteSource ? { deleted: t.deleted ?? 0 } : {}) },
    bytes: { total: t.bytesListed, copied: t.bytesCopied },
    failures: state.failures.map((f) => ({ source: f.source, destination: f.destination, code: f.code ?? 'INTERNAL', message: f.message ?? '' })),
    ...(state.failuresNotKept > 0 ? { failuresNotListed: state.failuresNotKept } : {}),
    strategies: t.strategies,
    ...(t.verification && Object.keys(t.verification).length > 0 ? { verification: t.verification } : {}),
    strategy: input.job.strategy,
    strategyReason: input.job.strategyReason,
    ...paceOf(state, input.job),
    ...(state.renamed?.length ? { renamed: state.renamed } : {}),
    ...(t.secondaryReads ? { secondaryReads: t.secondaryReads } : {}),
    ...(state.notes.length > 0 ? { notes: state.notes } : {}),
  };
}
