/**
 * transfer: the copy a request asks for. Inspect it (nothing is written if it cannot work), then
 * hand a single blob to copyBlob or a prefix to migrate, as sub-orchestrations with ids derived
 * from this one (`<id>:blob`, `<id>:prefix`), and report. A request that cannot work fails the
 * instance with its error code in the custom status; blobs that fail are reported in the output.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { formatDuration } from '../../contracts/duration';
import { failureClass } from '../../contracts/errors';
import type { BlobOutcome } from '../../contracts/blobFacts';
import type { CopyProgress } from '../../contracts/progress';
import { forwardCancel } from '../activities/forwardCancel';
import { inspectTransfer } from '../activities/inspectTransfer';
import { call, orchestration, resultOf, schedule, scheduleChild, type TypedTask } from '../calls';
import type { MigrateInput, TransferInput, TransferSummary } from '../types';
import { cancelWatch } from './cancel';
import { copyBlob } from './copyBlob';
import { migrate } from './migrate';
import { prune, type PruneInput, type PruneSummary } from './prune';

export const transfer = orchestration<TransferInput, TransferSummary>('transfer', transferOrchestrator);

function* transferOrchestrator(context: OrchestrationContext): Generator<Task, TransferSummary, unknown> {
  const input = context.df.getInput() as TransferInput;
  context.df.setCustomStatus({ phase: 'inspecting' } satisfies CopyProgress);
  // This run's id (the same on replay, another when the copy is run again after it ended): its writes carry it.
  const run = context.df.newGuid(`${context.df.instanceId}:run`);
  const began = context.df.currentUtcDateTime.getTime();
  const inspected = yield* call(context, inspectTransfer, { ...input, run });
  if (!inspected.ok) {
    // A source or destination that did not answer until the copy's time was up: the deadline is why.
    const timedOut = failureClass(inspected.code) !== 'final' && context.df.currentUtcDateTime.getTime() - began >= input.limits.timeoutSeconds * 1000;
    const error = timedOut ? { code: 'TIMED_OUT', message: `The copy did not get past looking at its source and destination within its timeout (${formatDuration(input.limits.timeoutSeconds)}): ${inspected.message}` } : { code: inspected.code, message: inspected.message };
    context.df.setCustomStatus({ phase: 'failed', error } satisfies CopyProgress);
    throw new Error(`${error.code}: ${error.message}`);
  }
  const inspection = inspected.inspection;
  const { job } = inspection;
  const strategy = { strategy: job.strategy, strategyReason: job.strategyReason };

  let summary: TransferSummary;
  if (inspection.kind === 'blob') {
    const child = `${context.df.instanceId}:blob`;
    // One blob, of this size: the totals are known before its copy reports any progress.
    context.df.setCustomStatus({ phase: 'copying', kind: 'blob', child, blobs: { total: 1, copied: 0, skipped: 0, failed: 0 }, bytes: { total: inspection.blob.size, copied: 0 }, ...strategy } satisfies CopyProgress);
    const outcome = (yield* awaitChild(context, scheduleChild(context, copyBlob, { job, blob: inspection.blob, destinationName: inspection.destinationName }, child), child)) as BlobOutcome;
    summary = blobSummary(outcome, inspection.blob.size, job.options.deleteSource, inspection.notes, strategy);
  } else {
    const child = `${context.df.instanceId}:prefix`;
    context.df.setCustomStatus({ phase: 'copying', kind: 'prefix', child, ...strategy } satisfies CopyProgress);
    const migrateInput: MigrateInput = {
      job,
      sourcePrefix: inspection.sourcePrefix,
      destinationPrefix: inspection.destinationPrefix,
      listTags: inspection.listTags,
      state: {
        generation: 0,
        totals: { listed: 0, copied: 0, skipped: 0, failed: 0, bytesListed: 0, bytesCopied: 0, deleted: 0, strategies: {}, verification: {} },
        failures: [],
        failuresNotKept: 0,
        notes: inspection.notes,
        // The inspection listed the first page: migrate starts copying it.
        ...(inspection.firstPage ? { pendingPage: inspection.firstPage.items, pendingKept: inspection.firstPage.kept, destinationCursor: inspection.firstPage.destinationCursor, continuation: inspection.firstPage.next } : {}),
      },
    };
    summary = (yield* awaitChild(context, scheduleChild(context, migrate, migrateInput, child), child)) as TransferSummary;
    if (job.options.deleteDestination) summary = yield* removeExtras(context, summary, { job, sourcePrefix: inspection.sourcePrefix, destinationPrefix: inspection.destinationPrefix, removed: 0, failures: [] });
  }
  context.df.setCustomStatus({
    phase: summary.cancelled ? 'cancelled' : 'done',
    kind: inspection.kind,
    blobs: summary.blobs,
    bytes: summary.bytes,
    failures: summary.failures.length + (summary.failuresNotListed ?? 0),
    ...(summary.strategies ? { strategies: summary.strategies } : {}),
    ...strategy,
  } satisfies CopyProgress);
  return summary;
}

/**
 * Sync --delete-destination, once the copy is whole: what the source no longer has is removed
 * from the destination. Never after a copy that failed somewhere or was cancelled, as rclone
 * does: a source that could not be read whole is no reason to remove anything; nor when the
 * source holds nothing.
 */
