/**
 * A dry run: what a copy would do, read from the same facts and rules the copy itself uses
 * (inspection, listing filters, names, the overwrite policy), and nothing written. Runs where it
 * is asked (the CLI), not as an orchestration: it only reads.
 */
import type { DestinationState, SourceBlob } from '../contracts/blobFacts';
import { isBlobferryError, messageOf } from '../contracts/errors';
import { nameInPrefix } from '../plan/names';
import { decideOverwrite, sourceSideOf } from '../plan/overwrite';
import type { BlobDestination } from '../storage/endpoint';
import { displayObjectUrl, openDestination, openSource } from '../storage/registry';
import { inspect, type Inspection } from './activities/inspectTransfer';
import { keepFilter } from './activities/listPage';
import { findExtras } from './activities/pruneDestination';
import type { RunInput } from './types';

export interface DryRunItem {
  /** delete: sync --delete-destination would remove it (not in the source). */
  action: 'copy' | 'skip' | 'fail' | 'delete';
  source: string;
  destination: string;
  bytes: number;
  /** Why a blob is skipped or would fail (a copy under another name says so too). */
  code?: string;
  reason?: string;
}

export interface DryRunPlan {
  inspection: Inspection;
  /** The items, in listing order, a page at a time. */
  items: AsyncGenerator<DryRunItem>;
}

/** Destinations looked at at once. */
const LOOKUPS_IN_FLIGHT = 16;
const PAGE = 1000;

export async function dryRun(input: RunInput): Promise<DryRunPlan> {
  const inspection = await inspect(input, { dryRun: true });
  return { inspection, items: itemsOf(input, inspection) };
}

async function* itemsOf(input: RunInput, inspection: Inspection): AsyncGenerator<DryRunItem> {
  const destination = await openDestination(input);
  const lookUp = (name: string): Promise<DestinationState> => (inspection.containerMissing ? Promise.resolve({ exists: false }) : destination.destinationState(name));
  if (inspection.kind === 'blob') {
    yield await decide(input, inspection.blob, inspection.destinationName, lookUp);
    return;
  }
  const source = await openSource(input);
  const keep = keepFilter(input.options);
  let continuation: string | undefined;
  do {
    const page = await source.listPage(inspection.sourcePrefix, continuation, PAGE, { keep, tags: false, namesOnly: true });
    continuation = page.next;
    const named = page.items.map((blob) => ({ blob, to: nameInPrefix(inspection.destinationPrefix, inspection.sourcePrefix, blob.name, input.options.invalidNames) }));
    for (let i = 0; i < named.length; i += LOOKUPS_IN_FLIGHT) {
      const slice = named.slice(i, i + LOOKUPS_IN_FLIGHT);
      yield* await Promise.all(
        slice.map(({ blob, to }) =>
          'code' in to ? { action: 'fail' as const, source: displayObjectUrl(input.source, blob.name), destination: displayObjectUrl(input.destination, to.name), bytes: blob.size, code: to.code, reason: to.message } : decide(input, blob, to.name, lookUp),
        ),
      );
    }
  } while (continuation);
  if (input.options.deleteDestination && !inspection.containerMissing) yield* extrasOf(input, inspection);
}

/** What sync --delete-destination would remove: destination objects the source no longer has. */
async function* extrasOf(input: RunInput, inspection: Extract<Inspection, { kind: 'prefix' }>): AsyncGenerator<DryRunItem> {
  let continuation: string | undefined;
  do {
    const { extras, next } = await findExtras({ job: inspection.job, sourcePrefix: inspection.sourcePrefix, destinationPrefix: inspection.destinationPrefix, continuation });
    for (const extra of extras) yield { action: 'delete', source: '', destination: displayObjectUrl(input.destination, extra.name), bytes: extra.size, reason: 'not in the source (--delete-destination)' };
    continuation = next;
  } while (continuation);
}

async function decide(input: RunInput, blob: SourceBlob, name: string, lookUp: BlobDestination['destinationState']): Promise<DryRunItem> {
  const at = { source: displayObjectUrl(input.source, blob.name), destination: displayObjectUrl(input.destination, name), bytes: blob.size };
  let state: DestinationState;
  try {
    state = await lookUp(name);
  } catch (err) {
    return { action: 'fail', ...at, code: isBlobferryError(err) ? err.code : 'INTERNAL', reason: messageOf(err) };
  }
  if (blob.accessTier === 'Archive') return { action: 'fail', ...at, code: 'SOURCE_ARCHIVED', reason: 'the source is in an archive tier; rehydrate it before copying' };
  // A renamed copy's suffix is made when it is written: shown as <suffix>.
  const decision = decideOverwrite(input.options.overwrite, name, state, sourceSideOf(blob), '<suffix>', undefined, input.options.compare);
  if (decision.action === 'skip') return { action: 'skip', ...at, code: decision.code, reason: decision.reason };
  if (decision.name !== name) return { action: 'copy', ...at, destination: displayObjectUrl(input.destination, decision.name), reason: 'the name is taken: copied under a new name (--overwrite rename)' };
  return { action: 'copy', ...at, ...(state.exists ? { reason: `overwrites the destination (--overwrite ${input.options.overwrite})` } : {}) };
}
