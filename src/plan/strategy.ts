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
 *   up to 256 MiB                                  -> sync-copy
 *   larger                                         -> block-copy
 */
import type { BlobType, StrategyChoice } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';
import { formatBytes, MiB } from './blocks';

export type Strategy = 'server-copy' | 'sync-copy' | 'block-copy' | 'relay';

/** Copy Blob From URL's limit on the source's size. */
export const SYNC_COPY_MAX_BYTES = 256 * MiB;

export interface RouteFacts {
  sourceKind: 'azure-blob' | 'http';
  /** Origin (scheme://host:port) of the source and destination services. */
  sourceOrigin: string;
  destinationOrigin: string;
  /** Storage account names (undefined for an HTTP source). */
  sourceAccount?: string;
  destinationAccount: string;
  destinationIsEmulator: boolean;
  /** The source URL is plain http, or on a loopback/private address. */
  sourceIsPrivate: boolean;
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
}

export interface StrategyDecision {
  strategy: Strategy;
  reason: string;
}

export function routeFor(f: RouteFacts): Route {
  const reads = canServiceRead(f);
  return {
    requested: f.requested,
    serviceReadsSource: reads.ok,
    readsWhy: reads.why,
    sameAccount: f.sourceKind === 'azure-blob' && f.sourceOrigin === f.destinationOrigin && f.sourceAccount === f.destinationAccount,
    keepBlobType: f.blobType === 'detect',
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
  if (blob.size <= SYNC_COPY_MAX_BYTES) return { strategy: 'sync-copy', reason: 'another account, up to 256 MiB: one synchronous Copy Blob From URL' };
  return { strategy: 'block-copy', reason: 'another account, over 256 MiB: blocks staged in parallel from the source URL' };
}

/** A strategy that cannot copy this blob, forced or not: a clear error before anything is written. */
export function checkStrategyFits(strategy: Strategy, blob: { name: string; size: number }): void {
  if (strategy === 'sync-copy' && blob.size > SYNC_COPY_MAX_BYTES) {
    throw new BlobferryError('BLOB_TOO_LARGE', `${blob.name} has ${formatBytes(blob.size)}; sync-copy (Copy Blob From URL) takes at most 256 MiB. Use --strategy auto, block-copy or server-copy.`);
  }
}

/** The table applied to a prefix, in words (its blobs are decided one by one). */
export function describeRoute(route: Route): StrategyDecision {
  if (route.requested !== 'auto') return { strategy: route.requested, reason: `${route.requested} was asked for` };
  if (!route.serviceReadsSource) return { strategy: 'relay', reason: route.readsWhy };
  if (route.sameAccount) return { strategy: 'server-copy', reason: 'the source is in the same storage account: the service copies each blob' };
  return { strategy: 'sync-copy', reason: 'another account: blobs up to 256 MiB by Copy Blob From URL, larger ones by block-copy, page and append blobs by Copy Blob' };
}

function canServiceRead(f: RouteFacts): { ok: boolean; why: string } {
  if (f.destinationIsEmulator) {
    if (f.sourceKind === 'azure-blob' && f.sourceOrigin === f.destinationOrigin) {
      return { ok: true, why: 'the source is in the same Azurite instance, which reads its own blobs' };
    }
    return { ok: false, why: 'Azurite cannot fetch sources outside its own instance' };
  }
  if (f.sourceIsPrivate) return { ok: false, why: 'the source is on plain HTTP or a private address the storage service cannot reach' };
  return { ok: true, why: 'the storage service can read the source directly' };
}
