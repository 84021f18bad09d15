/**
 * Storage failures -> blobferry errors with stable codes and messages a user can act on,
 * never carrying the request URL's secrets.
 */
import { BlobferryError, isBlobferryError, type ErrorCode } from '../../contracts/errors';
import { redact } from '../../contracts/redact';

interface RestLike {
  statusCode?: number;
  code?: string;
  message?: string;
  details?: { errorCode?: string };
}

export type Role = 'source' | 'destination';

/** Why credentials of each kind are refused, for AUTH_FAILED's message. */
const REFUSED_BECAUSE: Record<string, string> = {
  sas: 'the SAS is expired, incomplete or for another resource',
  key: 'the account key is wrong',
  entra: 'the Microsoft Entra ID token was refused (expired, or for another audience or tenant)',
  none: 'the request carried no credential: give a SAS in the URL, or set BLOBFERRY_ACCOUNT_KEY_<ACCOUNT>',
};

export function toBlobferryError(err: unknown, role: Role, what: string, authKind?: string): BlobferryError {
  if (isBlobferryError(err)) return err;
  const e = (err ?? {}) as RestLike;
  const status = e.statusCode ?? 0;
  const serviceCode = e.details?.errorCode ?? e.code ?? '';
  const said = firstLine(e.message);
  const make = (code: ErrorCode, message: string) => new BlobferryError(code, message, { status, serviceCode: serviceCode || undefined });
  switch (serviceCode) {
    case 'AuthenticationFailed':
    case 'InvalidAuthenticationInfo':
    // Azure: a firewall or network rule; Azurite: also a bad signature.
    case 'AuthorizationFailure':
      return make('AUTH_FAILED', `The ${role} refused the credentials for ${what} (${serviceCode}): ${(authKind && REFUSED_BECAUSE[authKind]) ?? 'the SAS is expired, incomplete or for another resource, or the key is wrong'}, or a network rule blocks the request.`);
    case 'AuthorizationPermissionMismatch':
    case 'AuthorizationResourceTypeMismatch':
    case 'AuthorizationServiceMismatch':
    case 'AuthorizationSourceIPMismatch':
    case 'AuthorizationProtocolMismatch':
      return make('PERMISSION_DENIED', `The ${role} credentials do not allow ${what} (${serviceCode}). ${role === 'source' ? 'A source SAS needs read (r), and list (l) for a prefix.' : 'A destination SAS needs write (w) and create (c), and read (r) for --overwrite if-source-newer or rename.'}`);
    case 'ContainerNotFound':
      return make('CONTAINER_NOT_FOUND', `The ${role} container does not exist (${what}). ${role === 'destination' ? 'Create it first, or copy with --create-container (option createContainer).' : ''}`.trim());
    case 'BlobNotFound':
      return make(role === 'source' ? 'SOURCE_NOT_FOUND' : 'STORAGE_ERROR', `The ${role} blob does not exist (${what}).`);
    case 'SourceConditionNotMet':
      return make('SOURCE_CHANGED', `The source changed while it was being copied (${what}); nothing was committed. Copy it again.`);
    case 'BlobAlreadyExists':
      return make('DESTINATION_EXISTS', `The destination already exists (${what}).`);
    case 'ConditionNotMet':
      return make(role === 'source' ? 'SOURCE_CHANGED' : 'DESTINATION_CHANGED', role === 'source' ? `The source changed while it was being copied (${what}); nothing was committed.` : `The destination was changed by someone else while copying (${what}); it was left as they wrote it.`);
    case 'PendingCopyOperation':
      return make('PENDING_COPY', `The destination has a copy pending from someone else (${what}); Azure allows one at a time. Wait for it, abort it, or run with --on-pending-copy wait.`);
    case 'LeaseIdMissing':
    case 'LeaseIdMismatchWithBlobOperation':
      return make('BLOB_LEASED', `The ${role} blob is leased by someone else (${what}); it cannot be written until the lease ends or is broken.`);
    case 'LeaseAlreadyPresent':
      return make(role === 'source' ? 'SOURCE_LEASED' : 'STORAGE_ERROR', `The ${role} is leased by someone else (${what}); --lease-source needs it free. Wait for the lease to end, or copy without --lease-source.`);
    case 'SnapshotsPresent':
      return make('SOURCE_HAS_SNAPSHOTS', `The source has snapshots, which were not copied (${what}); it was kept. Delete its snapshots first to move it.`);
    case 'BlobArchived':
      return make('SOURCE_ARCHIVED', `The source is in the Archive tier (${what}); rehydrate it to Hot or Cool first.`);
    case 'InvalidBlockList':
      return make('BLOCKS_LOST', `Staged blocks of ${what} are gone (someone wrote the blob meanwhile); they are staged again.`);
    case 'CannotVerifyCopySource':
      if (status === 412) return make('SOURCE_CHANGED', `The source changed while it was being copied (${what}); nothing was committed.`);
      return make('SOURCE_UNREACHABLE', `The storage service could not read the source for ${what} (${status}): it must be reachable from the service, with a SAS that allows reading. Try --strategy relay.`);
  }
  if (status === 412) return make(role === 'source' ? 'SOURCE_CHANGED' : 'DESTINATION_CHANGED', `A condition failed for ${what}: the ${role} changed meanwhile.`);
  if (status === 404) return make(role === 'source' ? 'SOURCE_NOT_FOUND' : 'STORAGE_ERROR', `Not found: ${what}.`);
  if (status === 403) return make('PERMISSION_DENIED', `The ${role} refused ${what} (403${serviceCode ? ` ${serviceCode}` : ''}).`);
  if (status === 0) return make(role === 'source' ? 'SOURCE_UNREACHABLE' : 'STORAGE_ERROR', `Could not reach the ${role} for ${what}: ${said || 'network error'}.`);
  const failed = `The ${role} failed ${what} with ${status}${serviceCode ? ` ${serviceCode}` : ''}${said ? `: ${said}` : ''}`;
  if (isThrottling(status, serviceCode, said)) return make('THROTTLED', `${failed}: the service asks to slow down.`);
  if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) return make('STORAGE_ERROR', `${failed}.`);
  return make('STORAGE_REFUSED', `${failed}.`);
}

