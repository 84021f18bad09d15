/**
 * Where a copy reads from or writes to, as parsed from a URL (src/storage/endpoints.ts).
 * Secrets (a SAS, a presigned query) travel in `secret`, sealed whenever the location is part
 * of an orchestration's input, status or history.
 */
export interface BlobLocation {
  kind: 'azure-blob';
  /** The account's blob service root: https://acct.blob.core.windows.net or http://127.0.0.1:10000/acct */
  serviceUrl: string;
  account: string;
  container: string;
  /** Blob name or prefix, decoded; '' for the whole container. */
  path: string;
  /** Path-style URL on a loopback address: Azurite. */
  emulator: boolean;
  /** The SAS query (without '?'), if the URL carried one. */
  secret?: string;
}

export interface HttpLocation {
  kind: 'http';
  /** The URL without its query string. */
  url: string;
  /** The query string (without '?'), which may hold a signature. */
  secret?: string;
}

export type Location = BlobLocation | HttpLocation;

/** A blob name as a URL path: each segment percent-encoded, the slashes kept. */
export function encodeBlobName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** A location's URL without secrets: safe for logs, status and reports. */
export function displayUrl(location: Location): string {
  if (location.kind === 'http') return location.url + (location.secret ? '?…' : '');
  const name = location.path ? `/${location.path}` : '';
  return `${location.serviceUrl}/${location.container}${name}`;
}

/** The URL of one blob of a location, without secrets. */
export function displayBlobUrl(location: Location, name: string): string {
  if (location.kind === 'http') return displayUrl(location);
  return `${location.serviceUrl}/${location.container}/${name}`;
}
