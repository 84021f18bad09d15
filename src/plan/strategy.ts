/**
 * Which way to copy one blob (pure), from facts, with the reason, so status and --json can say why.
 *
 *   server-copy  Copy Blob: the service copies on its own, maybe asynchronously; we poll it
 *   sync-copy    Copy Blob From URL: one synchronous request, sources up to 256 MiB
 *   block-copy   Put Block From URL per byte range, then one Put Block List
 *   relay        blobferry reads the source and uploads the bytes (the service cannot reach it)
 *
 * The table (docs/strategies.md), first match wins:
 *   a strategy was asked for                       -> that one
 *   the destination service cannot read the source -> relay
 *   page or append blob, blob type kept            -> server-copy (the only way to keep the type)
 *   page or append blob made a block blob          -> block-copy (Copy Blob would keep the type)
 *   same storage account                           -> server-copy (the service copies in place)
 *   not an Azure blob (S3, HTTP)                   -> block-copy (the commit sets its properties; Copy Blob From URL would not)
 *   up to 256 MiB                                  -> sync-copy
 *   larger                                         -> block-copy
 *
 * The facts come from the endpoints (src/storage/), never from what kind of place the source is.
 */
import type { BlobType, StrategyChoice } from '../contracts/copyRequest';
import type { DestinationFacts, SourceFacts } from '../contracts/endpointFacts';
import { BlobferryError } from '../contracts/errors';
import { formatBytes, MiB } from './blocks';

export type Strategy = 'server-copy' | 'sync-copy' | 'block-copy' | 'relay';

/** Copy Blob From URL's limit on the source's size. */
export const SYNC_COPY_MAX_BYTES = 256 * MiB;

export interface RouteFacts {
  source: Pick<SourceFacts, 'servesUrl' | 'privateBecause' | 'account' | 'serviceCopiesProperties'>;
  destination: Pick<DestinationFacts, 'account' | 'emulator' | 'readsUrls'>;
  requested: StrategyChoice;
  blobType: BlobType;
}

/** What the facts about a source and destination pair say, before any blob is looked at. */
export interface Route {
  requested: StrategyChoice;
  serviceReadsSource: boolean;
  /** Why the service can (or cannot) read the source. */
  readsWhy: string;
  sameAccount: boolean;
  keepBlobType: boolean;
  /** Copy Blob (From URL) carries the source's properties and metadata over (Azure blob sources). */
  serviceCopiesProperties: boolean;
  /** The destination is a local disk: only relay writes it. */
  localDestination: boolean;
}

export interface StrategyDecision {
  strategy: Strategy;
  reason: string;
}

export function routeFor(f: RouteFacts): Route {
  const reads = canServiceRead(f);
  const source = f.source.account;
  const destination = f.destination.account;
  return {
    requested: f.requested,
    serviceReadsSource: reads.ok,
    readsWhy: reads.why,
    sameAccount: source !== undefined && destination !== undefined && !source.secondary && source.origin === destination.origin && source.name === destination.name,
    keepBlobType: f.blobType === 'detect',
    serviceCopiesProperties: f.source.serviceCopiesProperties,
    localDestination: !f.destination.readsUrls,
  };
}

export function chooseStrategy(route: Route, blob: { size: number; blobType: string }): StrategyDecision {
  // A forced strategy is honoured: the user may know a route the facts do not show (a proxy, a
  // private endpoint); if the service cannot read the source, the copy says so clearly.
  if (route.requested !== 'auto') return { strategy: route.requested, reason: `${route.requested} was asked for` };
  const special = blob.blobType === 'PageBlob' || blob.blobType === 'AppendBlob';
  if (!route.serviceReadsSource) {
    return { strategy: 'relay', reason: special && route.keepBlobType ? `${route.readsWhy}; the ${blob.blobType} becomes a block blob` : route.readsWhy };
  }
  if (special) {
    return route.keepBlobType
      ? { strategy: 'server-copy', reason: `a ${blob.blobType} keeps its type only through Copy Blob` }
      : { strategy: 'block-copy', reason: `the ${blob.blobType} is copied into a block blob, as asked` };
  }
  if (route.sameAccount) return { strategy: 'server-copy', reason: 'the source is in the same storage account: the service copies it without moving bytes through blobferry' };
  if (!route.serviceCopiesProperties) return NOT_A_BLOB;
  if (blob.size <= SYNC_COPY_MAX_BYTES) return { strategy: 'sync-copy', reason: 'another account, up to 256 MiB: one synchronous Copy Blob From URL' };
  return { strategy: 'block-copy', reason: 'another account, over 256 MiB: blocks staged in parallel from the source URL' };
}

