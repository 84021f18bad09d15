/**
 * S3 URLs -> locations:
 *   s3://<bucket>/<key or prefix>                              (the key as written; an S3-compatible service through AWS_ENDPOINT_URL_S3)
 *   https://<bucket>.s3.<region>.amazonaws.com/<key>           (virtual-hosted; also s3-<region>, dualstack, the global s3.amazonaws.com)
 *   https://s3.<region>.amazonaws.com/<bucket>/<key>           (path-style)
 * An https S3 URL with a presigned query (X-Amz-Signature) is not one of these: it carries its
 * own grant and is read as a plain HTTP source.
 */
import { BlobferryError } from '../../contracts/errors';
import type { S3Location } from '../../contracts/locations';
import { decodedSegments } from '../urls';

/** [bucket.]s3[-region | .dualstack][.region].amazonaws.com[.cn] */
const S3_HOST = /^(?:(.+?)\.)?s3(?:-([a-z0-9-]+))?(?:\.dualstack)?(?:\.([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/;
/** General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** s3-<x> host labels that are not regions. */
const NOT_REGIONS = new Set(['accelerate', 'external-1']);

export function isPresigned(query: URLSearchParams): boolean {
  return [...query.keys()].some((k) => ['x-amz-signature', 'signature'].includes(k.toLowerCase()));
}

/**
 * s3://bucket/key, the key taken as written, as the AWS CLI takes it: no percent-decoding, and
 * "#", "?" and "%" are part of the key.
 */
export function parseS3Url(text: string, role: string, env: NodeJS.ProcessEnv): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(text);
  if (!match || !match[1]) throw new BlobferryError('INVALID_URL', `The ${role} "${text.slice(0, 120)}" names no bucket: write s3://<bucket>/<key or prefix>.`, { field: role });
  return s3Location(role, match[1], match[2] ?? '', undefined, false, env);
}

/** An https URL on an S3 host, or undefined when the host is not S3's (or names a website, access point or the like). */
export function parseS3HttpsUrl(url: URL, role: string, env: NodeJS.ProcessEnv): S3Location | undefined {
  const host = S3_HOST.exec(url.hostname.toLowerCase());
  if (!host || url.protocol !== 'https:') return undefined;
  const [, bucketInHost, dashed, dotted] = host;
  if (dashed?.startsWith('website') || dotted?.startsWith('website')) return undefined;
  const region = dotted ?? (dashed && !NOT_REGIONS.has(dashed) ? dashed : undefined);
  const segments = decodedSegments(url);
  if (!segments) throw new BlobferryError('INVALID_URL', `The ${role} URL has an invalid percent-encoding in its path.`, { field: role });
  if (url.search) throw new BlobferryError('UNSUPPORTED_URL', `The ${role} S3 URL has a query but no signature; give a presigned URL, or the object's URL without a query.`, { field: role });
  const trailing = url.pathname.endsWith('/') && url.pathname.length > 1 ? '/' : '';
  if (bucketInHost) return s3Location(role, bucketInHost, segments.length > 0 ? segments.join('/') + trailing : '', region, true, env);
  const [bucket, ...key] = segments;
  if (!bucket) throw new BlobferryError('INVALID_URL', `The ${role} S3 URL names no bucket: https://s3.<region>.amazonaws.com/<bucket>/<key>.`, { field: role });
  return s3Location(role, bucket, key.length > 0 ? key.join('/') + trailing : '', region, true, env);
}

function s3Location(role: string, bucket: string, path: string, region: string | undefined, fromHttpsUrl: boolean, env: NodeJS.ProcessEnv): S3Location {
  if (role === 'destination') {
    throw new BlobferryError('UNSUPPORTED_URL', 'S3 is a source only: the destination must be an Azure Blob URL (https://<account>.blob.core.windows.net/<container>/<path>).', { field: role });
  }
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new BlobferryError('INVALID_URL', `"${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit).`, { field: role });
  }
  // An https URL names AWS itself; an S3-compatible service is reached through s3:// and the endpoint setting.
  const endpoint = fromHttpsUrl ? undefined : s3EndpointSetting(env);
  return { kind: 's3', bucket, path, ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}), ...(fromHttpsUrl ? { anonymousFallback: true } : {}) };
}

/** An S3-compatible service (MinIO, Ceph, s3rver): AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, as the AWS SDKs read them. */
export function s3EndpointSetting(env: NodeJS.ProcessEnv): string | undefined {
  const text = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BlobferryError('CONFIG_INVALID', `AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL "${text}" is not a URL (such as http://127.0.0.1:9000).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlobferryError('CONFIG_INVALID', `The S3 endpoint ${url.origin} must be http(s).`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** An object's URL without secrets: s3://bucket/key, or for an S3-compatible service its endpoint's path-style URL (the same bucket name elsewhere is another place). */
export function s3ObjectUrl(location: S3Location, key: string): string {
  return location.endpoint ? `${location.endpoint}/${location.bucket}/${key}` : `s3://${location.bucket}/${key}`;
}
