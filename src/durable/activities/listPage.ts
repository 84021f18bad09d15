/** One page of a prefix listing, filtered by --include/--exclude. */
import type { SourceBlob } from '../../contracts/blobFacts';
import { relativeName } from '../../plan/names';
import { nameFilter } from '../../plan/select';
import { AzureBlobs } from '../../storage/azureBlobs';
import { unsealLocation } from '../../storage/seal';
import type { ActivityResult, Job } from '../types';
import { settle } from './settle';

export interface ListPageArgs {
  job: Job;
  sourcePrefix: string;
  continuation?: string;
  pageSize: number;
  listTags: boolean;
}

export function listPage(args: ListPageArgs): Promise<ActivityResult<{ items: SourceBlob[]; next?: string; scanned: number }>> {
  return settle(async () => {
    const source = unsealLocation(args.job.source);
    if (source.kind !== 'azure-blob') throw new Error('listing needs a blob source');
    const page = await new AzureBlobs(source, 'source').listPage(args.sourcePrefix, args.continuation, args.pageSize, args.listTags);
    const keep = nameFilter(args.job.options.include, args.job.options.exclude);
    const items = page.items.filter((item) => !item.name.endsWith('/') || item.size > 0).filter((item) => keep(relativeName(args.sourcePrefix, item.name)));
    return { items, next: page.next, scanned: page.items.length };
  });
}