/** A strategy that cannot copy this blob, forced or not: a clear error before anything is written. */
export function checkStrategyFits(strategy: Strategy, blob: { name: string; size: number }): void {
  if (strategy === 'sync-copy' && blob.size > SYNC_COPY_MAX_BYTES) {
    throw new BlobferryError('BLOB_TOO_LARGE', `${blob.name} has ${formatBytes(blob.size)}; sync-copy (Copy Blob From URL) takes at most 256 MiB. Use --strategy auto, block-copy or server-copy.`);
  }
}

/**
 * A forced strategy the source cannot take: Copy Blob and Copy Blob From URL carry properties
 * and pin versions only for Azure blob sources, and a Copy Blob may outlive the presigned URL it
 * reads. Refused before anything is written.
 */
export function checkRequestFits(route: Route): void {
  if (route.localDestination && route.requested !== 'auto' && route.requested !== 'relay') {
    throw new BlobferryError('CONFLICTING_OPTIONS', `--strategy ${route.requested} has the storage service write the copy; a local destination is written by blobferry (relay).`);
  }
  if ((route.requested === 'server-copy' || route.requested === 'sync-copy') && !route.serviceCopiesProperties) {
    throw new BlobferryError('CONFLICTING_OPTIONS', `--strategy ${route.requested} copies Azure blob sources only; this source takes block-copy (the storage service reads it by URL) or relay.`);
  }
}

/** The table applied to a prefix, in words (its blobs are decided one by one). */
export function describeRoute(route: Route): StrategyDecision {
  if (route.requested !== 'auto') return { strategy: route.requested, reason: `${route.requested} was asked for` };
  if (!route.serviceReadsSource) return { strategy: 'relay', reason: route.readsWhy };
  if (route.sameAccount) return { strategy: 'server-copy', reason: 'the source is in the same storage account: the service copies each blob' };
  if (!route.serviceCopiesProperties) return NOT_A_BLOB;
  return { strategy: 'sync-copy', reason: 'another account: blobs up to 256 MiB by Copy Blob From URL, larger ones by block-copy, page and append blobs by Copy Blob' };
}

const NOT_A_BLOB: StrategyDecision = {
  strategy: 'block-copy',
  reason: 'not an Azure blob: the storage service reads it by URL block by block, and the commit sets its properties and metadata (Copy Blob From URL would not)',
};

function canServiceRead(f: RouteFacts): { ok: boolean; why: string } {
  if (!f.destination.readsUrls) return { ok: false, why: 'the destination is a local disk: blobferry reads the source and writes the files' };
  if (!f.source.servesUrl) return { ok: false, why: 'the source has no URL the storage service could read' };
  if (f.destination.emulator) {
    if (f.source.account && f.source.account.origin === f.destination.account?.origin) {
      return { ok: true, why: 'the source is in the same Azurite instance, which reads its own blobs' };
    }
    return { ok: false, why: 'Azurite cannot fetch sources outside its own instance' };
  }
  if (f.source.privateBecause) return { ok: false, why: f.source.privateBecause };
  return { ok: true, why: 'the storage service can read the source directly' };
}

/**
 * In a prefix copy, whether a blob is copied by a batch activity (a request or two each: one
 * block, a sync copy, the start of a server copy) rather than a copyBlob orchestration of its own.
 */
export function copiedInBatch(route: Route, oneBlock: number, blob: { size: number; blobType: string }): boolean {
  const { strategy } = chooseStrategy(route, blob);
  return blob.size <= oneBlock || strategy === 'server-copy' || (strategy === 'sync-copy' && blob.size <= SYNC_COPY_MAX_BYTES);
}

/** Relayed whole by a batch (one read, one Put Blob): the read itself tells the blob's content headers, metadata and tags. */
export function relayedWholeInBatch(route: Route, oneBlock: number, blob: { size: number; blobType: string }): boolean {
  return copiedInBatch(route, oneBlock, blob) && chooseStrategy(route, blob).strategy === 'relay';
}
