/**
 * Server copy (Copy Blob): the service copies on its own, maybe for hours, and we only watch.
 * Nothing the user had is lost: a destination that will be overwritten is snapshotted first, so
 * a copy that fails, is aborted at its deadline or is cancelled can be undone (the snapshot is
 * put back, or a destination that did not exist is removed). A copy that succeeds drops the
 * snapshot. The orchestrator polls with durable timers (orchestrators/serverCopy.ts).
 */
import { BlobferryError } from '../../contracts/errors';
import type { CommitConditions, SourceBlob } from '../../contracts/blobFacts';
import type { BlobDestination, CopyState, SourceEndpoint } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { commitContent } from './content';
import { lookAndDecide } from './prepareBlob';
import { settle } from './settle';

/** A started server copy: enough to follow it, and to undo it. */
export interface ServerCopyStarted {
  name: string;
  copyId: string;
  status: NonNullable<CopyState['status']>;
  /** The destination as it was, when the copy overwrites one: its snapshot and tags. */
  previous?: { snapshot: string; tags?: Record<string, string> };
}

export type ServerCopyStart =
  | { action: 'skip'; code: string; reason: string }
  | { action: 'started'; started: ServerCopyStarted }
  /** The destination already is this run's finished copy (the start ran again after a crash). */
  | { action: 'adopted'; name: string };

export interface ServerCopyArgs {
  job: Job;
  blob: SourceBlob;
  started: ServerCopyStarted;
}

export const startServerCopy = activity('startServerCopy', (args: { job: Job; blob: SourceBlob; name: string }): Promise<ActivityResult<{ start: ServerCopyStart }>> =>
  settle(async () => ({ start: await beginServerCopy(args.job, args.blob, args.name, { source: await openSource(args.job), destination: await openDestination(args.job) }) })),
);

/**
 * Decide under the overwrite policy, keep what would be overwritten, start the copy. `opened`:
 * the endpoints the caller opened (a batch, once for all its blobs).
 */
export async function beginServerCopy(job: Job, blob: SourceBlob, name: string, opened: { source: SourceEndpoint; destination: BlobDestination }, attempt = 1): Promise<ServerCopyStart> {
  const { destination } = opened;
  const content = commitContent(job, blob);
  const access = await opened.source.serviceAccess(blob);
  let looked: Awaited<ReturnType<typeof lookAndDecide>> | undefined;
  let pendingCopy: BlobferryError | undefined;
  try {
    looked = await lookAndDecide(destination, job, blob, name, true, attempt);
  } catch (err) {
    if (!(err instanceof BlobferryError && err.code === 'PENDING_COPY')) throw err;
    pendingCopy = err;
  }
  // A copy pending into the blob (someone's, or ours from an earlier run): ours is followed.
  if (!looked || (looked.state.exists && looked.state.copyPending)) {
    const adopted = await adoptOwnCopy(destination, name, access.url);
    if (adopted) return { action: 'started', started: adopted };
    if (!looked) throw pendingCopy;
  }
  const { decision, state } = looked;
  if (decision.action === 'skip') return { action: 'skip', code: decision.code, reason: decision.reason };
  if (decision.action === 'adopt') return { action: 'adopted', name: decision.name };
  const target = decision.name;
  const overwrites = target === name && state.exists;
  const etag = decision.conditions.ifMatch ?? (overwrites && state.exists ? state.etag : undefined);
  const conditions: CommitConditions = etag ? { ifMatch: etag } : { ifNoneMatch: '*' };
  let previous: ServerCopyStarted['previous'];
  if (etag) {
    const tags = await destination.tags(target).catch(() => undefined);
    previous = { snapshot: await destination.snapshot(target, etag), ...(tags && Object.keys(tags).length > 0 ? { tags } : {}) };
  }
  try {
    // The source's metadata travels as given, so the copy carries the marker too.
    const response = await destination.startCopy(target, access, { conditions, metadata: content.metadata, tags: content.tags, accessTier: content.accessTier });
    return { action: 'started', started: { name: target, copyId: response.copyId, status: response.status ?? 'pending', ...(previous ? { previous } : {}) } };
  } catch (err) {
    const failure = await sourceOrDestination(err, job, blob);
    if (!previous) throw failure;
    // Drop the snapshot only if the blob is still what was snapshotted: a start whose answer was
    // lost may have begun a copy after all, and then the snapshot is the only old version.
    const now = await destination.destinationState(target).catch(() => undefined);
    if (now?.exists && now.etag === etag && !now.copyPending) {
      await destination.deleteSnapshot(target, previous.snapshot).catch(() => undefined);
      throw failure;
    }
    const e = failure instanceof BlobferryError ? failure : new BlobferryError('STORAGE_ERROR', String((failure as Error)?.message ?? failure));
    throw new BlobferryError(e.code, `${e.message} The previous ${target} is kept in its snapshot ${previous.snapshot}.`, e.details);
  }
}

/**
 * A copy pending into the blob from our own source is the one an earlier run of this start
 * began (the host died before its result was recorded): follow it rather than fail. The
 * snapshot that run took just before starting is the blob's newest (a blob that did not exist
 * has none: a snapshot needs its base blob). Tags of the old version are not known any more.
 */
async function adoptOwnCopy(destination: BlobDestination, name: string, sourceUrl: string): Promise<ServerCopyStarted | undefined> {
  const state = await destination.copyState(name);
  if (state.status !== 'pending' || !state.copyId || !state.copySource || withoutQuery(state.copySource) !== withoutQuery(sourceUrl)) return undefined;
  const snapshot = await destination.newestSnapshot(name);
  return { name, copyId: state.copyId, status: 'pending', ...(snapshot ? { previous: { snapshot } } : {}) };
}

