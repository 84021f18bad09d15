/**
 * An S3 bucket, prefix or object as a copy source. Facts come from the SDK (HeadObject with
 * checksums, GetObjectTagging, ListObjectsV2); bytes are read, and handed to the destination
 * service, through presigned GET URLs made per request and valid minutes, never stored. S3's
 * ETag pins every read (If-Match); a single-part ETag is the object's MD5.
 */
import type { GetObjectCommandOutput, HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { blobProperties, CHECKSUM_ALGORITHMS, type SourceBlob, type SourceChecksum } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import type { SourceFacts } from '../../contracts/endpointFacts';
import { encodeBlobName, type S3Location } from '../../contracts/locations';
import type { ListOptions, ListedPage, SourceAccess, SourceEndpoint, Transport } from '../endpoint';
import { HttpReader } from '../http/reader';
import { mapPool } from '../pool';
import { privateBecause } from '../urls';
import { inScope, type NameScope } from '../scope';
import { connect, s3Error, s3Sdk, type S3Connection } from './client';
import { s3ObjectUrl } from './location';

/** How long a presigned URL lives: one request's worth, with room for a slow start. */
const PRESIGNED_SECONDS = 15 * 60;
/** HeadObject (and tags) requests in flight while a page of listed objects is described. */
const DESCRIBE_PARALLEL = 16;

export class S3Source implements SourceEndpoint {
  readonly facts: SourceFacts;
  readonly delete: NonNullable<SourceEndpoint['delete']>;

  constructor(
    private readonly location: S3Location,
    /** The keys this copy was given (scope.ts). */
    private readonly scope: NameScope,
    private readonly transport: Transport,
  ) {
    this.facts = {
      noun: 'the S3 source',
      listable: true,
      path: location.path,
      servesUrl: true,
      privateBecause: location.endpoint ? privateBecause(new URL(location.endpoint), 'the S3 endpoint') : undefined,
      serviceCopiesProperties: false,
    };
    this.delete = async (blob) => {
      // Only the version that was copied: checked first (S3-compatible services may ignore a
      // conditional delete), then asked for with If-Match (S3 honours it since 2025). Already
      // gone (a re-run after the delete) is deleted.
      const pinned = await this.stillPinned(blob).catch((err: { code?: string }) => {
        if (err.code === 'SOURCE_NOT_FOUND') return undefined;
        throw err;
      });
      if (pinned === undefined) return;
      if (!pinned) throw new BlobferryError('SOURCE_CHANGED', `${this.display(blob.name)} changed after it was copied; it was kept.`);
      await this.send(`deleting ${this.display(blob.name)}`, (client) => client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: this.location.bucket, Key: blob.name, ...(blob.etag ? { IfMatch: blob.etag } : {}) })));
    };
  }

  /** `key`, when this copy may touch it (SEAL_MISMATCH otherwise). */
  private scoped(key: string): string {
    return inScope(key, this.scope);
  }

  private display(key: string): string {
    return s3ObjectUrl(this.location, key);
  }

  private async send<T>(what: string, call: (client: S3Client, connection: S3Connection) => Promise<T>): Promise<T> {
    const connection = await connect(this.location, this.transport);
    try {
      return await call(connection.client, connection);
    } catch (err) {
      throw s3Error(err, what, this.location);
    }
  }

  checkAccess(): void {
    // Credentials come from the SDK's chain; they are found and tried by the first request.
  }

  async stat(name: string, options: { tags: boolean }): Promise<SourceBlob> {
    try {
      return await this.describe(name, options.tags);
    } catch (err) {
      const e = s3Error(err, `reading ${this.display(name)}`, this.location);
      if (e.code !== 'SOURCE_NOT_FOUND') throw e;
      // HeadObject answers a bare 404 for a missing bucket too: say which is missing.
      const bucket = await this.send('', (client) => client.send(new (s3Sdk().HeadBucketCommand)({ Bucket: this.location.bucket }))).then(
        () => true,
        (bucketErr: { code?: string }) => (bucketErr.code === 'SOURCE_NOT_FOUND' ? false : true),
      );
      if (!bucket) throw new BlobferryError('SOURCE_NOT_FOUND', `The S3 bucket ${this.location.bucket} does not exist (or is not visible to these credentials).`);
      throw new BlobferryError('SOURCE_NOT_FOUND', `There is no object ${this.display(name)}.`);
    }
  }

  async probe(path: string, prefix: boolean): Promise<{ tagsReadable: boolean }> {
    const key = prefix ? (await this.list(path, undefined, 1, () => true)).kept[0]?.Key : path;
    if (key === undefined) return { tagsReadable: true };
    try {
      await this.send(`reading the tags of ${this.display(key)}`, (client) => client.send(new (s3Sdk().GetObjectTaggingCommand)({ Bucket: this.location.bucket, Key: key })));
      return { tagsReadable: true };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'PERMISSION_DENIED') return { tagsReadable: false };
      // A missing object is for stat to report, with the bucket's state.
      if (code === 'SOURCE_NOT_FOUND' && !prefix) return { tagsReadable: true };
      throw err;
    }
  }

  async listPage(prefix: string, continuation: string | undefined, pageSize: number, options: ListOptions): Promise<ListedPage> {
    const { kept, next, scanned } = await this.list(prefix, continuation, pageSize, options.keep);
    const listed = (o: (typeof kept)[number]): SourceBlob => ({ name: o.Key!, size: o.Size ?? 0, etag: o.ETag, lastModified: (o.LastModified ?? new Date(0)).toISOString(), blobType: 'Object', properties: {}, partial: true });
    if (options.namesOnly) return { items: kept.map(listed), next, scanned };
    // A listing says nothing of content headers, metadata, tags or checksums: the objects that need
    // them now are described (HeadObject); the others are when they are read (readObject).
    const items = await mapPool(kept, DESCRIBE_PARALLEL, async (o) => {
      if (options.describe && !options.describe(o.Size ?? 0)) return listed(o);
      try {
        return await this.describe(o.Key!, options.tags);
      } catch (err) {
        const e = s3Error(err, `reading ${this.display(o.Key!)}`, this.location);
        if (e.code !== 'SOURCE_NOT_FOUND') throw e;
        // Gone since it was listed: it fails on its own when copied (SOURCE_NOT_FOUND), the rest goes on.
        return listed(o);
      }
    });
    return { items, next, scanned };
  }

  /** One ListObjectsV2 page, filtered. */
  private async list(prefix: string, continuation: string | undefined, pageSize: number, keep: ListOptions['keep']) {
    this.scoped(prefix);
    const page = await this.send(`listing ${this.display(prefix)}`, (client) =>
      client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: this.location.bucket, Prefix: prefix || undefined, ContinuationToken: continuation, MaxKeys: pageSize })),
    );
    const listed = page.Contents ?? [];
    const kept = listed.filter((o) => o.Key !== undefined && keep(o.Key.slice(prefix.length), o.Size ?? 0, o.LastModified?.toISOString()));
    return { kept, next: page.IsTruncated ? page.NextContinuationToken : undefined, scanned: listed.length };
  }

  /** HeadObject (with checksums) and, when asked and it has any, the object's tags. */
  private async describe(key: string, tags: boolean): Promise<SourceBlob> {
    this.scoped(key);
    const { client } = await connect(this.location, this.transport);
    const head = await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: this.location.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return factsFromHead(key, head, tags ? await this.tagsOf(key, head.TagCount) : []);
  }

  /** S3 answers x-amz-tagging-count on HEAD and GET when an object has tags: only those are asked for them. */
  private async tagsOf(key: string, count: number | undefined): Promise<Array<{ Key?: string; Value?: string }>> {
    this.scoped(key);
    if (!count) return [];
    const { client } = await connect(this.location, this.transport);
    return (await client.send(new (s3Sdk().GetObjectTaggingCommand)({ Bucket: this.location.bucket, Key: key }))).TagSet ?? [];
  }

  /** A small object whole: one GetObject gives its bytes and every fact a HeadObject would (and its tags, if it has any). */
  async readObject(blob: SourceBlob, options: { tags: boolean }): Promise<{ body: Buffer; blob: SourceBlob }> {
    this.scoped(blob.name);
    const what = `reading ${this.display(blob.name)}`;
    return this.send(what, async (client) => {
      const got = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: this.location.bucket, Key: blob.name, ChecksumMode: 'ENABLED', ...(blob.etag ? { IfMatch: blob.etag } : {}) }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      // A service that ignores If-Match (some S3-compatible ones) still says which version it sent.
      if (blob.etag && got.ETag !== blob.etag) throw new BlobferryError('SOURCE_CHANGED', `The source ${this.display(blob.name)} changed while it was being copied; nothing was committed. Copy it again.`);
      return { body, blob: { ...factsFromHead(blob.name, got, options.tags ? await this.tagsOf(blob.name, got.TagCount) : []), size: body.length } };
    });
  }

  private reader(blob: SourceBlob): HttpReader {
    return new HttpReader(this.display(blob.name), () => this.presignedGet(blob.name), 'the AWS credentials need s3:GetObject', undefined, this.transport);
  }

  readRange(blob: SourceBlob, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    return this.reader(blob).readRange(offset, count, { etag: blob.etag }, into);
  }

  stream(blob: SourceBlob): AsyncIterable<Buffer> {
    return this.reader(blob).stream({ etag: blob.etag });
  }

  /**
   * A presigned GET the storage service reads the object by (valid minutes, made at each call).
   * No source condition: Azure documents x-ms-source-if-match for blob sources only, so the
   * object's ETag is checked again before the commit instead.
   */
  async serviceAccess(blob: SourceBlob): Promise<SourceAccess> {
    return { url: await this.presignedGet(blob.name) };
  }

  async stillPinned(blob: SourceBlob): Promise<boolean> {
    this.scoped(blob.name);
    const head = await this.send(`reading ${this.display(blob.name)}`, (client) => client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: this.location.bucket, Key: blob.name })));
    return head.ETag === blob.etag;
  }

  private async presignedGet(key: string): Promise<string> {
    this.scoped(key);
    const connection = await connect(this.location, this.transport);
    if (connection.credentials === 'anonymous') return this.plainUrl(key, connection.region);
    const { getSignedUrl } = require('@aws-sdk/s3-request-presigner') as typeof import('@aws-sdk/s3-request-presigner');
    return getSignedUrl(connection.client, new (s3Sdk().GetObjectCommand)({ Bucket: this.location.bucket, Key: key }), { expiresIn: PRESIGNED_SECONDS });
  }

  /** The object's unsigned URL (a public object read anonymously). */
  private plainUrl(key: string, region: string): string {
    const path = encodeBlobName(key);
    if (this.location.endpoint) return `${this.location.endpoint}/${this.location.bucket}/${path}`;
    // Bucket names with dots do not fit the wildcard certificate of virtual-hosted URLs.
    return this.location.bucket.includes('.') ? `https://s3.${region}.amazonaws.com/${this.location.bucket}/${path}` : `https://${this.location.bucket}.s3.${region}.amazonaws.com/${path}`;
  }
}