function* removeExtras(context: OrchestrationContext, summary: TransferSummary, input: PruneInput): Generator<Task, TransferSummary, unknown> {
  if (summary.cancelled || summary.failures.length > 0 || summary.blobs.failed > 0) {
    return { ...summary, notes: [...(summary.notes ?? []), 'Nothing was removed from the destination (--delete-destination): the copy did not end whole.'] };
  }
  // An empty source is more often a mistyped prefix than a wish to empty the destination.
  if (summary.blobs.total === 0) {
    return { ...summary, notes: [...(summary.notes ?? []), 'Nothing was removed from the destination (--delete-destination): the source holds nothing to copy; check its path.'] };
  }
  const child = `${context.df.instanceId}:prune`;
  context.df.setCustomStatus({ phase: 'removing', kind: 'prefix', child, blobs: summary.blobs, bytes: summary.bytes, strategy: summary.strategy, strategyReason: summary.strategyReason } satisfies CopyProgress);
  const pruned = (yield* awaitChild(context, scheduleChild(context, prune, input, child), child)) as PruneSummary;
  return { ...summary, blobs: { ...summary.blobs, removed: pruned.removed }, failures: [...summary.failures, ...pruned.failures] };
}

/** The child's result; a cancel request that arrives meanwhile is passed on to it, and it ends the way cancelling makes it end. */
function* awaitChild<T>(context: OrchestrationContext, child: TypedTask<T>, childId: string): Generator<Task, T, unknown> {
  if (!(yield* cancelWatch(context).race(child, false))) return resultOf(child);
  yield schedule(context, forwardCancel, { instanceIds: [childId], reason: 'the copy was cancelled' });
  yield child;
  return resultOf(child);
}

/** A single blob's report. */
function blobSummary(outcome: BlobOutcome, size: number, deleteSource: boolean, notes: string[], strategy: Pick<TransferSummary, 'strategy' | 'strategyReason'>): TransferSummary {
  const copied = outcome.outcome === 'copied';
  const deletion = outcome.sourceDeleted;
  const failures = [
    ...(outcome.outcome === 'failed' ? [{ source: outcome.source, destination: outcome.destination, code: outcome.code ?? 'INTERNAL', message: outcome.message ?? '' }] : []),
    ...(deletion && deletion !== true ? [{ source: outcome.source, destination: outcome.destination, code: deletion.code, message: `Copied, but the source was not deleted: ${deletion.message}` }] : []),
  ];
  const allNotes = [...notes, ...(copied && outcome.message ? [outcome.message] : [])];
  return {
    blobs: { total: 1, copied: copied ? 1 : 0, skipped: outcome.outcome === 'skipped' ? 1 : 0, failed: outcome.outcome === 'failed' ? 1 : 0, ...(deleteSource ? { deleted: deletion === true ? 1 : 0 } : {}) },
    bytes: { total: size, copied: outcome.bytes },
    failures,
    ...(outcome.code === 'CANCELLED' ? { cancelled: true } : {}),
    ...(copied && outcome.verified ? { verification: { [outcome.verified]: 1 } } : {}),
    ...(allNotes.length > 0 ? { notes: allNotes } : {}),
    ...(outcome.renamed ? { renamed: [{ source: outcome.source, destination: outcome.destination }] } : {}),
    ...strategy,
  };
}
