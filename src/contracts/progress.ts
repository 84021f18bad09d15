/** Progress in an orchestration's custom status, as status readers (CLI, HTTP API) see it. */
export interface CopyProgress {
  /** waiting: another copy is pending on the destination (--on-pending-copy wait); restoring: undoing a stopped server copy. */
  /** waiting-for-credentials: a SAS expired; the copy goes on once fresh ones are given (the same command again, POST .../credentials). */
  /** removing: sync --delete-destination, removing what the source no longer has. */
  phase: 'inspecting' | 'copying' | 'committing' | 'waiting' | 'waiting-for-credentials' | 'restoring' | 'removing' | 'done' | 'failed' | 'cancelled';
  /** The orchestration doing the work, when this one delegates (transfer -> copyBlob / migrate). */
  child?: string;
  kind?: 'blob' | 'prefix';
  /** deleted: with --delete-source, sources deleted after their copies were verified. */
  blobs?: { total: number; copied: number; skipped: number; failed: number; deleted?: number; removed?: number };
  /** sync --delete-destination: destination objects removed so far. */
  removed?: number;
  bytes?: { total: number; copied: number };
  /** Bytes per second over the last step. */
  rateBytesPerSec?: number;
  /** More blobs may still be listed (a prefix copy lists as it goes). */
  listing?: boolean;
  failures?: number;
  strategy?: string;
  strategyReason?: string;
  error?: { code: string; message: string };
  /** A server copy: the service's copy id, status and description, and how many times it was polled. */
  serverCopy?: { id: string; status: string; description?: string; polls: number };
  /** When the copy is stopped if it has not finished (ISO time). */
  deadline?: string;
  /** Prefix copies: blobs copied by each strategy so far. */
  strategies?: Record<string, number>;
  /** Reads made on an RA-GRS source's secondary so far (its primary failed, or --source-secondary prefer). */
  secondaryReads?: number;
  /** Prefix copies: requests in flight per batch as the pacer allows now, of --concurrency, and why (plan/pace.ts). */
  concurrency?: { limit: number; of: number; note?: string };
}
