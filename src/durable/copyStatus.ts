/**
 * One view of a copy for the people who asked for it (CLI, HTTP API): the transfer instance's
 * status plus its worker's (copyBlob or migrate) progress, with secrets already sealed away.
 */
import type { CopyProgress } from '../contracts/progress';
import type { TransferSummary } from './types';

export interface DurableStatusLike {
  instanceId: string;
  runtimeStatus: string;
  customStatus?: unknown;
  output?: unknown;
  createdTime?: string | Date;
  lastUpdatedTime?: string | Date;
}

export interface CopyView {
  instanceId: string;
  runtimeStatus: string;
  phase: CopyProgress['phase'];
  strategy?: string;
  strategyReason?: string;
  /** deleted: with --delete-source, sources deleted after their copies were verified. */
  blobs: { total: number; copied: number; skipped: number; failed: number; deleted?: number; removed?: number };
  bytes: { total: number; copied: number };
  rateBytesPerSec?: number;
  listing?: boolean;
  /** When the copy is stopped if unfinished (ISO time). */
  deadline?: string;
  /** A server copy being followed: the service's copy id, status and description. */
  serverCopy?: CopyProgress['serverCopy'];
  /** Blobs copied by each strategy (prefix copies). */
  strategies?: Record<string, number>;
  /** Reads made on an RA-GRS source's secondary. */
  secondaryReads?: number;
  /** Copies written under another name than planned (--overwrite rename). */
  renamed?: TransferSummary['renamed'];
  /** Requests in flight as the pacer allows now, of --concurrency, and why (throttling). */
  concurrency?: CopyProgress['concurrency'];
  /** Blobs copied, by how each was checked against its source (md5, a checksum algorithm, size). */
  verification?: Record<string, number>;
  cancelled?: boolean;
  failures: TransferSummary['failures'];
  failuresNotListed?: number;
  notes?: string[];
  error?: { code: string; message: string };
}

export function copyView(transfer: DurableStatusLike, worker?: DurableStatusLike): CopyView {
  const own = (transfer.customStatus ?? {}) as CopyProgress;
  const work = (worker?.customStatus ?? {}) as CopyProgress;
  const summary = transfer.runtimeStatus === 'Completed' ? (transfer.output as TransferSummary | undefined) : undefined;
  const blobs = summary?.blobs ?? work.blobs ?? own.blobs ?? { total: own.kind === 'blob' ? 1 : 0, copied: 0, skipped: 0, failed: 0 };
  const bytes = summary?.bytes ?? work.bytes ?? own.bytes ?? { total: 0, copied: 0 };
  const phase: CopyProgress['phase'] =
    transfer.runtimeStatus === 'Failed' || transfer.runtimeStatus === 'Terminated' ? 'failed' : transfer.runtimeStatus === 'Completed' ? (summary?.cancelled ? 'cancelled' : 'done') : work.phase ?? own.phase ?? 'inspecting';
  const strategies = summary?.strategies ?? work.strategies;
  return {
    instanceId: transfer.instanceId,
    runtimeStatus: transfer.runtimeStatus,
    phase,
    strategy: own.strategy ?? work.strategy,
    strategyReason: own.strategyReason ?? work.strategyReason,
    blobs,
    bytes,
    ...(summary ? {} : { rateBytesPerSec: work.rateBytesPerSec, listing: work.listing }),
    ...(!summary && work.deadline ? { deadline: work.deadline } : {}),
    ...(!summary && work.serverCopy ? { serverCopy: work.serverCopy } : {}),
    ...((summary?.concurrency ?? work.concurrency) ? { concurrency: summary?.concurrency ?? work.concurrency } : {}),
    ...((summary?.secondaryReads ?? work.secondaryReads) ? { secondaryReads: summary?.secondaryReads ?? work.secondaryReads } : {}),
    ...(strategies && Object.keys(strategies).length > 0 ? { strategies } : {}),
    ...(summary?.verification ? { verification: summary.verification } : {}),
    ...(summary?.cancelled ? { cancelled: true } : {}),
    failures: summary?.failures ?? [],
    ...(summary?.failuresNotListed ? { failuresNotListed: summary.failuresNotListed } : {}),
    ...(summary?.notes ? { notes: summary.notes } : {}),
    ...(summary?.renamed ? { renamed: summary.renamed } : {}),
    ...(own.error ? { error: own.error } : transfer.runtimeStatus === 'Failed' ? { error: { code: 'INTERNAL', message: String(transfer.output ?? 'the copy failed') } } : {}),
  };
}
