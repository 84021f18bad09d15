/**
 * The one place that knows the kinds of places blobferry copies between: it turns a URL into a
 * location, opens the endpoint for a location, and is the only place sealed secrets are opened.
 *
 *   Azure Blob   https://<account>.blob.core.windows.net/..., Azurite path-style, <account>-secondary  (azureBlob/)
 *   S3           s3://<bucket>/..., https://<bucket>.s3.<region>.amazonaws.com/..., path-style       (s3/)
 *   HTTP         any other http(s) URL, presigned S3 URLs included                                    (http/)
 *   local disk   a path, or file:///... (sources; the CLI's user only)                                 (file/)
 *
 * Everything else (orchestrators, activities, the strategy table) works with the endpoints'
 * capability facts and operations (endpoint.ts), never with kinds.
 *
 * Who asks matters (docs/security.md): a transfer carries a sealed grant naming its caller, the
 * CLI's user or a remote caller, bound to the copy; a remote caller's locations pass the access
 * policy (access/) when the copy is requested and again whenever an endpoint is opened.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CopyOptions } from '../contracts/copyRequest';
import { BlobferryError, type ErrorCode } from '../contracts/errors';
import type { Location } from '../contracts/locations';
import { servedLocally } from './access/localRoots';
import { OPEN_NETWORK, remoteNetwork, type NetworkGuard } from './access/network';
import { borrowsAppIdentity, isWorkingStorage, policyAllows, readRemoteAccess, type RemoteAccess, type Role } from './access/policy';
import { AzureBlobDestination } from './azureBlob/destination';
import { checkSas } from './azureBlob/errors';
import { containerUrl, parseBlobUrl, primaryServiceUrl } from './azureBlob/location';
import { AzureBlobSource } from './azureBlob/source';
import { DEFAULT_TRANSPORT, type BlobDestination, type SourceEndpoint, type Transport } from './endpoint';
import { FileDestination } from './file/destination';
import { lookAtLocalDestination, lookAtLocalSource, parseLocalPath, pathOf as localPathOf } from './file/location';
import { FileSource } from './file/source';
import { HttpSource } from './http/source';
import { isPresigned, parseS3HttpsUrl, parseS3Url, s3EndpointSetting, s3ObjectUrl } from './s3/location';
import { S3Source } from './s3/source';
import { freshSecrets } from './freshCredentials';
import { nameScope } from './scope';
import { isSealed, seal, unseal } from './seal';
import { shorten } from './urls';

/** The CLI acts for the person running it; everything else (HTTP API, queues, Event Grid, webhooks) is a remote caller. */
export type Caller = 'user' | 'remote';
const CALLERS: readonly Caller[] = ['user', 'remote'];

/** A transfer's two sides as orchestrations carry them: secrets sealed to their role and copy, and the sealed grant. */
export interface SealedTransfer {
  source: Location;
  destination: Location;
  options: CopyOptions;
  /** The caller, sealed to this copy (sealTransfer). */
  grant: string;
  /** The copy's time limit (TransferInput), and a blob copy's deadline (BlobJob): no request outlives them. */
  limits?: { timeoutSeconds: number };
  deadline?: string;
}

export function parseLocation(text: string, role: 'source' | 'destination', env: NodeJS.ProcessEnv = process.env): Location {
  if (/^s3:\/\//i.test(text)) return parseS3Url(text, role, env);
  const local = parseLocalPath(text, role);
  if (local) return local;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BlobferryError('INVALID_URL', `The ${role} "${shorten(text)}" is not a URL. Use https://<account>.blob.core.windows.net/<container>/<path> (or http://127.0.0.1:<port>/<account>/<container>/<path> for Azurite)${role === 'source' ? ', s3://<bucket>/<key> or an https URL' : ''}.`, { field: role });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} uses ${url.protocol.replace(':', '')}://, which blobferry does not copy ${role === 'source' ? 'from' : 'to'}.`, { field: role });
  }
  if (url.username || url.password) {
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} URL carries a user name or password; pass credentials as a SAS or through settings instead.`, { field: role });
  }
  if (url.hash) {
    throw new BlobferryError('INVALID_URL', `The ${role} URL has a "#" fragment; write "#" in a blob name as %23.`, { field: role });
  }
  const secret = url.search.length > 1 ? url.search.slice(1) : undefined;
  const blob = parseBlobUrl(url, role, secret);
  if (blob) return blob;
  if (!isPresigned(url.searchParams)) {
    const s3 = parseS3HttpsUrl(url, role, env);
    if (s3) return s3;
  }
  if (role === 'destination') {
    throw new BlobferryError('UNSUPPORTED_URL', `The destination must be an Azure Blob URL (https://<account>.blob.core.windows.net/<container>/<path>), not ${url.host}.`, { field: role });
  }
  return { kind: 'http', url: `${url.protocol}//${url.host}${url.pathname}`, secret };
}

