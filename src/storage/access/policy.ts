/**
 * What a remote caller (HTTP API, queue jobs, Event Grid rules, Durable webhooks) may make the
 * app read and write, from settings (docs/security.md):
 *
 *   BLOBFERRY_ACCESS_POLICY       JSON list of {"read": "<url>"} and {"write": "<url>"}: where the
 *                                 app's own credentials (account keys, connection strings, managed
 *                                 identity, the AWS chain) may serve a remote request: an account's
 *                                 container, or a prefix in it; an S3 bucket or prefix. Default: none.
 *   BLOBFERRY_TRUSTED_ENDPOINTS   comma-separated host[:port] and address ranges (10.1.0.0/16) of
 *                                 private endpoints remote requests may reach (private endpoints,
 *                                 an on-premises S3). The app's own storage endpoints and the S3
 *                                 endpoint setting are trusted without being listed.
 *
 * The app's working storage (the task hub's containers, azure-webjobs-*, the results container)
 * is never a remote request's source or destination, whatever credential it brings.
 */
import { BlobferryError } from '../../contracts/errors';
import type { BlobLocation, Location } from '../../contracts/locations';
import { appStorageEndpoints, resultsContainer } from '../appStorage';
import { primaryServiceUrl } from '../azureBlob/location';
import { accountKeyFor, AZURITE_DEV_ACCOUNT, AZURITE_DEV_KEY } from '../azureBlob/credentials';
import { trustedEndpoints, type TrustedEndpoints } from './network';

export type Role = 'source' | 'destination';

export interface AccessRule {
  role: Role;
  scope: Location;
}

export interface RemoteAccess {
  rules: AccessRule[];
  trusted: TrustedEndpoints;
  /** The app's own blob service (AzureWebJobsStorage), whose working containers are never a remote request's. */
  appBlobService?: string;
}

/** Containers the Functions runtime, the Durable task hub (Azure Storage provider) and blobferry itself keep their state in. */
const WORKING_CONTAINER = /^(azure-webjobs-.*|blobferry-credentials|.*-leases|.*-largemessages|.*-applease|scm-releases|function-releases|app-package-.*|\$logs)$/;

/** `configured`: endpoints the operator set up elsewhere in settings (the S3 endpoint), trusted like the app's storage. */
export function readRemoteAccess(env: NodeJS.ProcessEnv, parse: (text: string, role: Role) => Location, configured: string[]): RemoteAccess {
  const app = appStorageEndpoints(env);
  const hosts = [...app.all, ...configured].map((url) => new URL(url).host);
  return {
    rules: parseRules(env.BLOBFERRY_ACCESS_POLICY, parse),
    trusted: trustedEndpoints([...hosts, ...(env.BLOBFERRY_TRUSTED_ENDPOINTS ?? '').split(',')]),
    appBlobService: app.blob?.replace(/\/+$/, '').toLowerCase(),
  };
}

function parseRules(text: string | undefined, parse: (text: string, role: Role) => Location): AccessRule[] {
  if (!text?.trim()) return [];
  const invalid = (why: string) => new BlobferryError('CONFIG_INVALID', `BLOBFERRY_ACCESS_POLICY ${why}. Write a JSON list such as [{"read": "https://acct.blob.core.windows.net/photos/"}, {"write": "https://backup.blob.core.windows.net/photos/"}].`);
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw invalid('is not JSON');
  }
  if (!Array.isArray(list)) throw invalid('is not a list');
  return list.map((entry) => {
    const keys = entry && typeof entry === 'object' ? Object.keys(entry) : [];
    const [key] = keys;
    const url = key ? (entry as Record<string, unknown>)[key] : undefined;
    if (keys.length !== 1 || (key !== 'read' && key !== 'write') || typeof url !== 'string') throw invalid(`has an entry that is not {"read": "<url>"} or {"write": "<url>"}: ${JSON.stringify(entry).slice(0, 200)}`);
    const role: Role = key === 'read' ? 'source' : 'destination';
    const scope = parse(url, role);
    if (scope.secret) throw invalid(`entry ${url.split('?')[0]} carries a query; a rule names a place, not a credential`);
    return { role, scope };
  });
}

/** Does an access rule let the app's own credentials serve this location in this role? */
export function policyAllows(access: RemoteAccess, location: Location, role: Role): boolean {
  return access.rules.some((rule) => rule.role === role && within(location, rule.scope));
}

function within(location: Location, scope: Location): boolean {
  if (location.kind === 'azure-blob' && scope.kind === 'azure-blob') {
    return sameBlobService(location, scope) && location.container === scope.container && location.path.startsWith(scope.path);
  }
  if (location.kind === 's3' && scope.kind === 's3') {
    return location.bucket === scope.bucket && location.endpoint === scope.endpoint && location.path.startsWith(scope.path);
  }
  return false;
}

function sameBlobService(a: BlobLocation, b: BlobLocation): boolean {
  return primaryServiceUrl(a).toLowerCase() === primaryServiceUrl(b).toLowerCase();
}

/** Is this a container the app keeps its own state in? */
export function isWorkingStorage(access: RemoteAccess, location: Location, env: NodeJS.ProcessEnv): boolean {
  if (location.kind !== 'azure-blob' || !access.appBlobService) return false;
  if (primaryServiceUrl(location).toLowerCase() !== access.appBlobService) return false;
  return WORKING_CONTAINER.test(location.container) || location.container === resultsContainer(env);
}

/**
 * Would opening this location use the app's own credentials rather than one the caller brought?
 * A SAS or presigned URL is the caller's; so is Azurite's development account while it has the key
 * Microsoft publishes (anyone who can reach the emulator can sign for it), not a private one.
 */
export function borrowsAppIdentity(location: Location): boolean {
  switch (location.kind) {
    case 'http':
      return false;
    case 's3':
      return !location.anonymousOnly;
    case 'file':
      return true; // the app's own disk
    case 'azure-blob':
      return !location.secret && !(location.emulator && location.account === AZURITE_DEV_ACCOUNT && accountKeyFor(location.account, true) === AZURITE_DEV_KEY);
  }
}
