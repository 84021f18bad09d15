/** Progress in an orchestration's custom status, as status readers (CLI, HTTP API) see it. */
export interface CopyProgress {
  phase: 'inspecting' | 'copying' | 'committing' | 'done' | 'failed';
  /** The orchestration doing the work, when this one delegates (transfer -> copyBlob / migrate). */
  child?: string;
  kind?: 'blob' | 'prefix';
  blobs?: { total: number; copied: number; skipped: number; failed: number };
  bytes?: { total: number; copied: number };
  /** Bytes per second over the last step. */
  rateBytesPerSec?: number;
  /** More blobs may still be listed (a prefix copy lists as it goes). */
  listing?: boolean;
  failures?: number;
  strategy?: string;
  strategyReason?: string;
  error?: { code: string; message: string };
}
