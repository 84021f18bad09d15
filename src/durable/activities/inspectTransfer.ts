/**
 * The first step of a transfer: check it can work before anything is written. Reads the source
 * (one object's facts, or that a prefix can be listed and holds something to copy), probes the
 * destination container and credentials, checks what the credentials allow, refuses copying a
 * thing onto itself, and picks the strategy. It asks the endpoints for facts, never for kinds.
 */
import { BlobferryError } from '../../contracts/errors';
import type { SourceBlob } from '../../contracts/blobFacts';
import { planBlocks, requestedBlockSize } from '../../plan/blocks';
import { asPrefix, destinationNameFor, singleDestinationName } from '../../plan/names';
import { listingSettles, looksAtDestination } from '../../plan/overwrite';
import { checkRequestFits, checkStrategyFits, chooseStrategy, describeRoute, routeFor, type StrategyDecision } from '../../plan/strategy';
import type { BlobDestination, DestinationCursor, SourceEndpoint } from '../../storage/endpoint';
import { openDestination, openSource } from '../../storage/registry';
import { activity } from '../calls';
import type { ActivityResult, Job, Kept, RunInput } from '../types';
import { keepFilter, listCopyPage, withoutKept } from './listPage';
import { settle } from './settle';

export type Inspection = (
  | { kind: 'blob'; job: Job; blob: SourceBlob; destinationName: string; notes: string[] }
  | { kind: 'prefix'; job: Job; sourcePrefix: string; destinationPrefix: string; listTags: boolean; notes: string[]; firstPage?: FirstPage }
) & {
  /** A dry run with --create-container: the container is missing, and would be created. */
  containerMissing?: boolean;
};

/**
 * The first listing page of a prefix, as the copy lists it, when it holds something to copy: read
 * while inspecting (which must list anyway), the copy starts on it without a listing of its own.
 */
export interface FirstPage {
  items: SourceBlob[];
  next?: string;
  /** Objects the destination's listing showed are to be kept as they are (sync): not in `items`; and where that listing stands. */
  kept?: Kept;
  destinationCursor?: DestinationCursor;
}

/**
 * Objects in the first page: fewer than a full page (500), so the copy starts sooner (a listing's
 * time grows with its length, and a short copy's is mostly waiting for it); enough for a couple of
 * batches while the next, full page is listed.
 */
const FIRST_PAGE_SIZE = 64;

/** Listing pages inspection reads, at most, looking for one object the filters keep. */
const PAGES_TO_FIND_ONE = 20;

export const inspectTransfer = activity('inspectTransfer', (input: RunInput): Promise<ActivityResult<{ inspection: Inspection }>> => settle(async () => ({ inspection: await inspect(input) })));

/** `dryRun`: nothing is written (a missing container --create-container would make is only noted). */
export async function inspect(input: RunInput, { dryRun = false } = {}): Promise<Inspection> {
  const source = await openSource(input);
  const destination = await openDestination(input);
  const { options } = input;
  const facts = source.facts;
  const namesPrefix = facts.path === '' || facts.path.endsWith('/');
  const prefixCopy = facts.listable && (options.recursive || namesPrefix);
  if (!facts.listable && options.recursive) {
    throw new BlobferryError('CONFLICTING_OPTIONS', `--recursive copies a container, bucket or prefix; ${facts.noun} is a single object.`);
  }
  if (options.leaseSource && !source.lease) throw new BlobferryError('CONFLICTING_OPTIONS', `--lease-source leases the source blob; ${facts.noun} cannot be leased.`);
  if (options.deleteSource && !source.delete) throw new BlobferryError('CONFLICTING_OPTIONS', `--delete-source deletes each source object after its copy; ${facts.noun} cannot be deleted.`);
  if (prefixCopy && !options.recursive && !facts.shallowWithoutRecursive) {
    throw new BlobferryError('CONFLICTING_OPTIONS', `The source ${facts.path ? `"${facts.path}"` : 'names a whole container or bucket; it'} is a prefix; add --recursive to copy everything under it.`);
  }

  const readsDestination = looksAtDestination(options.overwrite);
  destination.checkAccess({ read: readsDestination ? `--overwrite ${options.overwrite}` : undefined });
  source.checkAccess({ list: prefixCopy, lease: options.leaseSource, delete: options.deleteSource });

  const route = routeFor({ source: facts, destination: destination.facts, requested: options.strategy, blobType: options.blobType });
  checkRequestFits(route);
  const jobFor = (decision: StrategyDecision): Job => ({ ...input, route, strategy: decision.strategy, strategyReason: decision.reason });
  const sameContainer = facts.container !== undefined && facts.container === destination.facts.container;

  if (prefixCopy) {
    const sourcePrefix = asPrefix(facts.path);
    const destinationPrefix = asPrefix(destination.facts.path);
    if (sameContainer && destinationPrefix.startsWith(sourcePrefix)) {
      throw new BlobferryError('SAME_SOURCE_DESTINATION', `The destination "${destinationPrefix || '/'}" is inside the source prefix "${sourcePrefix || '/'}" in the same container: the copy would copy its own copies.`);
    }
    const job = jobFor(describeRoute(route));
    // Server copies (the table's choice inside one account) snapshot what they overwrite: they read.
    // The destination is probed while the source is probed and its first page listed (a copy's
    // fixed cost is round trips); the destination's error is told first.
    const [destinationProbe, sourceSide] = await Promise.allSettled([
      probeDestination(destination, `${destinationPrefix}.blobferry-probe`, readsDestination || job.strategy === 'server-copy', input.options.createContainer, dryRun),
      source.probe(sourcePrefix, true).then(async ({ tagsReadable }) => ({ tagsReadable, found: await findFirstPage(source, job, sourcePrefix, tagsReadable) })),
    ]);
    const containerMissing = settledValue(destinationProbe);
    const { tagsReadable, found } = settledValue(sourceSide);
    // Sync: what the destination already holds as it is leaves the first page too (a copy runs; a dry run looks at each).
    if (found.firstPage && listingSettles(job.options.overwrite) && !containerMissing && !dryRun) found.firstPage = await withoutKept({ job, sourcePrefix, destinationPrefix }, found.firstPage, destination);
    const notes = [...(tagsReadable ? [] : [tagsNote(facts.noun)]), ...found.notes];
    return { kind: 'prefix', job, sourcePrefix, destinationPrefix, listTags: tagsReadable, notes, ...(found.firstPage ? { firstPage: found.firstPage } : {}), ...(containerMissing ? { containerMissing } : {}) };
  }

  const { tagsReadable } = await source.probe(facts.path, false);
  const blob = await source.stat(facts.path, { tags: tagsReadable });
  if (blob.accessTier === 'Archive') {
    throw new BlobferryError('SOURCE_ARCHIVED', `The source ${blob.name} is in an archive tier; rehydrate (restore) it before copying.`);
  }
  const named = destinationNameFor(singleDestinationName(destination.facts.path, blob.name), options.invalidNames, blob.name);
  if ('code' in named) throw new BlobferryError(named.code, named.message);
  const destinationName = named.name;
  if (sameContainer && destinationName === blob.name) {
    throw new BlobferryError('SAME_SOURCE_DESTINATION', `The source and the destination are the same blob (${destinationName}).`);
  }
  const decision = chooseStrategy(route, blob);
  checkStrategyFits(decision.strategy, blob);
  if (decision.strategy === 'block-copy' || decision.strategy === 'relay') planBlocks(blob.size, requestedBlockSize(options));
  // A server copy snapshots what it overwrites, so it must read the destination.
  const containerMissing = await probeDestination(destination, destinationName, readsDestination || decision.strategy === 'server-copy', input.options.createContainer, dryRun);
  return { kind: 'blob', job: jobFor(decision), blob, destinationName, notes: tagsReadable ? [] : [tagsNote(facts.noun)], ...(containerMissing ? { containerMissing } : {}) };
}

