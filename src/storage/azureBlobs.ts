/**
 * The Azure Blob operations a copy needs, for one (unsealed) location. Every call maps storage
 * failures to blobferry errors (storageErrors.ts).
 */
import {
  BlobSASPermissions,
  BlockBlobClient,
  ContainerClient,
  generateBlobSASQueryParameters,
  newPipeline,
  type BlobBeginCopyFromURLOptions,
  type BlobBeginCopyFromUrlPollState,
  type BlobGetPropertiesResponse,
  type BlobItem,
  type HttpAuthorization,
  type Pipeline,
} from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import type { BlobProperties, SourceBlob } from '../contracts/blobFacts';
import { OWN_WRITE_PREFIX } from '../contracts/blobEvents';
import { BlobferryError } from '../contracts/errors';
import type { BlobLocation } from '../contracts/locations';
import type { CommitConditions, DestinationState } from '../plan/overwrite';
import { authFor, type BlobAuth } from './credentials';
import { blobUrl, containerUrl, withSecret } from './endpoints';
import { toBlobferryError, type Role } from './storageErrors';

export interface CommitContent {
  properties: BlobProperties;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  accessTier?: string;
}

/** How the destination service reads a source blob: a URL it can open, and maybe a bearer token. */
export interface SourceAccess {
  url: string;
  authorization?: HttpAuthorization;
}

/** A server copy as the destination reports it (x-ms-copy-*). */
export interface CopyState {
  exists: boolean;
  etag?: string;
  copyId?: string;
  /** The URL the last copy into the blob read from. */
  copySource?: string;
  status?: 'pending' | 'success' | 'failed' | 'aborted';
  bytesCopied?: number;
  totalBytes?: number;
  description?: string;
  contentLength?: number;
}

/** Options of a copy the service does (Copy Blob, Copy Blob From URL). */
export interface ServiceCopyOptions {
  conditions: CommitConditions;
  /** The source version the copy is pinned to. */
  sourceEtag?: string;
  tags?: Record<string, string>;
  accessTier?: string;
}

const RETRY = { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 15_000 };

export class AzureBlobs {
  private readonly auth: BlobAuth;

  constructor(
    readonly location: BlobLocation,
    private readonly role: Role,
  ) {
    this.auth = authFor(location);
  }

  private pipeline(extra?: (headers: { set(name: string, value: string): void }) => void): Pipeline {
    const pipeline = newPipeline(this.auth.credential, { retryOptions: RETRY, keepAliveOptions: { enable: true } });
    if (this.role === 'destination') {
      // Writes carry a client request id Event Grid reports (data.clientRequestId): mirror rules
      // know blobferry's own blobs by it and never copy them again.
      pipeline.factories.push({ create: (next) => ({ sendRequest: (request) => (request.headers.set('x-ms-client-request-id', `${OWN_WRITE_PREFIX}${randomUUID()}`), next.sendRequest(request)) }) });
    }
    if (extra) {
      // The SDK does not expose some headers (x-ms-source-if-match on Put Block From URL): add them per request.
      pipeline.factories.push({ create: (next) => ({ sendRequest: (request) => (extra(request.headers), next.sendRequest(request)) }) });
    }
    return pipeline;
  }

  private sasSuffix(url: string): string {
    return this.auth.kind === 'sas' ? withSecret(url, this.auth.sas) : url;
  }

  blob(name: string, extra?: Parameters<AzureBlobs['pipeline']>[0]): BlockBlobClient {
    return new BlockBlobClient(this.sasSuffix(blobUrl(this.location, name)), this.pipeline(extra));
  }