/**
 * What makes two requests the same copy: the source and destination and the options. Each
 * location counts whole (kind, endpoint, account, container, path, every flag; whether it has a
 * secret, not the secret), so a hand-made input cannot keep a grant while retyping a location
 * (an HTTP URL read as an Azure account, a secondary pointed at another host).
 */
export function copyFingerprint(source: Location, destination: Location, options: CopyOptions): string {
  const identity = JSON.stringify({ source: canonical(source), destination: canonical(destination), options });
  return createHash('sha256').update(identity).digest('hex');
}

/** A location's fields in a fixed order, its secret reduced to whether there is one. */
function canonical(location: Location): Array<[string, unknown]> {
  const fields: Record<string, unknown> = { ...location, secret: location.secret !== undefined };
  return Object.keys(fields)
    .sort()
    .map((key) => [key, fields[key]]);
}

const secretBinding = (role: Role, fingerprint: string) => `secret\n${role}\n${fingerprint}`;
const grantBinding = (fingerprint: string) => `grant\n${fingerprint}`;

/**
 * A request's locations made ready for orchestration input: each secret sealed to its role and
 * this copy (source, destination, options), and a grant naming the caller sealed to the same copy.
 * A remote caller's locations must pass the access policy first (authorize).
 */
export function sealTransfer(source: Location, destination: Location, options: CopyOptions, caller: Caller): SealedTransfer & { fingerprint: string } {
  const fingerprint = copyFingerprint(source, destination, options);
  const sealed = <T extends Location>(location: T, role: Role): T => (location.secret ? { ...location, secret: seal(location.secret, secretBinding(role, fingerprint)) } : location);
  return { source: sealed(source, 'source'), destination: sealed(destination, 'destination'), options, grant: seal(caller, grantBinding(fingerprint)), fingerprint };
}

/**
 * A SAS given again for one side of a running copy (POST /api/copies/{id}/credentials): it must
 * name the very place that side names, and is sealed for that copy like the first one.
 */
export function resealFor(transfer: Omit<SealedTransfer, 'grant'>, role: Role, given: Location): string {
  const same = (a: Location, b: Location) => JSON.stringify(canonical({ ...a, secret: undefined })) === JSON.stringify(canonical({ ...b, secret: undefined }));
  if (!same(given, transfer[role])) {
    throw new BlobferryError('BAD_REQUEST', `The ${role} ${displayUrl(given)} is not the copy's ${role} (${displayUrl(transfer[role])}); fresh credentials must be for the same place.`, { field: role });
  }
  if (!given.secret) throw new BlobferryError('BAD_REQUEST', `The ${role} URL carries no SAS: give the copy's ${role} URL with a fresh one.`, { field: role });
  return seal(given.secret, secretBinding(role, copyFingerprint(transfer.source, transfer.destination, transfer.options)));
}

/** The endpoint that reads a transfer's source (its secret opened here, in the activity that uses it). */
export async function openSource(transfer: SealedTransfer): Promise<SourceEndpoint> {
  const { location, network } = await opened(transfer, 'source');
  const { recursive } = transfer.options;
  const transport = transportOf(transfer);
  switch (location.kind) {
    case 'azure-blob':
      return new AzureBlobSource(location, nameScope(location.path, 'source', recursive), transport, transfer.options.sourceSecondary);
    case 's3':
      return new S3Source(location, nameScope(location.path, 'source', recursive), transport);
    case 'http':
      return new HttpSource(location, network, transport);
    case 'file':
      return new FileSource(location, nameScope(location.directory ? '' : path.basename(location.path), 'source', recursive), recursive);
  }
}

/**
 * A requested location made definite: a local path is looked at once (a file, or a directory
 * copied with what is under it; a destination is a directory when it names one, ends with "/",
 * or takes a recursive copy). Call after authorize: a remote caller is refused before anything
 * on disk is looked at.
 */
