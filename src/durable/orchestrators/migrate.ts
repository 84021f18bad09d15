/**
 * migrate: every blob under a prefix, a page at a time. Each generation copies one listed page
 * (small blobs in batches of one activity, large ones as copyBlob sub-orchestrations, in waves)
 * while the next page is listed, then continues as new with the running totals, so history
 * stays one page long and no instance schedules more than ~500 tasks, whatever the prefix holds.
 */
import { createHash } from 'node:crypto';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { BlobOutcome, SourceBlob } from '../../contracts/blobFacts';
import { displayBlobUrl } from '../../contracts/locations';
import type { CopyProgress } from '../../contracts/progress';
import { MiB, DEFAULT_BLOCK_SIZE, requestedBlockSize } from '../../plan/blocks';
import { prefixDestinationName } from '../../plan/names';
import { bytesPerSecond, planWaves } from '../../plan/waves';
import type { ActivityResult, MigrateInput, MigrateState, TransferSummary } from '../types';

/** Blobs per listing page: with one task per large blob, a page never exceeds ~500 tasks. */
export const PAGE_SIZE = 500;
/** Small blobs per batch activity, and their bytes at most. */
const BATCH_ITEMS = 64;
const BATCH_BYTES = 256 * MiB;
/** Failures kept in the report; the rest are counted. */
export const FAILURES_KEPT = 1000;

export function* migrateOrchestrator(context: OrchestrationContext): Generator<Task, TransferSummary | undefined, unknown> {
  const input = context.df.getInput() as MigrateInput;
  const { job, state } = input;
  const listArgs = (continuation: string | undefined) => ({ job, sourcePrefix: input.sourcePrefix, continuation, pageSize: PAGE_SIZE, listTags: input.listTags });

  let page: SourceBlob[];
  let next: string | undefined;
  if (state.pendingPage) {
    page = state.pendingPage;
    next = state.continuation;
  } else {
    const listed = (yield context.df.callActivity('listPage', listArgs(state.continuation))) as ActivityResult<{ items: SourceBlob[]; next?: string }>;
    if (!listed.ok) return summarize(input, recordListingFailure(state, input, listed));
    page = listed.items;
    next = listed.next;
  }

  const totals = { ...state.totals, listed: state.totals.listed + page.length, bytesListed: state.totals.bytesListed + page.reduce((sum, b) => sum + b.size, 0) };
  const outcomes: BlobOutcome[] = [];
  const work = planPage(context, input, page);
  // The next page is listed while this one copies.
  const nextListing = next ? context.df.callActivity('listPage', listArgs(next)) : undefined;
  let progressAt = { at: context.df.currentUtcDateTime.getTime(), bytes: totals.bytesCopied };
  const waves = planWaves(work.map((w) => w.weight), job.options.concurrency * 2);
  if (waves.length === 0 && nextListing) waves.push([]);
  for (const [index, wave] of waves.entries()) {
    const tasks: Task[] = wave.map((i) => work[i].start());
    if (index === 0 && nextListing) tasks.push(nextListing);
    const results = (yield context.df.Task.all(tasks)) as unknown[];
    wave.forEach((i, at) => outcomes.push(...outcomesOf(results[at], work[i].covers, input)));
    for (const o of outcomes.splice(0)) tally(state, totals, o);
    const now = { at: context.df.currentUtcDateTime.getTime(), bytes: totals.bytesCopied };
    context.df.setCustomStatus(progress(totals, state, bytesPerSecond(progressAt, now), next !== undefined, job.strategy, job.strategyReason));
    progressAt = now;
  }

  const nextState: MigrateState = { ...state, totals, generation: state.generation + 1 };
  if (nextListing) {
    const listed = nextListing.result as ActivityResult<{ items: SourceBlob[]; next?: string }>;
    if (!listed.ok) return summarize(input, recordListingFailure(nextState, input, listed));
    context.df.continueAsNew({ ...input, state: { ...nextState, pendingPage: listed.items, continuation: listed.next } } satisfies MigrateInput);
    return undefined;
  }
  const summary = summarize(input, nextState);
  context.df.setCustomStatus({ ...progress(totals, state, 0, false, job.strategy, job.strategyReason), phase: 'done' });
  return summary;
}

interface PageTask {
  start: () => Task;
  /** Requests it keeps in flight. */
  weight: number;
  /** The listed blobs it copies. */
  covers: SourceBlob[];
}

