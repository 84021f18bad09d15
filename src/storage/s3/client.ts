/**
 * The S3 client of a location: credentials from the AWS SDK's default chain (environment,
 * shared config and profile, web identity, container and instance roles), the region from the
 * URL, else the SDK's (AWS_REGION, the profile), else us-east-1; an S3-compatible service
 * addressed path-style. The SDK is loaded on first use (it takes ~130 ms to load). S3 failures
 * leave as blobferry errors with stable codes.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { BlobferryError } from '../../contracts/errors';
import { redact } from '../../contracts/redact';
import type { S3Location } from '../../contracts/locations';
import type { Transport } from '../endpoint';

type Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Sdk | undefined;
export function s3Sdk(): Sdk {
  sdk ??= require('@aws-sdk/client-s3') as Sdk;
  return sdk;
}

type CredentialProvider = ReturnType<typeof import('@aws-sdk/credential-provider-node').defaultProvider>;

/**
 * The SDK's chain (memoized: it refreshes role and SSO credentials before they expire), or
 * 'anonymous' when it found none and the location may be read without (a public object by its https URL).
 */
export type S3Credentials = CredentialProvider | 'anonymous';

export interface S3Connection {
  client: S3Client;
  credentials: S3Credentials;
  region: string;
}

const connections = new Map<string, Promise<S3Connection>>();

/** One client per region, endpoint and way of signing, for the process. */
export function connect(location: S3Location, transport: Transport): Promise<S3Connection> {
  const key = JSON.stringify([location.region, location.endpoint, location.anonymousFallback, location.anonymousOnly, transport.maxTries, transport.tryTimeoutMs]);
  let connection = connections.get(key);
  if (!connection) {
    connection = open(location, transport);
    connections.set(key, connection);
    // A failure (no credentials yet) is not kept: the next copy looks again.
    connection.catch(() => connections.delete(key));
  }
  return connection;
}

async function open(location: S3Location, transport: Transport): Promise<S3Connection> {
  const { S3Client } = s3Sdk();
  const region = location.region ?? (await defaultRegion());
  const credentials = await findCredentials(location);
  const client = new S3Client({
    region,
    maxAttempts: transport.maxTries,
    requestHandler: { requestTimeout: transport.tryTimeoutMs },
    // Checksums only where S3 requires them: presigned URLs stay plain GETs the storage service can follow.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
    ...(credentials === 'anonymous' ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request: unknown) => request } as never } : { credentials }),
  });
  return { client, credentials, region };
}

let regionOfSdk: Promise<string> | undefined;
async function defaultRegion(): Promise<string> {
  regionOfSdk ??= (async () => {
    try {
      return await new (s3Sdk().S3Client)({}).config.region();
    } catch {
      return 'us-east-1';
    }
  })();
  return regionOfSdk;
}

async function findCredentials(location: S3Location): Promise<S3Credentials> {
  if (location.anonymousOnly) return 'anonymous';
  const { defaultProvider } = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
  const provider = defaultProvider();
  try {
    await provider();
    return provider;
  } catch (err) {
    if ((err as Error)?.name !== 'CredentialsProviderError') throw s3Error(err, 'finding AWS credentials', location);
    if (location.anonymousFallback) return 'anonymous';
    throw new BlobferryError(
      'NO_CREDENTIALS',
      `No AWS credentials were found for s3://${location.bucket}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws (or run where an IAM role applies). A public object can be copied by its https URL, a private one by a presigned URL.`,
    );
  }
}

interface S3ErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  Region?: string;
  BucketRegion?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

/** An S3 failure -> a blobferry error saying what was being done. */
export function s3Error(err: unknown, what: string, location: Pick<S3Location, 'bucket' | 'region'>): BlobferryError {
  if (err instanceof BlobferryError) return err;
  const e = (err ?? {}) as S3ErrorLike;
  const code = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode ?? 0;
  const said = redact((e.message ?? '').split('\n')[0]).slice(0, 300);
  const make = (c: ConstructorParameters<typeof BlobferryError>[0], message: string) => new BlobferryError(c, message, { status, serviceCode: code || undefined });
  const bucketRegion = e.$response?.headers?.['x-amz-bucket-region'] ?? e.BucketRegion ?? e.Region;
  // The SDK checks a GET's body against the checksum S3 declares for it (x-amz-checksum-*).
  if (/^Checksum mismatch/.test(e.message ?? '')) {
    return make('CHECKSUM_MISMATCH', `The bytes S3 sent do not match the checksum it declares (${what}): ${said}; nothing was committed.`);
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || code === 'IllegalLocationConstraintException' || status === 301) {
    return make('WRONG_REGION', `The bucket ${location.bucket} is ${bucketRegion ? `in ${bucketRegion}` : 'in another region'}${location.region ? `, not ${location.region}` : ''} (${what}). Set AWS_REGION=${bucketRegion ?? '<its region>'}, or name the region in the URL: https://${location.bucket}.s3.${bucketRegion ?? '<region>'}.amazonaws.com/<key>.`);
  }
  switch (code) {
    case 'NoSuchBucket':
      return make('SOURCE_NOT_FOUND', `The S3 bucket ${location.bucket} does not exist (${what}).`);
    case 'NoSuchKey':
    case 'NotFound':
      return make('SOURCE_NOT_FOUND', `Not found in S3 bucket ${location.bucket}: ${what}.`);
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return make('PERMISSION_DENIED', `S3 refused ${what} (${code}): the credentials need s3:GetObject on the objects, and s3:ListBucket on the bucket to copy a prefix.`);
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'InvalidToken':
    case 'TokenRefreshRequired':
      return make('AUTH_FAILED', `S3 refused the AWS credentials for ${what} (${code}): the access key is unknown, the secret is wrong, or the session token expired.`);
    case 'PreconditionFailed':
      return make('SOURCE_CHANGED', `The S3 object changed while it was being copied (${what}); nothing was committed. Copy it again.`);
    case 'InvalidObjectState':
      return make('SOURCE_ARCHIVED', `The S3 object is in an archive storage class (${what}); restore it first.`);
  }
  if (code === 'SlowDown' || status === 429 || (status === 503 && code !== 'ServiceUnavailable')) return make('THROTTLED', `S3 asks to slow down (${what}${code ? `: ${code}` : ''}).`);
  if (status === 404) return make('SOURCE_NOT_FOUND', `Not found in S3 bucket ${location.bucket}: ${what}.`);
  if (status === 403) return make('PERMISSION_DENIED', `S3 refused ${what} (403${code ? ` ${code}` : ''}).`);
  if (status === 412) return make('SOURCE_CHANGED', `The S3 object changed while it was being copied (${what}); nothing was committed.`);
  const failed = `S3 failed ${what}${status ? ` with ${status}` : ''}${code ? ` ${code}` : ''}${said ? `: ${said}` : ''}.`;
  // The network, timeouts and 5xx may pass; another 4xx, 501 or 505 will not.
  if (status === 0 || status === 408 || (status >= 500 && status !== 501 && status !== 505)) return make('SOURCE_UNREACHABLE', failed);
  return make('STORAGE_REFUSED', failed);
}
