/**
 * The overwrite policy (pure): whether to copy a blob, under which name, and with which
 * conditions at commit. The conditions are what enforce the policy: a destination written
 * between planning and commit fails the commit instead of being overwritten.
 *
 *   never            copy only if the destination does not exist        (If-None-Match: *)
 *   always           copy                                               (no condition)
 *   if-source-newer  copy if missing, or older than the source and unchanged since we looked (If-Match)
 *   rename           copy; if the name is taken, under "name_<suffix>.ext" (If-None-Match: *)
 */
import type { CommitConditions, DestinationState } from '../contracts/blobFacts';
import type { OverwritePolicy } from '../contracts/copyRequest';
import { renamedName } from './names';

export type OverwriteDecision =
  | { action: 'skip'; code: 'DESTINATION_EXISTS'; reason: string }
  | { action: 'copy'; name: string; conditions: CommitConditions };

export function decideOverwrite(policy: OverwritePolicy, name: string, destination: DestinationState, sourceLastModified: string, renameSuffix: string): OverwriteDecision {
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
  }
}

/**
 * A commit refused because someone else wrote the destination meanwhile is a skip under
 * "never" and "if-source-newer" (their write wins, as the policy says), a failure otherwise.
 */
export function keptByPolicy(policy: OverwritePolicy, code: string | undefined): boolean {
  return (code === 'DESTINATION_EXISTS' || code === 'DESTINATION_CHANGED') && (policy === 'never' || policy === 'if-source-newer');
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
      return conditions.ifNoneMatch === '*' || conditions.ifMatch !== undefined;
  }
}
