/**
 * Which way to copy (pure), from facts, with the reason, so status and --json can say why.
 *   block-copy  the destination service reads the source itself (Put Block From URL)
 *   relay       blobferry reads the source and uploads the bytes (the service cannot reach it)
 */
import type { StrategyChoice } from '../contracts/copyRequest';

export type Strategy = 'block-copy' | 'relay';

export interface StrategyFacts {
  sourceKind: 'azure-blob' | 'http';
  /** Origin (scheme://host:port) of the source and destination services. */
  sourceOrigin: string;
  destinationOrigin: string;
  destinationIsEmulator: boolean;
  /** The source URL is plain http, or on a loopback/private address. */
  sourceIsPrivate: boolean;
  requested: StrategyChoice;
}

export interface StrategyDecision {
  strategy: Strategy;
  reason: string;
}

export function chooseStrategy(f: StrategyFacts): StrategyDecision {
  // A forced strategy is honoured: the user may know a route the facts do not show (a proxy, a
  // private endpoint); if the service cannot read the source, staging says so clearly.
  if (f.requested !== 'auto') return { strategy: f.requested, reason: `${f.requested} was asked for` };
  const serviceCanRead = canServiceRead(f);
  return serviceCanRead.ok
    ? { strategy: 'block-copy', reason: serviceCanRead.why }
    : { strategy: 'relay', reason: serviceCanRead.why };
}

function canServiceRead(f: StrategyFacts): { ok: boolean; why: string } {
  if (f.destinationIsEmulator) {
    if (f.sourceKind === 'azure-blob' && f.sourceOrigin === f.destinationOrigin) {
      return { ok: true, why: 'the source is in the same Azurite instance, which reads its own blobs' };
    }
    return { ok: false, why: 'Azurite cannot fetch sources outside its own instance' };
  }
  if (f.sourceIsPrivate) return { ok: false, why: 'the source is on plain HTTP or a private address the storage service cannot reach' };
  return { ok: true, why: 'the storage service can read the source directly (Put Block From URL), so no bytes pass through blobferry' };
}