/** A single-part upload's ETag is the object's MD5 (not with SSE-KMS or SSE-C); a multipart one ("-N") is not. */
export function md5FromEtag(etag: string | undefined, encryption?: { sse?: string; customerKey?: boolean }): { contentMD5?: string } {
  const hex = /^"?([0-9a-f]{32})"?$/i.exec(etag ?? '')?.[1];
  if (!hex || encryption?.sse?.startsWith('aws:kms') || encryption?.customerKey) return {};
  return { contentMD5: Buffer.from(hex, 'hex').toString('base64') };
}

/** The object's whole-object checksum, if it has one (a composite multipart checksum, "...-N", is not one). */
export function fullObjectChecksum(head: Partial<Record<'ChecksumCRC32' | 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumSHA1' | 'ChecksumSHA256', string>> & { ChecksumType?: string }): SourceChecksum | undefined {
  if (head.ChecksumType !== undefined && head.ChecksumType !== 'FULL_OBJECT') return undefined;
  const fields = { crc64nvme: head.ChecksumCRC64NVME, crc32c: head.ChecksumCRC32C, crc32: head.ChecksumCRC32, sha256: head.ChecksumSHA256, sha1: head.ChecksumSHA1 } as const;
  for (const algorithm of CHECKSUM_ALGORITHMS.filter((a) => fields[a])) {
    const value = fields[algorithm]!;
    if (!/-\d+$/.test(value)) return { algorithm, value };
  }
  return undefined;
}