/** 503 ServerBusy or "over the account limit" (Azure's scalability targets), 429. */
function isThrottling(status: number, serviceCode: string, said: string): boolean {
  return status === 429 || (status === 503 && (serviceCode === 'ServerBusy' || /account limit|ingress|egress|busy/i.test(said)));
}

function firstLine(text: string | undefined): string {
  return redact((text ?? '').split('\n')[0].trim()).slice(0, 300);
}

/** The SAS parts that can be checked without calling the service: expiry and permissions. */
/** Whether a SAS allows `permission`: undefined when there is no SAS, or a stored access policy decides. */
export function sasAllows(secret: string | undefined, permission: string): boolean | undefined {
  const permissions = secret ? new URLSearchParams(secret).get('sp') : null;
  return permissions === null ? undefined : permissions.includes(permission);
}

export function checkSas(secret: string | undefined, role: Role, needs: Array<{ permission: string; why: string }>, now = new Date()): void {
  if (!secret) return;
  const params = new URLSearchParams(secret);
  const expiry = params.get('se');
  if (expiry && Date.parse(expiry) <= now.getTime()) {
    throw new BlobferryError('SAS_EXPIRED', `The ${role} SAS expired at ${expiry}; create a new one.`);
  }
  const start = params.get('st');
  if (start && Date.parse(start) > now.getTime() + 5 * 60_000) {
    throw new BlobferryError('AUTH_FAILED', `The ${role} SAS is not valid before ${start}.`);
  }
  for (const need of needs) {
    if (sasAllows(secret, need.permission) === false) {
      throw new BlobferryError('PERMISSION_DENIED', `The ${role} SAS allows "${params.get('sp')}" but ${need.why} needs "${need.permission}".`);
    }
  }
}
