/**
 * copyJob: a batch migration from the jobs queue. Runs its transfers as sub-orchestrations (ids
 * chosen when the message was read, so a replayed job finds the same ones), a few at a time,
 * then writes the job's summary blob and names it in the custom status and the output.
 * A transfer that fails (refused at inspection) is reported; the others go on.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { LIMITS, truncate } from '../../contracts/limits';
import { writeJobSummary } from '../activities/jobSummary';
import { call, orchestration, scheduleChild } from '../calls';
import type { CopyJobInput, CopyJobSummary, TransferSummary } from '../types';
import { transfer } from './transfer';

/** Transfers of one job that run at once (each has its own concurrency inside). */
const TRANSFERS_AT_ONCE = 4;

export const copyJob = orchestration<CopyJobInput, CopyJobSummary & { summaryBlob?: string; summaryError?: string }>('copyJob', copyJobOrchestrator);

function* copyJobOrchestrator(context: OrchestrationContext): Generator<Task, CopyJobSummary & { summaryBlob?: string; summaryError?: string }, unknown> {
  const input = context.df.getInput() as CopyJobInput;
  const results: CopyJobSummary['transfers'] = [];
  const publish = (phase: string, extra: Record<string, unknown> = {}) => context.df.setCustomStatus({ phase, jobId: input.jobId, transfers: { total: input.transfers.length, done: results.length }, ...extra });
  publish('copying');
  for (let offset = 0; offset < input.transfers.length; offset += TRANSFERS_AT_ONCE) {
    const wave = input.transfers.slice(offset, offset + TRANSFERS_AT_ONCE);
    const tasks = wave.map((t) => scheduleChild(context, transfer, t.input, t.instanceId));
    try {
      yield context.df.Task.all(tasks);
    } catch {
      // A transfer failed; wait for the rest of the wave, each on its own.
      for (const task of tasks) {
        try {
          if (!task.isCompleted) yield task;
        } catch {
          // reported below
        }
      }
    }
    wave.forEach((t, i) => {
      const task = tasks[i] as Task & { isFaulted?: boolean; result?: unknown };
      const done = task.result as TransferSummary;
      results.push(task.isFaulted ? { id: t.instanceId, runtimeStatus: 'Failed', error: failureOf(task.result) } : { id: t.instanceId, runtimeStatus: 'Completed', blobs: done.blobs, bytes: done.bytes, ...(done.cancelled ? { cancelled: true } : {}) });
    });
    publish('copying');
  }
  const summary: CopyJobSummary = { jobId: input.jobId, transfers: results, totals: totalsOf(results) };
  const written = yield* call(context, writeJobSummary, { summary });
  publish('done', written.ok ? { summaryBlob: written.url, totals: summary.totals } : { summaryError: written.message, totals: summary.totals });
  return { ...summary, ...(written.ok ? { summaryBlob: written.url } : { summaryError: written.message }) };
}

/** What the failed transfer threw ("CODE: message"): durable-functions' TaskFailedError carries it in its failure details. */
function failureOf(result: unknown): string {
  const error = result as { failureDetails?: { errorMessage?: string }; message?: string } | undefined;
  return truncate(error?.failureDetails?.errorMessage ?? error?.message ?? 'the transfer failed', LIMITS.messageLength);
}

function totalsOf(results: CopyJobSummary['transfers']): CopyJobSummary['totals'] {
  const done = results.filter((r) => r.runtimeStatus === 'Completed');
  return {
    transfers: results.length,
    completed: done.length,
    failed: results.length - done.length,
    blobsCopied: done.reduce((sum, r) => sum + (r.blobs?.copied ?? 0), 0),
    blobsFailed: done.reduce((sum, r) => sum + (r.blobs?.failed ?? 0), 0),
    bytesCopied: done.reduce((sum, r) => sum + (r.bytes?.copied ?? 0), 0),
  };
}
