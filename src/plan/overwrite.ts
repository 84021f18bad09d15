/**
 * The overwrite policy (pure): whether to copy a blob, under which name, and with which
 * conditions at commit. The conditions are what enforce the policy: a destination written
 * between planning and commit fails the commit instead of being overwritten.
 *
 *   never            copy only if the destination does not exist        (If-None-Match: *)
 *   always           copy                                               (no condition)
 *   if-source-newer  copy if missing, or older than the source and unchanged since we looked (If-Match)
 *   rename           copy; if the name is taken, under "name_<suffix>.ext" (If-None-Match: *)
 *   if-different     copy if missing, or different (`differs`) and unchanged since we looked (If-Match): sync
 */
import { createHash } from 'node:crypto';
import type { CommitConditions, DestinationState, SourceBlob } from '../contracts/blobFacts';
import type { CompareMode, OverwritePolicy } from '../contracts/copyRequest';
import { preciseMs } from '../contracts/time';
import { versionTag } from './blocks';
import { renamedName, suffixFromGuid } from './names';

/**
 * Exactly once after any crash: every write of a copy carries a marker (metadata
 * `blobferrycopy`) naming the copy's run and the source version it was written from. An activity
 * that runs again (Durable runs activities at least once) finds its own earlier write by it and
 * adopts it: counted as copied, never skipped, overwritten or renamed a second time. A later run
 * of the same copy has another run id, so it treats what an earlier run wrote as any existing
 * blob, under the policy.
 */
export function copyMarker(run: string, blob: SourceBlob): string {
  return `${run}.${versionTag(blob)}`;
}

/** Is this destination blob the write this run made of this source version (and whole)? */
export function ownWrite(state: DestinationState, marker: string, size: number): boolean {
  return state.exists && !state.copyPending && state.marker === marker && (state.size === undefined || state.size === size);
}

/**
 * The suffix of a renamed copy: the same in every run of an activity for one blob and attempt,
 * so a re-run looks for its earlier renamed write under the name it gave it.
 */
export function renameSuffix(marker: string, name: string, attempt: number): string {
  return suffixFromGuid(createHash('sha256').update(`${marker}\n${name}\n${attempt}`).digest('hex'));
}

export type OverwriteDecision =
  | { action: 'skip'; code: 'DESTINATION_EXISTS'; reason: string }
  | { action: 'copy'; name: string; conditions: CommitConditions }
  /** The destination already is this run's copy of this source version (an activity that ran again). */
  | { action: 'adopt'; name: string };

/** What the policy knows of the source: when it changed, its size, its modification time as a file had it, its MD5. */
export interface SourceSide {
  lastModified: string;
  size: number;
  mtime?: string;
  md5?: string;
}

/** A source blob as the policy sees it. A listing entry not yet described says nothing of its metadata. */
export function sourceSideOf(blob: SourceBlob): SourceSide {
  return {
    lastModified: blob.lastModified ?? new Date(0).toISOString(),
    size: blob.size,
    ...(!blob.partial && blob.metadata?.mtime ? { mtime: blob.metadata.mtime } : {}),
    ...(blob.properties.contentMD5 ? { md5: blob.properties.contentMD5 } : {}),
  };
}

export function decideOverwrite(policy: OverwritePolicy, name: string, destination: DestinationState, source: SourceSide, renameSuffix: string, own?: { marker: string; size: number }, compare: CompareMode = 'size-mtime'): OverwriteDecision {
  if (own && ownWrite(destination, own.marker, own.size)) return { action: 'adopt', name };
  const sourceLastModified = source.lastModified;
  switch (policy) {
    case 'always':
      return { action: 'copy', name, conditions: {} };
    case 'never':
      return destination.exists
        ? { action: 'skip', code: 'DESTINATION_EXISTS', reason: 'the destination exists and --overwrite is never' }
        : { action: 'copy', name, conditions: { ifNoneMatch: '*' } };
    case 'if-source-newer':
      if (!destination.exists) return { action: 'copy', name, conditions: { ifNoneMatch: '*' } };
      return Date.parse(sourceLastModified) > Date.parse(destination.lastModified)
        ? { action: 'copy', name, conditions: { ifMatch: destination.etag } }
        : { action: 'skip', code: 'DESTINATION_EXISTS', reason: 'the destination is as new as the source' };
    case 'rename':
      return destination.exists
        ? { action: 'copy', name: renamedName(name, renameSuffix), conditions: { ifNoneMatch: '*' } }
        : { action: 'copy', name, conditions: { ifNoneMatch: '*' } };
    case 'if-different': {
      if (!destination.exists) return { action: 'copy', name, conditions: { ifNoneMatch: '*' } };
      const why = differs(source, destination, compare);
      return why ? { action: 'copy', name, conditions: { ifMatch: destination.etag } } : { action: 'skip', code: 'DESTINATION_EXISTS', reason: 'the destination is the same as the source (sync)' };
    }
  }
}

