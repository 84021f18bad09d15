/**
 * A copy request, from any entry point, made ready to start: validated, its URLs parsed, its
 * secrets sealed, and its instance id derived from what it copies, so the same request (even
 * with a fresh SAS) is the same copy: a repeat resumes or collapses instead of starting over.
 * The same fingerprint travels in the input, so a caller-chosen id can be checked against it.
 * Who asks decides what may be named (docs/security.md): a remote caller's locations pass the
 * access policy here, before anything is started, and again in every activity.
 */
import { parseCopyRequest } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';
import { keepFreshSecrets } from '../storage/freshCredentials';
import { authorize, lookAtLocal, parseLocation, sameObject, sealTransfer, type Caller } from '../storage/registry';
import { copyLimits } from './settings';
import type { TransferInput } from './types';

export interface PreparedTransfer {
  instanceId: string;
  input: TransferInput;
}

export function prepareTransfer(raw: unknown, caller: Caller): PreparedTransfer {
  const request = parseCopyRequest(raw);
  if (caller === 'remote' && request.options.listOfFiles) {
    throw new BlobferryError('LOCAL_PATH_NOT_ALLOWED', 'options.listOfFiles names a file on the app\'s own disk, which remote callers never make it read; list the names with options.include instead.', { field: 'options.listOfFiles' });
  }
  const { recursive } = request.options;
  const source = lookAtLocal(authorize(parseLocation(request.source, 'source'), 'source', caller), 'source', recursive);
  const destination = lookAtLocal(authorize(parseLocation(request.destination, 'destination'), 'destination', caller), 'destination', recursive);
  if (source.kind === 'file' && destination.kind === 'file') {
    throw new BlobferryError('UNSUPPORTED_URL', 'Both the source and the destination are local paths; blobferry copies to and from Blob Storage. Use cp or rsync between local folders.');
  }
  if (sameObject(source, destination)) {
    throw new BlobferryError('SAME_SOURCE_DESTINATION', 'The source and the destination are the same; nothing to copy.');
  }
  const sealed = sealTransfer(source, destination, request.options, caller);
  return {
    instanceId: request.id ?? `copy-${sealed.fingerprint.slice(0, 32)}`,
    input: { ...sealed, limits: copyLimits(request.options) },
  };
}

/**
 * The same request given again while its copy runs: its secrets (fresh SAS tokens, sealed for
 * this copy like the first ones) serve the copy's activities from now on. False when the request
 * carries none.
 */
export async function keepGivenSecrets(input: TransferInput): Promise<boolean> {
  const { source, destination } = input;
  if (!source.secret && !destination.secret) return false;
  await keepFreshSecrets(input.fingerprint, { source: source.secret, destination: destination.secret });
  return true;
}
