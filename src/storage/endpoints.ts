/**
 * URLs -> locations. Azure Blob URLs come in two forms:
 *   host-style  https://<account>.blob.core.windows.net/<container>/<path>   (and sovereign clouds)
 *   path-style  http://127.0.0.1:10000/<account>/<container>/<path>          (Azurite, on loopback)
 * A loopback URL is Azurite when it is the destination, carries a SAS, or names an account with a
 * key in settings (devstoreaccount1 always). Any other http(s) URL is a plain HTTP source
 * (copied by relay). Names are percent-decoded: a
 * blob called "a b#1.txt" is written "a%20b%231.txt" in the URL.
 */
import { isIP } from 'node:net';
import { BlobferryError } from '../contracts/errors';
import { encodeBlobName, type BlobLocation, type Location } from '../contracts/locations';
import { accountKeyFor } from './credentials';

const AZURE_BLOB_HOST = /^([a-z0-9]{3,24})\.blob\.(core\.windows\.net|core\.chinacloudapi\.cn|core\.usgovcloudapi\.net|storage\.azure\.net)$/i;
const CONTAINER_NAME = /^(\$root|\$web|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/;

export function parseLocation(text: string, role: 'source' | 'destination'): Location {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BlobferryError('INVALID_URL', `The ${role} "${shorten(text)}" is not a URL. Use https://<account>.blob.core.windows.net/<container>/<path> (or http://127.0.0.1:<port>/<account>/<container>/<path> for Azurite).`, { field: role });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    const hint = url.protocol === 's3:' ? ' S3 sources are not supported yet; use a presigned https URL.' : url.protocol === 'file:' ? ' Local files are not supported yet.' : '';
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} uses ${url.protocol.replace(':', '')}://, which blobferry does not copy ${role === 'source' ? 'from' : 'to'}.${hint}`, { field: role });
  }
  if (url.username || url.password) {
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} URL carries a user name or password; pass credentials as a SAS or through settings instead.`, { field: role });
  }
  if (url.hash) {
    throw new BlobferryError('INVALID_URL', `The ${role} URL has a "#" fragment; write "#" in a blob name as %23.`, { field: role });
  }
  const secret = url.search.length > 1 ? url.search.slice(1) : undefined;
  const segments = decodeSegments(url, role);
  const hostMatch = AZURE_BLOB_HOST.exec(url.hostname);
  if (hostMatch) {
    return blobLocation(role, `${url.protocol}//${url.host}`, hostMatch[1].toLowerCase(), segments, false, secret, url.pathname.endsWith('/'));
  }
  // A loopback URL is Azurite when it must be a blob (the destination), carries a SAS, or names an
  // account with a key in settings; otherwise it is a plain HTTP source.
  if (isLoopbackHost(url.hostname) && segments.length >= 1 && (role === 'destination' || /(^|&)sig=/.test(secret ?? '') || accountKeyFor(segments[0], true))) {
    const [account, ...rest] = segments;
    return blobLocation(role, `${url.protocol}//${url.host}/${account}`, account, rest, true, secret, url.pathname.endsWith('/'));
  }
  if (role === 'destination') {
    throw new BlobferryError('UNSUPPORTED_URL', `The destination must be an Azure Blob URL (https://<account>.blob.core.windows.net/<container>/<path>), not ${url.host}.`, { field: role });
  }
  return { kind: 'http', url: `${url.protocol}//${url.host}${url.pathname}`, secret };
}

function blobLocation(role: string, serviceUrl: string, account: string, segments: string[], emulator: boolean, secret: string | undefined, trailingSlash: boolean): BlobLocation {
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
  let path = nameParts.join('/');
  if (path && trailingSlash) path += '/';
  if (path.length > 1024) throw new BlobferryError('INVALID_URL', `The ${role} blob name is longer than 1024 characters.`, { field: role });
  return { kind: 'azure-blob', serviceUrl, account, container, path, emulator, ...(secret ? { secret } : {}) };
}

function decodeSegments(url: URL, role: string): string[] {
  try {
    return url.pathname.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  } catch {
    throw new BlobferryError('INVALID_URL', `The ${role} URL has an invalid percent-encoding in its path.`, { field: role });
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Hosts the cloud service cannot reach: loopback, private and link-local ranges, bare names. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host) || !host.includes('.') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || a === 0;
  }
  if (isIP(host) === 6) return /^(fc|fd|fe80)/i.test(host);
  return false;
}

/** The URL of a blob in a location's container (names percent-encoded segment by segment). */
export function blobUrl(location: BlobLocation, name: string): string {
  return `${location.serviceUrl}/${location.container}/${encodeBlobName(name)}`;
}

export function containerUrl(location: BlobLocation): string {
  return `${location.serviceUrl}/${location.container}`;
}

export function withSecret(url: string, secret: string | undefined): string {
  return secret ? `${url}?${secret}` : url;
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
