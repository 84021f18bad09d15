/**
 * Where a copy reads from or writes to, as parsed from a URL (src/storage/registry.ts, the only
 * place that tells the kinds apart). Secrets (a SAS, a presigned query) travel in `secret`,
 * sealed whenever the location is part of an orchestration's input, status or history.
 */
export interface BlobLocation {
  kind: 'azure-blob';
  /** The account's blob service root: https://acct.blob.core.windows.net or http://127.0.0.1:10000/acct (a secondary's own root when `secondary`). */
  serviceUrl: string;
  account: string;
  container: string;
  /** Blob name or prefix, decoded; '' for the whole container. */
  path: string;
  /** Path-style URL on a loopback address: Azurite. */
  emulator: boolean;
  /** The read-only secondary endpoint of an RA-GRS / RA-GZRS account (`<account>-secondary`). */
  secondary?: boolean;
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

/** An S3 bucket, prefix or object, read with credentials from the AWS SDK's default chain. */
export interface S3Location {
  kind: 's3';
  bucket: string;
  /** Object key or prefix; '' for the whole bucket. */
  path: string;
  /** The region the URL names, if it names one (else the SDK's: AWS_REGION, the profile). */
  region?: string;
  /** An S3-compatible service (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), addressed path-style. */
  endpoint?: string;
  /** Named by its https URL: with no AWS credentials found it is read anonymously (a public object), as a browser would. */
  anonymousFallback?: true;
  /** Read without credentials even when the AWS chain has some: a remote caller's request the access policy does not cover (docs/security.md). */
  anonymousOnly?: true;
  /** Never set: S3 credentials come from the SDK's chain, not from the URL. */
  secret?: undefined;
}

/** A file or directory on the disk of the machine that runs the copy (the CLI's user only). */
export interface FileLocation {
  kind: 'file';
  /** Absolute. */
  path: string;
  /** Set when the copy is requested (storage/file/location.ts): a directory is copied with what is under it. */
  directory?: boolean;
  /** Never set: the user's own access to their disk is the credential. */
  secret?: undefined;
}

export type Location = BlobLocation | HttpLocation | S3Location | FileLocation;

/** A blob name as a URL path: each segment percent-encoded, the slashes kept. */
export function encodeBlobName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** The last segment of a path ("a/b/c.txt" -> "c.txt"). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
