/**
 * A copy request, from any entry point, made ready to start: validated, its URLs parsed, its
 * secrets sealed, and its instance id derived from what it copies, so the same request (even
 * with a fresh SAS) is the same copy: a repeat resumes or collapses instead of starting over.
 * The same fingerprint travels in the input, so a caller-chosen id can be checked against it.
 */
import { createHash } from 'node:crypto';
import { parseCopyRequest, type CopyOptions } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';
import type { Location } from '../contracts/locations';
import { displayUrl, parseLocation, sameObject } from '../storage/registry';
import { sealLocation } from '../storage/seal';
import { copyLimits } from './settings';
import type { TransferInput } from './types';

export interface PreparedTransfer {
  instanceId: string;
  input: TransferInput;
}

export function prepareTransfer(raw: unknown): PreparedTransfer {
  const request = parseCopyRequest(raw);
  const source = parseLocation(request.source, 'source');
  const destination = parseLocation(request.destination, 'destination');
  if (sameObject(source, destination)) {
    throw new BlobferryError('SAME_SOURCE_DESTINATION', 'The source and the destination are the same; nothing to copy.');
  }
  const fingerprint = requestFingerprint(source, destination, request.options);
  return {
    instanceId: request.id ?? `copy-${fingerprint.slice(0, 32)}`,
    input: { source: sealLocation(source), destination: sealLocation(destination), options: request.options, limits: copyLimits(request.options), fingerprint },
  };
}

/** A hash of the source and destination (without secrets) and the options: what makes two requests the same copy. */
function requestFingerprint(source: Location, destination: Location, options: CopyOptions): string {
  const identity = JSON.stringify({ source: displayUrl(source), destination: displayUrl(destination), options });
  return createHash('sha256').update(identity).digest('hex');
}