const withoutQuery = (url: string) => decodeURIComponent(url.split('?')[0]);

/** Copy Blob answers 412 for a failed source condition and a failed destination one alike: which was it? */
export async function sourceOrDestination(err: unknown, job: Job, blob: SourceBlob): Promise<unknown> {
  if (err instanceof BlobferryError && err.code === 'DESTINATION_CHANGED' && !(await (await openSource(job)).stillPinned(blob).catch(() => true))) {
    return new BlobferryError('SOURCE_CHANGED', `The source ${blob.name} changed after the copy was planned; nothing was written. Copy it again.`);
  }
  return err;
}

export interface ServerCopyStatus {
  status: CopyState['status'] | 'superseded';
  bytesCopied?: number;
  totalBytes?: number;
  description?: string;
}

export const serverCopyStatus = activity('serverCopyStatus', (args: { job: Job; name: string; copyId: string }): Promise<ActivityResult<{ copy: ServerCopyStatus }>> =>
  settle(async () => {
    const state = await (await openDestination(args.job)).copyState(args.name);
    // Someone else wrote the destination (or removed it) after our copy started: theirs wins.
    if (!state.exists || state.copyId !== args.copyId) return { copy: { status: 'superseded' as const } };
    return { copy: { status: state.status, bytesCopied: state.bytesCopied, totalBytes: state.totalBytes, description: state.description } };
  }),
);

/**
 * After "success": check the copy is the source (size, MD5), then drop the snapshot. The copy
 * stands even if the snapshot cannot be removed; the note says which one to remove by hand.
 */
export const finishServerCopy = activity('finishServerCopy', (args: ServerCopyArgs): Promise<ActivityResult<{ note?: string }>> =>
  settle(async () => ({ note: await finishCopy(await openDestination(args.job), args.blob, args.started) })),
);

export async function finishCopy(destination: BlobDestination, blob: SourceBlob, started: ServerCopyStarted): Promise<string | undefined> {
  const written = await destination.properties(started.name);
  const problem = verifyCopy(blob, written.contentLength, written.contentMD5);
  if (problem) {
    await restore(destination, started);
    throw problem;
  }
  if (!started.previous) return undefined;
  try {
    await destination.deleteSnapshot(started.name, started.previous.snapshot);
    return undefined;
  } catch (err) {
    return `Copied, but the snapshot ${started.previous.snapshot} of the previous ${started.name} could not be removed (${(err as Error).message}); remove it by hand.`;
  }
}

function verifyCopy(blob: SourceBlob, size: number | undefined, md5: string | undefined): BlobferryError | undefined {
  if (size !== blob.size) return new BlobferryError('SIZE_MISMATCH', `The server copy of ${blob.name} has ${size} bytes; the source has ${blob.size}. The destination was restored.`);
  const sourceMD5 = blob.properties.contentMD5;
  if (sourceMD5 && md5 && md5 !== sourceMD5) return new BlobferryError('MD5_MISMATCH', `The server copy of ${blob.name} has MD5 ${md5}; the source declares ${sourceMD5}. The destination was restored.`);
  return undefined;
}

/**
 * Undo a server copy. abort: stop it if it may still be pending, then restore (a copy that
 * ended "success" before the abort reached it is kept and finished: `completed`). restore: put
 * the destination back as it was.
 */
export const undoServerCopy = activity('undoServerCopy', (args: ServerCopyArgs & { mode: 'abort' | 'restore' }): Promise<ActivityResult<{ completed: boolean; note?: string }>> =>
  settle(async () => {
    const destination = await openDestination(args.job);
    const { started, mode } = args;
    if (mode === 'abort' && !(await destination.abortCopy(started.name, started.copyId))) {
      const state = await destination.copyState(started.name);
      if (state.copyId === started.copyId && state.status === 'success') return { completed: true, note: await finishCopy(destination, args.blob, started) };
    }
    await restore(destination, started);
    return { completed: false };
  }),
);

/**
 * Puts the destination back as it was before the copy, only while it still holds our copy:
 * a blob someone else has written since stays as they wrote it (and our snapshot of the old
 * version is kept and named). Safe to run again: a snapshot already put back is gone.
 */
async function restore(destination: BlobDestination, started: ServerCopyStarted): Promise<void> {
  const { name, previous } = started;
  const state = await destination.copyState(name);
  // Ours only by a copy id the service gave (a hand-made input without one matches nothing).
  const ours = state.exists && !!started.copyId && state.copyId === started.copyId;
  if (previous) {
    if (!(await destination.snapshotExists(name, previous.snapshot))) return;
    if (!ours) {
      throw new BlobferryError('DESTINATION_CHANGED', `${name} was written by someone else after the copy started; it was left as they wrote it, and its previous version is kept in the snapshot ${previous.snapshot}.`);
    }
    try {
      await destination.promoteSnapshot(name, previous.snapshot, state.etag);
      if (previous.tags) await destination.setTags(name, previous.tags);
    } catch (err) {
      const e = err instanceof BlobferryError ? err : new BlobferryError('STORAGE_ERROR', String((err as Error)?.message ?? err));
      throw new BlobferryError(e.code, `${e.message} The previous ${name} is kept in the snapshot ${previous.snapshot}.`, e.details);
    }
    await destination.deleteSnapshot(name, previous.snapshot);
    return;
  }
  // It did not exist before: remove what the copy left.
  if (ours) await destination.deleteBlob(name, state.etag);
}