  container(): ContainerClient {
    return new ContainerClient(this.sasSuffix(containerUrl(this.location)), this.pipeline());
  }

  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw toBlobferryError(err, this.role, what);
    }
  }

  /** Properties, metadata and (when it has any) tags of a source blob. */
  async sourceBlob(name: string): Promise<SourceBlob> {
    const client = this.blob(name);
    const props = await this.call(`reading ${name}`, () => client.getProperties());
    const facts = factsFromProperties(name, props);
    if ((props.tagCount ?? 0) > 0) {
      facts.tags = await this.call(`reading the tags of ${name} (needs the t permission)`, async () => (await client.getTags()).tags);
    }
    return facts;
  }

  /** One page of the blobs under a prefix, with properties, metadata and (if readable) tags. */
  async listPage(prefix: string, continuationToken: string | undefined, pageSize: number, withTags: boolean): Promise<{ items: SourceBlob[]; next?: string }> {
    const container = this.container();
    return this.call(`listing ${prefix || 'the container'}`, async () => {
      const pages = container.listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true, includeTags: withTags }).byPage({ continuationToken, maxPageSize: pageSize });
      const page = (await pages.next()).value;
      const items = (page?.segment.blobItems ?? []).map(factsFromListing);
      return { items, next: page?.continuationToken || undefined };
    });
  }

  /** Whether the container exists and the credentials can list it (for a prefix source). */
  async probeList(prefix: string): Promise<void> {
    await this.listPage(prefix, undefined, 1, false);
  }

  async destinationState(name: string): Promise<DestinationState> {
    try {
      const props = await this.blob(name).getProperties();
      return { exists: true, etag: props.etag ?? '', lastModified: (props.lastModified ?? new Date(0)).toISOString(), ...(props.copyStatus === 'pending' ? { copyPending: true } : {}) };
    } catch (err) {
      const e = err as { statusCode?: number; details?: { errorCode?: string }; code?: string };
      if (e.statusCode === 404 && (e.details?.errorCode ?? e.code) !== 'ContainerNotFound') return { exists: false };
      throw toBlobferryError(err, this.role, `checking ${name}`);
    }
  }

  /**
   * The URL the destination service uses to read this blob: the caller's SAS, or a short-lived
   * read SAS made with the account key, or (Entra ID) the plain URL plus a bearer token.
   */
  async sourceAccess(name: string): Promise<SourceAccess> {
    const url = blobUrl(this.location, name);
    const auth = this.auth;
    switch (auth.kind) {
      case 'sas':
        return { url: withSecret(url, auth.sas) };
      case 'key': {
        const sas = generateBlobSASQueryParameters(
          { containerName: this.location.container, blobName: name, permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 5 * 60_000), expiresOn: new Date(Date.now() + 6 * 3600_000) },
          auth.credential,
        );
        return { url: withSecret(url, sas.toString()) };
      }
      case 'entra': {
        const token = await this.call('getting an Entra ID token', () => auth.credential.getToken('https://storage.azure.com/.default'));
        return { url, authorization: { scheme: 'Bearer', value: token?.token ?? '' } };
      }
      default:
        return { url };
    }
  }

  /** Ids of blocks staged but not committed yet: a re-run skips them. */
  async uncommittedBlockIds(name: string): Promise<Set<string>> {
    try {
      const list = await this.blob(name).getBlockList('uncommitted');
      return new Set((list.uncommittedBlocks ?? []).map((b) => b.name));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return new Set();
      throw toBlobferryError(err, this.role, `listing staged blocks of ${name}`);
    }
  }

  /** A client whose Put Block From URL requests are pinned to the source's ETag. */
  stagingClient(name: string, sourceEtag: string | undefined): BlockBlobClient {
    return this.blob(name, sourceEtag ? (headers) => headers.set('x-ms-source-if-match', sourceEtag) : undefined);
  }

  async stageFromUrl(client: BlockBlobClient, name: string, blockId: string, source: SourceAccess, offset: number, count: number): Promise<void> {
    await this.call(`staging a block of ${name} from the source`, () => client.stageBlockFromURL(blockId, source.url, offset, count, { sourceAuthorization: source.authorization }));
  }

  async stageBody(name: string, blockId: string, body: Buffer, md5: Buffer): Promise<void> {
    await this.call(`uploading a block of ${name}`, () => this.blob(name).stageBlock(blockId, body, body.length, { transactionalContentMD5: md5 }));
  }

  /** Writes the blob from its staged blocks, all at once, under the overwrite policy's conditions. */
  async commit(name: string, blockIds: string[], content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    const response = await this.call(`committing ${name}`, () =>
      this.blob(name).commitBlockList(blockIds, writeOptions(content, conditions)),
    );
    return { etag: response.etag ?? '' };
  }

  /** A small blob in one request (Put Blob), under the same conditions; the service checks the body's MD5. */
  async putWhole(name: string, body: Buffer, md5: Buffer, content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    // upload() has no transactional MD5 option; Content-MD5 on Put Blob is one.
    const client = this.blob(name, (headers) => headers.set('content-md5', md5.toString('base64')));
    const response = await this.call(`writing ${name}`, () =>
      client.upload(body, body.length, writeOptions(content, conditions)),
    );
    return { etag: response.etag ?? '' };
  }

  /** A byte range of a source blob, only if it is still the version the copy is pinned to. */
  async readRange(name: string, offset: number, count: number, etag: string | undefined, into: Buffer = Buffer.allocUnsafe(count)): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    const target = into.subarray(0, count);
    await this.call(`reading ${name}`, () => this.blob(name).downloadToBuffer(target, offset, count, { conditions: etag ? { ifMatch: etag } : undefined, maxRetryRequestsPerBlock: 3 }));
    return target;
  }

  /** Starts Copy Blob; the service copies on its own and may still be at it when this returns. */
  async startCopy(name: string, source: SourceAccess, options: ServiceCopyOptions): Promise<{ copyId: string; status: CopyState['status'] }> {
    return this.call(`starting a server copy to ${name}`, () =>
      startCopy(this.blob(name), source.url, {
        conditions: options.conditions,
        sourceConditions: options.sourceEtag ? { ifMatch: options.sourceEtag } : undefined,
        tags: nonEmpty(options.tags),
        tier: options.accessTier as never,
      }),
    );
  }

  /** Copy Blob From URL: one synchronous request (sources up to 256 MiB). */
  async syncCopy(name: string, source: SourceAccess, options: ServiceCopyOptions & { metadata?: Record<string, string> }): Promise<{ etag: string }> {
    const response = await this.call(`copying to ${name} from the source URL`, () =>
      this.blob(name).syncCopyFromURL(source.url, {
        conditions: options.conditions,
        sourceConditions: options.sourceEtag ? { ifMatch: options.sourceEtag } : undefined,
        metadata: options.metadata,
        tags: nonEmpty(options.tags),
        tier: options.accessTier as never,
        sourceAuthorization: source.authorization,
      }),
    );
    return { etag: response.etag ?? '' };
  }

  /** The state of the last copy into a blob. */
  async copyState(name: string): Promise<CopyState> {
    try {
      const p = await this.blob(name).getProperties();
      const [copied, total] = (p.copyProgress ?? '').split('/').map(Number);
      return {
        exists: true,
        etag: p.etag,
        copyId: p.copyId,
        copySource: p.copySource,
        status: p.copyStatus,
        bytesCopied: Number.isFinite(copied) ? copied : undefined,
        totalBytes: Number.isFinite(total) ? total : undefined,
        description: p.copyStatusDescription,
        contentLength: p.contentLength,
      };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404 && (err as { details?: { errorCode?: string } }).details?.errorCode !== 'ContainerNotFound') return { exists: false };
      throw toBlobferryError(err, this.role, `reading the copy status of ${name}`);
    }
  }

  /** Abort Copy Blob; false when there is no pending copy to abort (it has ended). */
  async abortCopy(name: string, copyId: string): Promise<boolean> {
    try {
      await this.blob(name).abortCopyFromURL(copyId);
      return true;
    } catch (err) {
      const code = (err as { details?: { errorCode?: string } }).details?.errorCode;
      if (code === 'NoPendingCopyOperation') return false;
      throw toBlobferryError(err, this.role, `aborting the copy to ${name}`);
    }
  }

  /** A read-only snapshot of the blob as it is now (only if it is still the version `etag`). */
  async snapshot(name: string, etag: string): Promise<string> {
    const response = await this.call(`snapshotting ${name} before overwriting it`, () => this.blob(name).createSnapshot({ conditions: { ifMatch: etag } }));
    return response.snapshot ?? '';
  }

  /** Puts a snapshot back in place of its base blob (Copy Blob from the snapshot, same blob), if the blob is still the version `etag`. */
  async promoteSnapshot(name: string, snapshot: string, etag: string | undefined): Promise<void> {
    const base = this.blob(name);
    const source = base.withSnapshot(snapshot).url;
    let state: Pick<CopyState, 'status'> = await this.call(`restoring ${name} from its snapshot ${snapshot}`, () => startCopy(base, source, { conditions: etag ? { ifMatch: etag } : {} }));
    // Within one blob the service finishes at once in practice; wait a little if it does not.
    for (let waited = 0; state.status === 'pending' && waited < 300; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      state = await this.copyState(name);
    }
    if (state.status !== 'success') {
      throw new BlobferryError('STORAGE_ERROR', `Restoring ${name} from its snapshot ${snapshot} ended "${state.status}"; the snapshot is kept so it can be restored by hand.`);
    }
  }

  /** The blob's newest snapshot, if it has any. */
  async newestSnapshot(name: string): Promise<string | undefined> {
    return this.call(`listing the snapshots of ${name}`, async () => {
      let newest: string | undefined;
      for await (const item of this.container().listBlobsFlat({ prefix: name, includeSnapshots: true })) {
        if (item.name === name && item.snapshot && (!newest || item.snapshot > newest)) newest = item.snapshot;
      }
      return newest;
    });
  }

  async snapshotExists(name: string, snapshot: string): Promise<boolean> {
    return this.call(`looking for the snapshot ${snapshot} of ${name}`, () => this.blob(name).withSnapshot(snapshot).exists());
  }

  async deleteSnapshot(name: string, snapshot: string): Promise<void> {
    await this.call(`removing the snapshot of ${name}`, () => this.blob(name).withSnapshot(snapshot).deleteIfExists());
  }

  /** Deletes the blob (and its snapshots), only if it is still the version `etag` when given. */
  async deleteBlob(name: string, etag?: string): Promise<void> {
    await this.call(`removing ${name}`, () => this.blob(name).deleteIfExists({ deleteSnapshots: 'include', conditions: etag ? { ifMatch: etag } : undefined }));
  }

  async tags(name: string): Promise<Record<string, string>> {
    return this.call(`reading the tags of ${name}`, async () => (await this.blob(name).getTags()).tags);
  }

  async setTags(name: string, tags: Record<string, string>): Promise<void> {
    await this.call(`restoring the tags of ${name}`, () => this.blob(name).setTags(tags));
  }

  /** An infinite lease with our id; taking it again with the same id is a no-op (a re-run). */
  async acquireLease(name: string, leaseId: string): Promise<void> {
    await this.call(`leasing ${name}`, () => this.blob(name).getBlobLeaseClient(leaseId).acquireLease(-1));
  }

  /** Releases our lease; a lease already gone (released before, broken, expired) is fine. */
  async releaseLease(name: string, leaseId: string): Promise<void> {
    try {
      await this.blob(name).getBlobLeaseClient(leaseId).releaseLease();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 409 || status === 404) return;
      throw toBlobferryError(err, this.role, `releasing the lease on ${name}`);
    }
  }

  async properties(name: string): Promise<BlobGetPropertiesResponse> {
    return this.call(`reading ${name}`, () => this.blob(name).getProperties());
  }
}