/**
 * The policies under which a batch of small blobs looks at the destination before writing (what
 * is there decides: skip, a free name, a conditional write); under the others its write's
 * condition decides alone ("never": If-None-Match). A large blob's copy looks under every policy
 * but "always": it stages blocks first, and finds out before it does.
 */
export function looksAtDestination(policy: OverwritePolicy): boolean {
  return policy === 'if-source-newer' || policy === 'rename' || policy === 'if-different';
}

/** The policies that skip after looking at the destination, so a listing of it can settle a skip. */
export function listingSettles(policy: OverwritePolicy): boolean {
  return policy === 'if-different' || policy === 'if-source-newer';
}

/**
 * Whether a listing of the destination settles that a blob is to be kept as it is, so the copy
 * need not look at it again: the skip a look would decide, for the policies that skip after
 * looking (sync's "the same", if-source-newer's "as new"). By MD5 only where the source's is
 * known; a copy would otherwise read and hash the source to compare.
 */
export function keptByListing(policy: OverwritePolicy, compare: CompareMode, source: SourceSide, destination: DestinationState): boolean {
  if (!listingSettles(policy)) return false;
  if (policy === 'if-different' && compare === 'md5' && !source.md5) return false;
  return decideOverwrite(policy, '', destination, source, '', undefined, compare).action === 'skip';
}

/** Modification times this close are the same (file systems and metadata keep them to the microsecond or better). */
const MODIFY_WINDOW_MS = 1;

/**
 * Whether a source and its destination differ, and why (sync): by MD5 when asked and both are
 * known; else by size, then by modification time, compared exactly when both sides say it
 * (a file's own, or the `mtime` metadata an upload leaves), else the source counts as changed
 * when it is newer than the destination's last write.
 */
export function differs(source: SourceSide, destination: Extract<DestinationState, { exists: true }>, compare: CompareMode = 'size-mtime'): string | undefined {
  if (compare === 'md5' && source.md5 && destination.md5) return source.md5 === destination.md5 ? undefined : 'the MD5s differ';
  if (destination.size !== undefined && destination.size !== source.size) return 'the sizes differ';
  // An mtime that is not an RFC 3339 time (another tool's epoch seconds) counts as absent.
  const sourceMtime = preciseMs(source.mtime);
  const destinationMtime = preciseMs(destination.mtime);
  if (sourceMtime !== undefined && destinationMtime !== undefined) return Math.abs(sourceMtime - destinationMtime) > MODIFY_WINDOW_MS ? 'the modification times differ' : undefined;
  const sourceTime = sourceMtime ?? preciseMs(source.lastModified);
  const destinationTime = preciseMs(destination.lastModified);
  // Nothing comparable: a copy too many rather than a change missed.
  if (sourceTime === undefined || destinationTime === undefined) return 'the times cannot be compared';
  return sourceTime > destinationTime ? 'the source is newer' : undefined;
}


/**
 * A commit refused because someone else wrote the destination meanwhile is a skip under
 * "never" and "if-source-newer" (their write wins, as the policy says), a failure otherwise.
 */
export function keptByPolicy(policy: OverwritePolicy, code: string | undefined): boolean {
  return (code === 'DESTINATION_EXISTS' || code === 'DESTINATION_CHANGED') && (policy === 'never' || policy === 'if-source-newer' || policy === 'if-different');
}

/**
 * Whether write conditions an activity was handed are at least as strict as the policy asks
 * (activities take them from the orchestration's input, which a caller of the Durable webhooks
 * can write by hand): "never" and "rename" write only what does not exist, "if-source-newer"
 * only what does not exist or was looked at.
 */
export function conditionsFit(policy: OverwritePolicy, conditions: CommitConditions): boolean {
  switch (policy) {
    case 'always':
      return true;
    case 'never':
    case 'rename':
      return conditions.ifNoneMatch === '*';
    case 'if-source-newer':
    case 'if-different':
      return conditions.ifNoneMatch === '*' || conditions.ifMatch !== undefined;
  }
}
