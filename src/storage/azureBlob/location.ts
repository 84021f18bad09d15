/**
 * Azure Blob URLs -> locations, in two forms:
 *   host-style  https://<account>.blob.core.windows.net/<container>/<path>   (and sovereign clouds)
 *   path-style  http://127.0.0.1:10000/<account>/<container>/<path>          (Azurite, on loopback)
 * and the read-only secondary of a geo-redundant account in either form (`<account>-secondary`).
 * A loopback URL is Azurite when it is the destination, carries a SAS, names an account with a
 * key in settings (devstoreaccount1 always), or is https (Azurite's OAuth mode, signed with
 * Entra ID); otherwise it is not an Azure Blob URL at all.
 */
import { BlobferryError } from '../../contracts/errors';
import { encodeBlobName, type BlobLocation } from '../../contracts/locations';
import { decodedSegments, isLoopbackHost } from '../urls';
import { accountKeyFor } from './credentials';

const AZURE_BLOB_HOST = /^([a-z0-9]{3,24})(-secondary)?\.blob\.(core\.windows\.net|core\.chinacloudapi\.cn|core\.usgovcloudapi\.net|storage\.azure\.net)$/i;
export const CONTAINER_NAME = /^(\$root|\$web|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/;
const SECONDARY = '-secondary';

/** The location an Azure Blob URL names, or undefined when the URL is not one. */
export function parseBlobUrl(url: URL, role: 'source' | 'destination', secret: string | undefined): BlobLocation | undefined {
  const segments = decodedSegments(url);
  if (!segments) throw new BlobferryError('INVALID_URL', `The ${role} URL has an invalid percent-encoding in its path.`, { field: role });
  const trailingSlash = url.pathname.endsWith('/');
  const host = AZURE_BLOB_HOST.exec(url.hostname);
  if (host) {
    return blobLocation(role, `${url.protocol}//${url.host}`, host[1].toLowerCase(), host[2] !== undefined, segments, false, secret, trailingSlash);
  }
  if (!isLoopbackHost(url.hostname) || segments.length === 0) return undefined;
  const [first, ...rest] = segments;
  const secondary = first.endsWith(SECONDARY);
  const account = secondary ? first.slice(0, -SECONDARY.length) : first;
  if (role !== 'destination' && !/(^|&)sig=/.test(secret ?? '') && !accountKeyFor(account, true) && url.protocol !== 'https:') return undefined;
  return blobLocation(role, `${url.protocol}//${url.host}/${first}`, account, secondary, rest, true, secret, trailingSlash);
}

function blobLocation(role: string, serviceUrl: string, account: string, secondary: boolean, segments: string[], emulator: boolean, secret: string | undefined, trailingSlash: boolean): BlobLocation {
  if (secondary && role === 'destination') {
    throw new BlobferryError('UNSUPPORTED_URL', `The destination ${serviceUrl} is the read-only secondary endpoint of ${account}; write to its primary endpoint.`, { field: role });
  }
  const [container, ...nameParts] = segments;
  if (!container) {
    throw new BlobferryError('INVALID_URL', `The ${role} URL names no container: add /<container>[/<path>] after the account.`, { field: role });
  }
  if (!CONTAINER_NAME.test(container)) {
    throw new BlobferryError('INVALID_URL', `"${container}" is not a valid container name (3-63 lowercase letters, digits and single hyphens).`, { field: role });
  }
  if (secret !== undefined && !/(^|&)sig=/.test(secret)) {
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} URL has query parameters but no SAS signature (sig=); only a SAS may follow "?".`, { field: role });
  }
  // "." and ".." would be resolved by the URL the SDK builds: a/../../other-container/x escapes its container.
  if (nameParts.join('/').split('/').some((part) => part === '.' || part === '..')) {
    throw new BlobferryError('INVALID_URL', `The ${role} blob name has a "." or ".." segment, which Azure Blob URLs cannot carry.`, { field: role });
  }
  let path = nameParts.join('/');
  if (path && trailingSlash) path += '/';
  if (path.length > 1024) throw new BlobferryError('INVALID_URL', `The ${role} blob name is longer than 1024 characters.`, { field: role });
  return { kind: 'azure-blob', serviceUrl, account, container, path, emulator, ...(secondary ? { secondary: true } : {}), ...(secret ? { secret } : {}) };
}

/** The URL of a blob in a location's container (names percent-encoded segment by segment). */
export function blobUrl(location: BlobLocation, name: string): string {
  return `${location.serviceUrl}/${location.container}/${encodeBlobName(name)}`;
}

export function containerUrl(location: BlobLocation): string {
  return `${location.serviceUrl}/${location.container}`;
}

/** The primary endpoint's service root: a secondary and its primary hold the same data. */
export function primaryServiceUrl(location: BlobLocation): string {
  if (!location.secondary) return location.serviceUrl;
  return location.emulator ? location.serviceUrl.replace(/-secondary$/, '') : location.serviceUrl.replace(`${location.account}${SECONDARY}.`, `${location.account}.`);
}

/** The read-only secondary endpoint of a primary location (`<account>-secondary`), the same container and path. */
export function secondaryOf(location: BlobLocation): BlobLocation {
  const serviceUrl = location.emulator ? `${location.serviceUrl}${SECONDARY}` : location.serviceUrl.replace(`//${location.account}.`, `//${location.account}${SECONDARY}.`);
  return { ...location, serviceUrl, secondary: true };
}