function factsFromHead(key: string, head: HeadObjectCommandOutput | GetObjectCommandOutput, tagSet: Array<{ Key?: string; Value?: string }>): SourceBlob {
  const properties = blobProperties({
    contentType: head.ContentType,
    contentEncoding: head.ContentEncoding,
    contentLanguage: head.ContentLanguage,
    contentDisposition: head.ContentDisposition,
    cacheControl: head.CacheControl,
    ...md5FromEtag(head.ETag, { sse: head.ServerSideEncryption, customerKey: head.SSECustomerAlgorithm !== undefined }),
  });
  const tags = Object.fromEntries(tagSet.filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
  const checksum = fullObjectChecksum(head);
  return {
    name: key,
    size: head.ContentLength ?? 0,
    etag: head.ETag,
    lastModified: (head.LastModified ?? new Date(0)).toISOString(),
    blobType: 'Object',
    properties,
    ...(head.Metadata && Object.keys(head.Metadata).length > 0 ? { metadata: head.Metadata } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(checksum ? { checksum } : {}),
    ...(head.StorageClass === 'GLACIER' || head.StorageClass === 'DEEP_ARCHIVE' ? { accessTier: head.Restore?.includes('ongoing-request="false"') ? undefined : 'Archive' } : {}),
  };
}
