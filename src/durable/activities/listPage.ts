/** One page of a prefix listing, filtered by --include/--exclude (directory markers are never objects to copy). */
import type { SourceBlob } from '../../contracts/blobFacts';
import type { CopyOptions } from '../../contracts/copyRequest';
import { DEFAULT_BLOCK_SIZE, requestedBlockSize } from '../../plan/blocks';
import { listedNames, listFilter, modifiedFilter, nameFilter } from '../../plan/select';
import { relayedWholeInBatch } from '../../plan/strategy';
import type { ListedPage, ListOptions, SourceEndpoint } from '../../storage/endpoint';
import { nameListText } from '../../storage/nameList';
import { openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

/** Objects per listing page a copy reads: with one task per large blob, a page never exceeds ~500 tasks. */
export const PAGE_SIZE = 500;

export interface ListPageArgs {
  job: Job;
  sourcePrefix: string;
  continuation?: string;
  pageSize: number;
  listTags: boolean;
}

export type ListedItems = ActivityResult<{ items: SourceBlob[]; next?: string; scanned: number }>;

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
export const listPage = activity('listPage', (args: ListPageArgs): Promise<ListedItems> => settle(async () => listCopyPage(await openSource(args.job), args)));

/** A page as a copy lists it: its filters, its tags if readable, and the facts its strategy needs. */
export function listCopyPage(source: SourceEndpoint, args: ListPageArgs): Promise<ListedPage> {
  const blockSize = requestedBlockSize(args.job.options) ?? DEFAULT_BLOCK_SIZE;
  return source.listPage(args.sourcePrefix, args.continuation, args.pageSize, { keep: keepFilter(args.job.options), tags: args.listTags, describe: (size) => !relayedWholeInBatch(args.job.route, blockSize, { size, blobType: 'Object' }) });
}