function tagsNote(noun: string): string {
  return `Tags are not copied: the credentials for ${noun} cannot read them (an Azure SAS needs the t permission; S3 needs s3:GetObjectTagging).`;
}

function settledValue<T>(settled: PromiseSettledResult<T>): T {
  if (settled.status === 'rejected') throw settled.reason;
  return settled.value;
}

/**
 * The first page the copy would list. When it is empty, filters that keep nothing are a mistake
 * to say before anything runs (NOTHING_TO_COPY) and an empty prefix is a note; a few more
 * listing pages are read, names only, to tell which. Past them, the copy finds out.
 */
async function findFirstPage(source: SourceEndpoint, job: Job, prefix: string, listTags: boolean): Promise<{ firstPage?: FirstPage; notes: string[] }> {
  const first = await listCopyPage(source, { job, sourcePrefix: prefix, pageSize: FIRST_PAGE_SIZE, listTags });
  if (first.items.length > 0) return { firstPage: { items: first.items, ...(first.next ? { next: first.next } : {}) }, notes: [] };
  const keep = keepFilter(job.options);
  const { include, exclude, includeAfter, includeBefore, listOfFiles } = job.options;
  const filtered = include.length > 0 || exclude.length > 0 || includeAfter !== undefined || includeBefore !== undefined || listOfFiles !== undefined;
  let scanned = first.scanned;
  let continuation = first.next;
  for (let page = 1; page < PAGES_TO_FIND_ONE && continuation; page++) {
    const listed = await source.listPage(prefix, continuation, 1000, { keep, tags: false, namesOnly: true });
    if (listed.items.length > 0) return { notes: [] };
    scanned += listed.scanned;
    continuation = listed.next;
  }
  if (continuation) return { notes: [] };
  if (scanned > 0 && filtered) {
    const time = [includeAfter ? `--include-after ${includeAfter}` : '', includeBefore ? `--include-before ${includeBefore}` : '', listOfFiles ? `--list-of-files ${listOfFiles.path}` : ''].filter(Boolean).join(' / ');
    throw new BlobferryError('NOTHING_TO_COPY', `None of the ${scanned} object(s) under "${prefix || '/'}" matches --include ${JSON.stringify(include)} / --exclude ${JSON.stringify(exclude)}${time ? ` / ${time}` : ''}; nothing was copied.`);
  }
  return { notes: [`Nothing was found under "${prefix || '/'}" to copy.`] };
}

/**
 * Reaches the destination container with the destination's credentials. A write-only SAS cannot
 * read a blob's properties; that is fine unless the overwrite policy needs to read. True when
 * the container is missing and a dry run notes that --create-container would make it.
 */
async function probeDestination(destination: BlobDestination, name: string, mustRead: boolean, createContainer: boolean, dryRun: boolean): Promise<boolean> {
  try {
    await destination.destinationState(name);
    return false;
  } catch (err) {
    if (err instanceof BlobferryError && err.code === 'PERMISSION_DENIED' && !mustRead) return false;
    // --create-container: made once here, before anything is copied, then looked at again.
    if (err instanceof BlobferryError && err.code === 'CONTAINER_NOT_FOUND' && createContainer) {
      if (dryRun) return true;
      await destination.createContainer();
      return probeDestination(destination, name, mustRead, false, false);
    }
    throw err;
  }
}
