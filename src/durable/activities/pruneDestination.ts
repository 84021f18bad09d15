/**
 * Sync --delete-destination: what is under the destination prefix and no longer in the source
 * is removed, a page of the destination's listing at a time. A destination object is removed
 * only when the source is asked for it by name and answers that it is not there
 * (SOURCE_NOT_FOUND): a listing cut short or a source that fails to answer never removes
 * anything. Names the filters do not take (--include / --exclude ...) are left alone, as
 * rclone and AzCopy do. Each removal is conditional on the version listed.
 */
import type { SourceBlob } from '../../contracts/blobFacts';
import { isBlobferryError, messageOf } from '../../contracts/errors';
import { displayObjectUrl, openDestination, openDestinationListing, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { keepFilter } from './listPage';
import { settle } from './settle';

export interface PruneArgs {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  continuation?: string;
}

export interface Extras {
  /** Destination objects the source no longer has. */
  extras: SourceBlob[];
  next?: string;
}

/** Lookups of the source at once. */
const IN_FLIGHT = 16;
const PAGE = 500;

/** One page of the destination, and which of its objects the source no longer has (nothing is removed). */
export async function findExtras(args: PruneArgs): Promise<Extras> {
  const { job, sourcePrefix, destinationPrefix } = args;
  const listing = await openDestinationListing(job);
  const source = await openSource(job);
  const page = await listing.listPage(destinationPrefix, args.continuation, PAGE, { keep: keepFilter(job.options), tags: false, namesOnly: true });
  const extras: SourceBlob[] = [];
  for (let i = 0; i < page.items.length; i += IN_FLIGHT) {
    const looked = await Promise.all(
      page.items.slice(i, i + IN_FLIGHT).map(async (item) => {
        try {
          await source.stat(`${sourcePrefix}${item.name.slice(destinationPrefix.length)}`, { tags: false });
          return undefined;
        } catch (err) {
          if (isBlobferryError(err) && err.code === 'SOURCE_NOT_FOUND') return item;
          throw err;
        }
      }),
    );
    extras.push(...looked.flatMap((item) => (item ? [item] : [])));
  }
  return { extras, next: page.next };
}

export interface Pruned {
  removed: number;
  failures: Array<{ source: string; destination: string; code: string; message: string }>;
  next?: string;
}

export const pruneDestination = activity('pruneDestination', (args: PruneArgs): Promise<ActivityResult<Pruned>> =>
  settle(async () => {
    const { extras, next } = await findExtras(args);
    const destination = await openDestination(args.job);
    let removed = 0;
    const failures: Pruned['failures'] = [];
    for (const extra of extras) {
      try {
        await destination.deleteBlob(extra.name, extra.etag);
        removed++;
      } catch (err) {
        const where = displayObjectUrl(args.job.destination, extra.name);
        failures.push({ source: '(not in the source)', destination: where, code: isBlobferryError(err) ? err.code : 'INTERNAL', message: `Not removed: ${messageOf(err)}` });
      }
    }
    return { removed, failures, ...(next ? { next } : {}) };
  }),
);
