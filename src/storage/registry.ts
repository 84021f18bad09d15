/**
 * The one place that knows the kinds of places blobferry copies between: it turns a URL into a
 * location, opens the endpoint for a location, and is the only place sealed secrets are opened.
 *
 *   Azure Blob   https://<account>.blob.core.windows.net/..., Azurite path-style, <account>-secondary  (azureBlob/)
 *   S3           s3://<bucket>/..., https://<bucket>.s3.<region>.amazonaws.com/..., path-style       (s3/)
 *   HTTP         any other http(s) URL, presigned S3 URLs included                                    (http/)
 *
 * Everything else (orchestrators, activities, the strategy table) works with the endpoints'
 * capability facts and operations (endpoint.ts), never with kinds.
 */
import { BlobferryError } from '../contracts/errors';
import type { Location } from '../contracts/locations';
import { AzureBlobDestination } from './azureBlob/destination';
import { containerUrl, parseBlobUrl, primaryServiceUrl } from './azureBlob/location';
import { AzureBlobSource } from './azureBlob/source';
import type { BlobDestination, SourceEndpoint } from './endpoint';
import { HttpSource } from './http/source';
import { isPresigned, parseS3HttpsUrl, parseS3Url, s3ObjectUrl } from './s3/location';
import { S3Source } from './s3/source';
import { unsealLocation } from './seal';
import { shorten } from './urls';

export function parseLocation(text: string, role: 'source' | 'destination', env: NodeJS.ProcessEnv = process.env): Location {
  if (/^s3:\/\//i.test(text)) return parseS3Url(text, role, env);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BlobferryError('INVALID_URL', `The ${role} "${shorten(text)}" is not a URL. Use https://<account>.blob.core.windows.net/<container>/<path> (or http://127.0.0.1:<port>/<account>/<container>/<path> for Azurite)${role === 'source' ? ', s3://<bucket>/<key> or an https URL' : ''}.`, { field: role });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    const hint = url.protocol === 'file:' ? ' Local files are not supported yet.' : '';
    throw new BlobferryError('UNSUPPORTED_URL', `The ${role} uses ${url.protocol.replace(':', '')}://, which blobferry does not copy ${role === 'source' ? 'from' : 'to'}.${hint}`, { field: role });
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

/** The endpoint that reads from a location (its secrets unsealed here, in the activity that uses it). */
export function openSource(sealed: Location): SourceEndpoint {
  const location = unsealLocation(sealed);
  switch (location.kind) {
    case 'azure-blob':
      return new AzureBlobSource(location);
    case 's3':
      return new S3Source(location);
    case 'http':
      return new HttpSource(location);
  }
}

/** The endpoint that writes to a location: an Azure Blob container. */
export function openDestination(sealed: Location): BlobDestination {
  const location = unsealLocation(sealed);
  if (location.kind !== 'azure-blob') throw new BlobferryError('UNSUPPORTED_URL', 'The destination must be an Azure Blob URL.');
  return new AzureBlobDestination(location);
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
  }
}

/** Do two locations name the same blob (a secondary and its primary hold the same data)? */
export function sameObject(a: Location, b: Location): boolean {
  return a.kind === 'azure-blob' && b.kind === 'azure-blob' && primaryServiceUrl(a) === primaryServiceUrl(b) && a.container === b.container && a.path === b.path;
}