export function lookAtLocal<T extends Location>(location: T, role: Role, recursive: boolean): T {
  if (location.kind !== 'file') return location;
  return (role === 'source' ? lookAtLocalSource(location) : lookAtLocalDestination(location, recursive)) as T;
}

/** The endpoint that writes a transfer's destination: an Azure Blob container, or a local directory or file. */
export async function openDestination(transfer: SealedTransfer): Promise<BlobDestination> {
  const { location } = await opened(transfer, 'destination');
  const { recursive } = transfer.options;
  switch (location.kind) {
    case 'azure-blob':
      return new AzureBlobDestination(location, nameScope(location.path, 'destination', recursive), transportOf(transfer));
    case 'file':
      return new FileDestination(location, nameScope(location.directory ? '' : path.basename(location.path), 'destination', recursive));
    default:
      throw new BlobferryError('UNSUPPORTED_URL', 'The destination must be an Azure Blob URL or a local path.');
  }
}

/**
 * The destination read as a listing (sync --delete-destination looks for what the source no
 * longer has), with the destination's own credentials and names.
 */
export async function openDestinationListing(transfer: SealedTransfer): Promise<SourceEndpoint> {
  const { location } = await opened(transfer, 'destination');
  switch (location.kind) {
    case 'azure-blob':
      return new AzureBlobSource(location, nameScope(location.path, 'destination', true), transportOf(transfer), 'never');
    case 'file':
      return new FileSource({ ...location, directory: true }, nameScope('', 'destination', true), true);
    default:
      throw new BlobferryError('UNSUPPORTED_URL', 'The destination must be an Azure Blob URL or a local path.');
  }
}

/** --max-tries and --request-timeout, as the endpoints' clients take them. */
function transportOf(transfer: SealedTransfer): Transport {
  const { options } = transfer;
  const maxTries = options.maxTries ?? DEFAULT_TRANSPORT.maxTries;
  const requestTimeout = options.requestTimeout !== undefined ? options.requestTimeout * 1000 : DEFAULT_TRANSPORT.tryTimeoutMs;
  // --timeout holds inside requests too: all of a request's tries fit in what is left of it.
  const left = transfer.deadline ? Date.parse(transfer.deadline) - Date.now() : transfer.limits ? transfer.limits.timeoutSeconds * 1000 : undefined;
  const tryTimeoutMs = left === undefined ? requestTimeout : Math.min(requestTimeout, Math.max(1000, Math.floor(left / maxTries)));
  return { maxTries, tryTimeoutMs };
}

/**
 * One side of a transfer, opened: the grant and the secret (the freshest given) are opened for
 * this very copy (a value taken from another copy, or moved to the other role, fails SEAL_MISMATCH), and a remote
 * caller's location passes the policy again (settings may have changed since it was requested).
 */
async function opened(transfer: SealedTransfer, role: Role): Promise<{ location: Location; network: NetworkGuard }> {
  const fingerprint = copyFingerprint(transfer.source, transfer.destination, transfer.options);
  if (!isSealed(transfer.grant)) throw new BlobferryError('SEAL_MISMATCH', 'This copy\'s input carries no grant sealed by this app: copies are started through the API, a queue job, an Event Grid rule or the CLI. Nothing was read or written.');
  const caller = unseal(transfer.grant, grantBinding(fingerprint)) as Caller;
  if (!CALLERS.includes(caller)) throw new BlobferryError('SEAL_MISMATCH', 'This copy\'s grant names no known caller; nothing was read or written.');
  if (caller === 'user' && !localUserPresent) throw new BlobferryError('SEAL_MISMATCH', 'This copy was started by the blobferry CLI for its user; a host does not run it. Run it with blobferry copy.');
  const side = transfer[role];
  // A SAS given again since the copy started wins over the one it started with (freshCredentials.ts).
  const secret = (await freshSecrets(fingerprint))?.[role] ?? side.secret;
  const location = (secret ? { ...side, secret: unseal(secret, secretBinding(role, fingerprint)) } : side) as Location;
  // An expired SAS is known without asking the service: SAS_EXPIRED, which a copy waits out for fresh ones.
  if (location.kind === 'azure-blob') checkSas(location.secret, role, []);
  return { location: authorize(location, role, caller), network: caller === 'remote' ? remoteAccess().network : OPEN_NETWORK };
}

let localUserPresent = false;

/**
 * Called by the CLI's in-process copy: this process acts for the person who runs it, so grants
 * naming the CLI's user are honoured. A host never calls it: a `user` grant that reached a host
 * (a state folder or seal key shared with the CLI, read back through its webhooks) opens nothing.
 */
