/**
 * The first step of a transfer: check it can work before anything is written. Reads the source
 * (one blob's properties, or that a prefix can be listed), probes the destination container and
 * credentials, checks SAS expiry and permissions, refuses copying a thing onto itself, and picks
 * the strategy.
 */
import { BlobferryError } from '../../contracts/errors';
import type { SourceBlob } from '../../contracts/blobFacts';
import type { BlobLocation, Location } from '../../contracts/locations';
import { planBlocks, requestedBlockSize } from '../../plan/blocks';
import { asPrefix, singleDestinationName } from '../../plan/names';
import { checkStrategyFits, chooseStrategy, describeRoute, routeFor, type StrategyDecision } from '../../plan/strategy';
import { AzureBlobs } from '../../storage/azureBlobs';
import { isPrivateHost } from '../../storage/endpoints';
import { HttpSource } from '../../storage/httpSource';
import { unsealLocation } from '../../storage/seal';
import { checkSas } from '../../storage/storageErrors';
import type { ActivityResult, Job, TransferInput } from '../types';
import { settle } from './settle';

export type Inspection =
  | { kind: 'blob'; job: Job; blob: SourceBlob; destinationName: string }
  | { kind: 'prefix'; job: Job; sourcePrefix: string; destinationPrefix: string; listTags: boolean; notes: string[] };

export function inspectTransfer(input: TransferInput): Promise<ActivityResult<{ inspection: Inspection }>> {
  return settle(async () => ({ inspection: await inspect(input) }));
}

async function inspect(input: TransferInput): Promise<Inspection> {
  const source = unsealLocation(input.source);
  const destination = unsealLocation(input.destination);
  const { options } = input;
  const prefixCopy = source.kind === 'azure-blob' && (options.recursive || source.path === '' || source.path.endsWith('/'));
  if (source.kind === 'http' && options.recursive) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--recursive copies a container or prefix; an HTTP source is a single object.');
  }
  if (source.kind === 'http' && options.leaseSource) {
    throw new BlobferryError('CONFLICTING_OPTIONS', '--lease-source leases a source blob; an HTTP source cannot be leased.');
  }
  if (source.kind === 'azure-blob' && prefixCopy && !options.recursive) {
    throw new BlobferryError('CONFLICTING_OPTIONS', `The source ${source.path ? `"${source.path}"` : `container "${source.container}"`} is a prefix; add --recursive to copy everything under it.`);
  }

  const readsDestination = options.overwrite === 'if-source-newer' || options.overwrite === 'rename';
  checkSas(destination.secret, 'destination', [
    { permission: 'w', why: 'writing blobs' },
    ...(readsDestination ? [{ permission: 'r', why: `--overwrite ${options.overwrite}` }] : []),
  ]);
  if (source.kind === 'azure-blob') {
    checkSas(source.secret, 'source', [
      { permission: 'r', why: 'reading the source' },
      ...(prefixCopy ? [{ permission: 'l', why: 'listing a prefix' }] : []),
      ...(options.leaseSource ? [{ permission: 'w', why: '--lease-source (leasing a blob needs write)' }] : []),
    ]);
  }

  const route = routeFor({
    sourceKind: source.kind,
    sourceOrigin: originOf(source),
    destinationOrigin: originOf(destination),
    sourceAccount: source.kind === 'azure-blob' ? source.account : undefined,
    destinationAccount: destination.account,
    destinationIsEmulator: destination.emulator,
    sourceIsPrivate: source.kind === 'http' ? new URL(source.url).protocol === 'http:' || isPrivateHost(new URL(source.url).hostname) : source.emulator || source.serviceUrl.startsWith('http:'),
    requested: options.strategy,
    blobType: options.blobType,
  });
  const jobFor = (decision: StrategyDecision): Job => ({ ...input, route, strategy: decision.strategy, strategyReason: decision.reason });
  const destinationBlobs = new AzureBlobs(destination, 'destination');

  if (prefixCopy && source.kind === 'azure-blob') {
    const sourcePrefix = asPrefix(source.path);
    const destinationPrefix = asPrefix(destination.path);
    if (sameContainer(source, destination) && destinationPrefix.startsWith(sourcePrefix)) {
      throw new BlobferryError('SAME_SOURCE_DESTINATION', `The destination "${destinationPrefix || '/'}" is inside the source prefix "${sourcePrefix || '/'}" in the same container: the copy would copy its own copies.`);
    }
    // Server copies (the table's choice inside one account) snapshot what they overwrite: they read.
    await probeDestination(destinationBlobs, `${destinationPrefix}.blobferry-probe`, readsDestination || describeRoute(route).strategy === 'server-copy');
    const sourceBlobs = new AzureBlobs(source, 'source');
    await sourceBlobs.probeList(sourcePrefix);
    const notes: string[] = [];
    let listTags = true;
    try {
      await sourceBlobs.listPage(sourcePrefix, undefined, 1, true);
    } catch {
      listTags = false;
      notes.push('Blob index tags are not copied: the source credentials cannot read them (a SAS needs the t permission).');
    }
    return { kind: 'prefix', job: jobFor(describeRoute(route)), sourcePrefix, destinationPrefix, listTags, notes };
  }

  const blob = source.kind === 'http' ? await new HttpSource(source).probe() : await new AzureBlobs(source, 'source').sourceBlob(source.path);
  if (blob.accessTier === 'Archive') {
    throw new BlobferryError('SOURCE_ARCHIVED', `The source ${blob.name} is in the Archive tier; rehydrate it to Hot or Cool before copying.`);
  }
  const destinationName = singleDestinationName(destination.path, blob.name);
  if (source.kind === 'azure-blob' && sameContainer(source, destination) && destinationName === blob.name) {
    throw new BlobferryError('SAME_SOURCE_DESTINATION', `The source and the destination are the same blob (${destinationName}).`);
  }
  const decision = chooseStrategy(route, blob);
  checkStrategyFits(decision.strategy, blob);
  if (decision.strategy === 'block-copy' || decision.strategy === 'relay') planBlocks(blob.size, requestedBlockSize(options));
  // A server copy snapshots what it overwrites, so it must read the destination.
  await probeDestination(destinationBlobs, destinationName, readsDestination || decision.strategy === 'server-copy');
  return { kind: 'blob', job: jobFor(decision), blob, destinationName };
}

/**
 * Reaches the destination container with the destination's credentials. A write-only SAS cannot
 * read a blob's properties; that is fine unless the overwrite policy needs to read.
 */
async function probeDestination(blobs: AzureBlobs, name: string, mustRead: boolean): Promise<void> {
  try {
    await blobs.destinationState(name);
  } catch (err) {
    if (err instanceof BlobferryError && err.code === 'PERMISSION_DENIED' && !mustRead) return;
    throw err;
  }
}

function originOf(location: Location): string {
  return new URL(location.kind === 'http' ? location.url : location.serviceUrl).origin;
}

function sameContainer(a: BlobLocation, b: BlobLocation): boolean {
  return a.serviceUrl === b.serviceUrl && a.container === b.container;
}