/**
 * Copy Blob, answered at once: its id, and "success" or "pending". The SDK keeps the bare call
 * private behind a poller; its first poll is exactly that call (and completes only on success).
 * We poll with durable timers instead, so the poller is dropped.
 */
async function startCopy(client: BlockBlobClient, url: string, options: BlobBeginCopyFromURLOptions): Promise<{ copyId: string; status: 'success' | 'pending' }> {
  const poller = await client.beginCopyFromURL(url, options);
  const state = poller.getOperationState() as BlobBeginCopyFromUrlPollState;
  return { copyId: state.copyId ?? '', status: state.isCompleted ? 'success' : 'pending' };
}

/** What a write (Put Block List or Put Blob) sets besides the bytes, and its conditions. */
function writeOptions(content: CommitContent, conditions: CommitConditions) {
  return {
    conditions,
    blobHTTPHeaders: httpHeaders(content.properties),
    metadata: content.metadata,
    tags: nonEmpty(content.tags),
    tier: content.accessTier,
  };
}

function httpHeaders(p: BlobProperties) {
  return {
    blobContentType: p.contentType,
    blobContentEncoding: p.contentEncoding,
    blobContentLanguage: p.contentLanguage,
    blobContentDisposition: p.contentDisposition,
    blobCacheControl: p.cacheControl,
    blobContentMD5: p.contentMD5 ? Buffer.from(p.contentMD5, 'base64') : undefined,
  };
}