export function actForLocalUser(): void {
  localUserPresent = true;
}

let remote: { key: string; access: RemoteAccess & { network: NetworkGuard } } | undefined;

/** The access policy and network guard of remote callers, read from settings (again when they change). */
function remoteAccess(env: NodeJS.ProcessEnv = process.env): RemoteAccess & { network: NetworkGuard } {
  // Every setting the policy is read from, and those its rules' URLs are parsed with (account keys).
  const key = JSON.stringify(Object.entries(env).filter(([name]) => /^(BLOBFERRY_|AzureWebJobsStorage|AWS_ENDPOINT_URL)/.test(name)).sort());
  if (remote?.key !== key) {
    const s3 = s3EndpointSetting(env);
    const access = readRemoteAccess(env, (text, role) => parseLocation(text, role, env), s3 ? [s3] : []);
    remote = { key, access: { ...access, network: remoteNetwork(access.trusted) } };
  }
  return remote.access;
}

/**
 * May this caller have the app open this location in this role? The CLI's user may open anything
 * they can reach. A remote caller: only public or trusted endpoints, never the app's working
 * storage, and the app's own credentials only where the access policy says so. Answers the
 * location to open (an S3 object the policy does not cover is read anonymously), or throws
 * SOURCE_NOT_ALLOWED / DESTINATION_NOT_ALLOWED before any request is made.
 */
export function authorize<T extends Location>(location: T, role: Role, caller: Caller, env: NodeJS.ProcessEnv = process.env): T {
  if (caller === 'user') return location;
  if (location.kind === 'file') {
    // The same answer whether the path exists or not: nothing about the disk is told.
    if (servedLocally(location.path, env)) return location;
    throw new BlobferryError('LOCAL_PATH_NOT_ALLOWED', `The ${role} is a local path; a remote caller never makes the app read or write its own disk, outside the directories BLOBFERRY_LOCAL_ROOTS serves. Give an Azure Blob, S3 or http(s) URL.`, { field: role });
  }
  const access = remoteAccess(env);
  const code: ErrorCode = role === 'source' ? 'SOURCE_NOT_ALLOWED' : 'DESTINATION_NOT_ALLOWED';
  const what = `The ${role} ${displayUrl(location)}`;
  const endpoint = location.kind === 'azure-blob' ? location.serviceUrl : location.kind === 'http' ? location.url : location.endpoint;
  if (endpoint) access.network.check(new URL(endpoint), what, code);
  if (isWorkingStorage(access, location, env)) {
    throw new BlobferryError(code, `${what} is in the app's own working storage (its task hub, runtime or results containers), which remote requests can never read or write.`);
  }
  if (borrowsAppIdentity(location) && !policyAllows(access, location, role)) {
    if (location.kind === 's3' && location.anonymousFallback) return { ...location, anonymousOnly: true };
    const bring = location.kind === 's3' ? 'a presigned URL' : 'a SAS in the URL';
    throw new BlobferryError(code, `${what} would be ${role === 'source' ? 'read' : 'written'} with the app's own credentials, which serve remote requests only where BLOBFERRY_ACCESS_POLICY allows. Give ${bring}, or ask the operator to allow it (docs/security.md).`);
  }
  return location;
}

/** A location's URL without secrets: safe for logs, status and reports. */
export function displayUrl(location: Location): string {
  switch (location.kind) {
    case 'http':
      return location.url + (location.secret ? '?…' : '');
    case 's3':
      return displayObjectUrl(location, location.path);
    case 'azure-blob':
      return `${containerUrl(location)}${location.path ? `/${location.path}` : ''}`;
    case 'file':
      return location.path;
  }
}

/** The URL of one object of a location, without secrets. */
export function displayObjectUrl(location: Location, name: string): string {
  switch (location.kind) {
    case 'http':
      return displayUrl(location);
    case 's3':
      return s3ObjectUrl(location, name);
    case 'azure-blob':
      return `${containerUrl(location)}/${name}`;
    case 'file':
      return localPathOf(location, name);
  }
}

/** Do two locations name the same blob (a secondary and its primary hold the same data)? */
export function sameObject(a: Location, b: Location): boolean {
  return a.kind === 'azure-blob' && b.kind === 'azure-blob' && primaryServiceUrl(a) === primaryServiceUrl(b) && a.container === b.container && a.path === b.path;
}

