/** The data orchestrations and activities pass each other. Secrets inside are sealed. */
import type { CopyOptions } from '../contracts/copyRequest';
import type { BlobOutcome, CommitConditions, SourceBlob } from '../contracts/blobFacts';
import type { Location } from '../contracts/locations';
import type { BlockPlan } from '../plan/blocks';
import type { Pace } from '../plan/pace';
import type { Route, Strategy } from '../plan/strategy';
import type { DestinationCursor } from '../storage/endpoint';
import type { Digests, DigestStates } from '../plan/verification';

/** The transfer orchestration's input: what to copy where, with which options. */
export interface TransferInput {
  source: Location;
  destination: Location;
  options: CopyOptions;
  limits: CopyLimits;
  /** What makes two requests the same copy (src/durable/startTransfer.ts). */
  fingerprint: string;
  /** Who asked, sealed to this copy: the CLI's user or a remote caller (storage/registry.ts sealTransfer). */
  grant: string;
}

/** Time limits, from the request and the app's settings (src/durable/settings.ts). */
export interface CopyLimits {
  /** How long the copy may take before it is stopped. */
  timeoutSeconds: number;
  /** Server copies: the first wait between status polls, growing to the longest. */
  pollFirstSeconds: number;
  pollMaxSeconds: number;
  /** An activity that failed for a reason that may pass runs again after this, doubling (plan/retry.ts). */
  retryWaitSeconds: number;
  /** A copy whose SAS expired looks for fresh ones this often, for at most this long. */
  credentialsWaitSeconds: number;
  credentialsMaxWaitSeconds: number;
}

/** A transfer in one run: the run's id is in every write's copy marker (plan/overwrite.ts). */
export type RunInput = TransferInput & { run: string };

/** A transfer once inspected: the same, plus how it copies. */
export interface Job extends RunInput {
  route: Route;
  /** A single blob: its strategy; a prefix: the table's headline (each blob is decided on its own). */
  strategy: Strategy;
  strategyReason: string;
}

/**
 * A job as one blob's copy sees it: with the time (ISO) after which that copy is stopped (a
 * pending server copy aborted), its timeout counted from when the blob's copy began. A prefix
 * copy has no overall deadline: each of its blobs has one.
 */
export type BlobJob = Job & { deadline: string };

export interface CopyBlobInput {
  job: Job;
  blob: SourceBlob;
  destinationName: string;
}

export interface MigrateTotals {
  /** Blobs copied by each strategy. */
  strategies: Record<string, number>;
  listed: number;
  copied: number;
  skipped: number;
  failed: number;
  bytesListed: number;
  bytesCopied: number;
  /** --delete-source: sources deleted after their copies were verified. */
  deleted: number;
  /** Blobs copied, by how each was checked against its source. */
  verification: Record<string, number>;
  /** Reads made on an RA-GRS source's secondary (its primary failed, or --source-secondary prefer). */
  secondaryReads?: number;
}

/** Listed objects a listing of the destination showed are to be kept as they are (sync): counted as skipped, never copied. */
export interface Kept {
  count: number;
  bytes: number;
}

export interface MigrateState {
  generation: number;
  /** Copies renamed so far (--overwrite rename), the first RENAMED_KEPT. */
  renamed?: Array<{ source: string; destination: string }>;
  /** The destination's pace (plan/pace.ts), carried across generations. */
  pace?: Pace;
  continuation?: string;
  /** The page listed ahead during the previous generation, and what its listing found kept as it is. */
  pendingPage?: SourceBlob[];
  pendingKept?: Kept;
  /** Sync: where the destination's listing, read in step with the source's, stands. */
  destinationCursor?: DestinationCursor;
  totals: MigrateTotals;
  failures: BlobOutcome[];
  failuresNotKept: number;
  notes: string[];
}

export interface MigrateInput {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  listTags: boolean;
  state: MigrateState;
}

/** What a transfer reports at the end (the orchestration's output). */
export interface TransferSummary {
  /** Copies written under another name than planned (--overwrite rename), the first RENAMED_KEPT. */
  renamed?: Array<{ source: string; destination: string }>;
  /** Reads made on an RA-GRS source's secondary. */
  secondaryReads?: number;
  /** Prefix copies that were throttled: the pace at the end, of --concurrency, and the last reason. */
  concurrency?: { limit: number; of: number; note?: string };
  /** deleted: --delete-source, sources deleted after their copies were verified; removed: sync --delete-destination, destination objects the source no longer has. */
  blobs: { total: number; copied: number; skipped: number; failed: number; deleted?: number; removed?: number };
  bytes: { total: number; copied: number };
  failures: Array<{ source: string; destination: string; code: string; message: string }>;
  /** Failures beyond the ones listed (the list keeps the first 1,000). */
  failuresNotListed?: number;
  /** Blobs copied by each strategy. */
  strategies?: Record<string, number>;
  /** Blobs copied, by how each was checked against its source: md5, a checksum (crc64nvme, ...), or size. */
  verification?: Record<string, number>;
  /** The copy was cancelled before it finished. */
  cancelled?: boolean;
  strategy: Strategy;
  strategyReason: string;
  notes?: string[];
}

export type ActivityResult<T> = ({ ok: true } & T) | { ok: false; code: string; message: string };

export interface StageArgs {
  job: Job;
  blob: SourceBlob;
  name: string;
  plan: BlockPlan;
  first: number;
  last: number;
  /** Relay: the whole-object digests so far, handed from segment to segment. */
  digestStates?: DigestStates;
}

export interface StageResult {
  staged: number;
  skipped: number;
  bytes: number;
  digestStates?: DigestStates;
  /** Relay, after the last block: the whole object's digests. */
  digests?: Digests;
}

export interface CommitArgs {
  job: Job;
  blob: SourceBlob;
  name: string;
  plan: BlockPlan;
  conditions: CommitConditions;
  /** Relay: the whole-object digests computed while copying. */
  computed?: Digests;
}

/** A batch migration from the jobs queue: its transfers, run by the copyJob orchestration. */
export interface CopyJobInput {
  jobId: string;
  transfers: Array<{ instanceId: string; input: TransferInput }>;
}

/** What a job reports, in its output and in its summary blob. */
export interface CopyJobSummary {
  jobId: string;
  /** Each transfer's counts (its failures in detail: GET /api/copies/{id}). */
  transfers: Array<{ id: string; runtimeStatus: 'Completed' | 'Failed'; blobs?: TransferSummary['blobs']; bytes?: TransferSummary['bytes']; cancelled?: boolean; error?: string }>;
  totals: { transfers: number; completed: number; failed: number; blobsCopied: number; blobsFailed: number; bytesCopied: number };
}
