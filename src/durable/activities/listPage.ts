/** One page of a prefix listing, filtered by --include/--exclude (directory markers are never objects to copy); for sync, without what the destination already holds as it is. */
import type { DestinationState, SourceBlob } from '../../contracts/blobFacts';
import type { CopyOptions } from '../../contracts/copyRequest';
import { failureClass, isBlobferryError } from '../../contracts/errors';
import { DEFAULT_BLOCK_SIZE, requestedBlockSize } from '../../plan/blocks';
import { nameInPrefix } from '../../plan/names';
import { keptByListing, listingSettles, sourceSideOf } from '../../plan/overwrite';
import { listedNames, listFilter, modifiedFilter, nameFilter } from '../../plan/select';
import { relayedWholeInBatch } from '../../plan/strategy';
import type { BlobDestination, DestinationCursor, ListedPage, ListOptions, SourceEndpoint } from '../../storage/endpoint';
import { nameListText } from '../../storage/nameList';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job, Kept } from '../types';
import { settle } from './settle';

/** Objects per listing page a copy reads: with one task per large blob, a page never exceeds ~500 tasks. */
export const PAGE_SIZE = 500;

export interface ListPageArgs {
  job: Job;
  sourcePrefix: string;
  destinationPrefix: string;
  /** Sync: where the destination's listing, read in step with the source's, stands. */
  destinationCursor?: DestinationCursor;
  continuation?: string;
  pageSize: number;
  listTags: boolean;
}

export type ListedItems = ActivityResult<{ items: SourceBlob[]; next?: string; scanned: number; kept?: Kept; destinationCursor?: DestinationCursor }>;

/** Which listed objects a copy takes: the filters' choice, without 0-byte "folder/" markers. */
export function keepFilter(options: Pick<CopyOptions, 'include' | 'exclude' | 'includeAfter' | 'includeBefore' | 'listOfFiles'>): ListOptions['keep'] {
  const filter = nameFilter(options.include, options.exclude);
  const inTime = modifiedFilter(options.includeAfter, options.includeBefore);
  const listed = options.listOfFiles ? listFilter(listedNames(nameListText(options.listOfFiles))) : () => true;
  return (name, size, lastModified) => !(name.endsWith('/') && size === 0) && filter(name) && listed(name) && inTime(lastModified);
}

/**
 * Objects a batch relays whole are described by the read that copies them (readObject): the
 * listing need not ask for their headers, metadata and tags first. Only endpoints whose listing
 * lacks those facts (S3) take the hint.
 */
export const listPage = activity('listPage', (args: ListPageArgs): Promise<ListedItems> =>
  settle(async () => {
    const page = await listCopyPage(await openSource(args.job), args);
    return listingSettles(args.job.options.overwrite) ? withoutKept(args, page, await openDestination(args.job)) : page;
  }),
);

/** A page as a copy lists it: its filters, its tags if readable, and the facts its strategy needs. */
export function listCopyPage(source: SourceEndpoint, args: Omit<ListPageArgs, 'destinationPrefix'>): Promise<ListedPage> {
  const blockSize = requestedBlockSize(args.job.options) ?? DEFAULT_BLOCK_SIZE;
  return source.listPage(args.sourcePrefix, args.continuation, args.pageSize, { keep: keepFilter(args.job.options), tags: args.listTags, describe: (size) => !relayedWholeInBatch(args.job.route, blockSize, { size, blobType: 'Object' }) });
}

/**
 * Sync (and if-source-newer) as rclone does it: the destination is listed in step with the source
 * (from `destinationCursor`), and the page's objects it shows are to be kept as they are leave the
 * page, counted in `kept`, so the copy neither looks at each destination (a round trip each) nor
 * carries them. Whatever the listing does not settle (not found, not reached) stays for the
 * copy's own look; a destination that cannot be listed (a SAS without l) is not listed again.
 */
export async function withoutKept<Page extends { items: SourceBlob[] }>(args: Pick<ListPageArgs, 'job' | 'sourcePrefix' | 'destinationPrefix' | 'destinationCursor'>, page: Page, destination: BlobDestination): Promise<Page & { kept?: Kept; destinationCursor?: DestinationCursor }> {
  const { job } = args;
  if (!destination.existingStates || page.items.length === 0) return page;
  const named = page.items.flatMap((blob) => {
    const to = nameInPrefix(args.destinationPrefix, args.sourcePrefix, blob.name, job.options.invalidNames);
    return 'code' in to ? [] : [{ blob, name: to.name }];
  });
  const { states, cursor } = await destination.existingStates(args.destinationPrefix, named.map((n) => n.name), args.destinationCursor).catch((err: unknown) => ({
    states: new Map<string, DestinationState>(),
    // Refused (no list permission, no container yet): not asked again. Anything else: asked again with the next page.
    cursor: isBlobferryError(err) && failureClass(err.code) === 'final' ? ({ done: true } as const) : (args.destinationCursor ?? {}),
  }));
  const kept = new Set(named.filter(({ blob, name }) => {
    const state = states.get(name);
    return state !== undefined && keptByListing(job.options.overwrite, job.options.compare, sourceSideOf(blob), state);
  }).map((n) => n.blob));
  const bytes = [...kept].reduce((sum, b) => sum + b.size, 0);
  return { ...page, items: page.items.filter((blob) => !kept.has(blob)), destinationCursor: cursor, ...(kept.size > 0 ? { kept: { count: kept.size, bytes } } : {}) };
}