/** One task per batch of small blobs (one block each) and per large blob. */
function planPage(context: OrchestrationContext, input: MigrateInput, page: SourceBlob[]): PageTask[] {
  const { job } = input;
  const oneBlock = requestedBlockSize(job.options) ?? DEFAULT_BLOCK_SIZE;
  const batches: SourceBlob[][] = [];
  for (const blob of page.filter((b) => b.size <= oneBlock)) {
    const current = batches[batches.length - 1];
    if (current && current.length < BATCH_ITEMS && current.reduce((sum, b) => sum + b.size, 0) + blob.size <= BATCH_BYTES) current.push(blob);
    else batches.push([blob]);
  }
  const work: PageTask[] = batches.map((items) => ({
    start: () => context.df.callActivity('copySmallBlobs', { job, sourcePrefix: input.sourcePrefix, destinationPrefix: input.destinationPrefix, items }),
    weight: Math.min(items.length, job.options.concurrency),
    covers: items,
  }));
  for (const blob of page.filter((b) => b.size > oneBlock)) {
    const destinationName = prefixDestinationName(input.destinationPrefix, input.sourcePrefix, blob.name);
    // A stable child id per blob: a re-run finds the same sub-orchestration.
    const childId = `${context.df.instanceId}:${createHash('sha256').update(blob.name).digest('hex').slice(0, 24)}`;
    work.push({
      start: () => context.df.callSubOrchestrator('copyBlob', { job, blob, destinationName }, childId),
      weight: Math.min(Math.ceil(blob.size / oneBlock), job.options.concurrency),
      covers: [blob],
    });
  }
  return work;
}

/** A task's blob outcomes; a batch that failed as a whole fails each of its blobs. */
function outcomesOf(result: unknown, covers: SourceBlob[], input: MigrateInput): BlobOutcome[] {
  const r = result as ActivityResult<{ outcomes: BlobOutcome[] }> | BlobOutcome;
  if ('outcome' in r) return [r];
  if (r.ok) return r.outcomes;
  return covers.map((blob) => ({
    source: displayBlobUrl(input.job.source, blob.name),
    destination: displayBlobUrl(input.job.destination, prefixDestinationName(input.destinationPrefix, input.sourcePrefix, blob.name)),
    outcome: 'failed',
    bytes: 0,
    code: r.code,
    message: r.message,
  }));
}

function tally(state: MigrateState, totals: MigrateState['totals'], o: BlobOutcome): void {
  if (o.outcome === 'copied') {
    totals.copied++;
    totals.bytesCopied += o.bytes;
  } else if (o.outcome === 'skipped') totals.skipped++;
  else {
    totals.failed++;
    if (state.failures.length < FAILURES_KEPT) state.failures.push(o);
    else state.failuresNotKept++;
  }
}

function recordListingFailure(state: MigrateState, input: MigrateInput, failure: { code: string; message: string }): MigrateState {
  const source = `${input.sourcePrefix || '(container)'}`;
  return { ...state, failures: [...state.failures, { source, destination: input.destinationPrefix, outcome: 'failed', bytes: 0, code: failure.code, message: `Listing stopped: ${failure.message}` }], totals: { ...state.totals, failed: state.totals.failed + 1 } };
}

function progress(totals: MigrateState['totals'], state: MigrateState, rate: number, listing: boolean, strategy: string, strategyReason: string): CopyProgress {
  return {
    phase: 'copying',
    kind: 'prefix',
    blobs: { total: totals.listed, copied: totals.copied, skipped: totals.skipped, failed: totals.failed },
    bytes: { total: totals.bytesListed, copied: totals.bytesCopied },
    rateBytesPerSec: rate,
    listing,
    failures: state.failures.length + state.failuresNotKept,
    strategy,
    strategyReason,
  };
}

function summarize(input: MigrateInput, state: MigrateState): TransferSummary {
  const t = state.totals;
  return {
    blobs: { total: t.listed, copied: t.copied, skipped: t.skipped, failed: t.failed },
    bytes: { total: t.bytesListed, copied: t.bytesCopied },
    failures: state.failures.map((f) => ({ source: f.source, destination: f.destination, code: f.code ?? 'INTERNAL', message: f.message ?? '' })),
    ...(state.failuresNotKept > 0 ? { failuresNotListed: state.failuresNotKept } : {}),
    strategy: input.job.strategy,
    strategyReason: input.job.strategyReason,
    ...(state.notes.length > 0 ? { notes: state.notes } : {}),
  };
}