function md5Text(md5: Uint8Array | undefined): string | undefined {
  return md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined;
}

type ContentHeaders = Pick<BlobGetPropertiesResponse, 'contentType' | 'contentEncoding' | 'contentLanguage' | 'contentDisposition' | 'cacheControl' | 'contentMD5'>;

/** The content headers a copy carries over, from Get Blob Properties or a listing alike. */
function contentProperties(p: ContentHeaders): BlobProperties {
  return clean({
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    contentLanguage: p.contentLanguage,
    contentDisposition: p.contentDisposition,
    cacheControl: p.cacheControl,
    contentMD5: md5Text(p.contentMD5),
  });
}

function factsFromProperties(name: string, p: BlobGetPropertiesResponse): SourceBlob {
  return {
    name,
    size: p.contentLength ?? 0,
    etag: p.etag,
    lastModified: (p.lastModified ?? new Date(0)).toISOString(),
    blobType: (p.blobType as SourceBlob['blobType']) ?? 'BlockBlob',
    properties: contentProperties(p),
    metadata: p.metadata && Object.keys(p.metadata).length > 0 ? p.metadata : undefined,
    accessTier: p.archiveStatus ? 'Archive' : p.accessTier,
  };
}

/** List Blobs gives ETags without the quotes the headers carry; conditions need the quoted form. */
export function quotedEtag(etag: string | undefined): string | undefined {
  if (!etag) return etag;
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

function factsFromListing(item: BlobItem): SourceBlob {
  const p = item.properties;
  return {
    name: item.name,
    size: p.contentLength ?? 0,
    etag: quotedEtag(p.etag),
    lastModified: p.lastModified.toISOString(),
    blobType: (p.blobType as SourceBlob['blobType']) ?? 'BlockBlob',
    properties: contentProperties(p),
    metadata: item.metadata && Object.keys(item.metadata).length > 0 ? item.metadata : undefined,
    tags: item.tags && Object.keys(item.tags).length > 0 ? item.tags : undefined,
    accessTier: p.accessTier,
  };
}

function nonEmpty(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  return tags && Object.keys(tags).length > 0 ? tags : undefined;
}

function clean<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined || value[key] === '') delete value[key];
  return value;
}
