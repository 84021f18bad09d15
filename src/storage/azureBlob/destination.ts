/**
 * An Azure Blob container as the destination of copies: the only writer of blobs. Every call
 * maps storage failures to blobferry errors (errors.ts).
 */
import { BlockBlobClient, type BlobBeginCopyFromURLOptions, type BlobBeginCopyFromUrlPollState } from '@azure/storage-blob';
import { COPY_MARKER, type BlobProperties, type CommitConditions, type DestinationState } from '../../contracts/blobFacts';
import { BlobferryError } from '../../contracts/errors';
import type { DestinationFacts } from '../../contracts/endpointFacts';
import type { BlobLocation } from '../../contracts/locations';
import type { BlobDestination, CommitContent, CopyState, DestinationCursor, ServiceCopyOptions, SourceAccess, Transport, WrittenBlob } from '../endpoint';
import type { NameScope } from '../scope';
import { BlobClients, serviceCodeOf, statusOf } from './client';
import { checkSas } from './errors';
import { throttlingSince } from './throttling';
import { primaryServiceUrl } from './location';

/** Entries per listing page existingStates reads at most (the service's most), and pages per call. */
const LISTED_STATES_PAGE = 5000;
const LISTED_STATES_PAGES = 4;

/** A blob's state from its properties (Get Blob Properties, or a listing entry) and metadata. */
function stateOf(props: { etag?: string; lastModified?: Date; contentLength?: number; copyStatus?: string; contentMD5?: Uint8Array }, metadata: Record<string, string> | undefined): DestinationState {
  const marker = metadata?.[COPY_MARKER];
  return {
    exists: true,
    etag: props.etag ?? '',
    lastModified: (props.lastModified ?? new Date(0)).toISOString(),
    size: props.contentLength ?? 0,
    ...(props.copyStatus === 'pending' ? { copyPending: true } : {}),
    ...(marker ? { marker } : {}),
    ...(metadata?.mtime ? { mtime: metadata.mtime } : {}),
    ...(props.contentMD5 && props.contentMD5.length > 0 ? { md5: Buffer.from(props.contentMD5).toString('base64') } : {}),
  };
}

export class AzureBlobDestination implements BlobDestination {
  readonly facts: DestinationFacts;
  /** Throttling answers of this account since the endpoint was opened. */
  private readonly throttled: () => number;
  private readonly clients: BlobClients;

  constructor(
    private readonly location: BlobLocation,
    scope: NameScope,
    transport: Transport,
  ) {
    this.clients = new BlobClients(location, 'destination', scope, transport);
    this.throttled = throttlingSince(location.serviceUrl);
    this.facts = {
      account: { origin: new URL(location.serviceUrl).origin, name: location.account },
      container: `${primaryServiceUrl(location)}/${location.container}`,
      path: location.path,
      emulator: location.emulator,
      readsUrls: true,
      storesMd5: true,
    };
  }

  checkAccess(needs: { read?: string }): void {
    checkSas(this.location.secret, 'destination', [{ permission: 'w', why: 'writing blobs' }, ...(needs.read ? [{ permission: 'r', why: needs.read }] : [])]);
  }

  private blob(name: string): BlockBlobClient {
    return this.clients.blob(name);
  }

  private call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return this.clients.call(what, operation);
  }

  async createContainer(): Promise<void> {
    await this.call('creating the destination container', () => this.clients.container().createIfNotExists());
  }

  throttles(): number {
    return this.throttled();
  }

  async destinationState(name: string): Promise<DestinationState> {
    try {
      const props = await this.blob(name).getProperties();
      return stateOf(props, props.metadata);
    } catch (err) {
      if (blobNotFound(err)) return { exists: false };
      this.clients.fail(err, `checking ${name}`);
    }
  }

  /**
   * The states of many names from the listing of `prefix`, where a HEAD each would cost a round
   * trip each (sync looks at every destination). Read in step with the source's listing, from
   * `cursor` (where the previous call left off), in pages of about as many entries as names are
   * asked about, until the listing reaches the last of them (LISTED_STATES_PAGES at most). The
   * cursor handed back starts at the first entry not yet passed. A name not found is left to
   * destinationState.
   */
  async existingStates(prefix: string, names: string[], cursor: DestinationCursor = {}, pageSize = Math.min(LISTED_STATES_PAGE, Math.max(names.length, 100))): Promise<{ states: Map<string, DestinationState>; cursor: DestinationCursor }> {
    const states = new Map<string, DestinationState>();
    if (names.length === 0 || cursor.done) return { states, cursor };
    const wanted = new Set(names);
    const last = names.reduce((a, b) => (a > b ? a : b));
    let token = cursor.token;
    for (let read = 0; read < LISTED_STATES_PAGES; read++) {
      const pages = this.clients.container().listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true }).byPage({ continuationToken: token, maxPageSize: pageSize });
      const page = (await this.call('listing the destination', () => pages.next())).value;
      const items = page?.segment.blobItems ?? [];
      for (const item of items) if (wanted.has(item.name)) states.set(item.name, stateOf(item.properties, item.metadata));
      const lastListed = items.length > 0 ? items[items.length - 1].name : undefined;
      // Past the last name asked about: the next call reads this page again, for the names after it.
      if (lastListed !== undefined && lastListed > last) return { states, cursor: token ? { token } : {} };
      if (!page?.continuationToken) return { states, cursor: { done: true } };
      token = page.continuationToken;
      if (lastListed === last) break;
    }
    return { states, cursor: { token } };
  }

  async properties(name: string): Promise<WrittenBlob> {
    const p = await this.call(`reading ${name}`, () => this.blob(name).getProperties());
    return { etag: p.etag, contentLength: p.contentLength, ...(p.contentMD5 && p.contentMD5.length > 0 ? { contentMD5: Buffer.from(p.contentMD5).toString('base64') } : {}) };
  }

  async stagedBlocks(name: string): Promise<Map<string, number>> {
    try {
      const list = await this.blob(name).getBlockList('uncommitted');
      return new Map((list.uncommittedBlocks ?? []).map((b) => [b.name, b.size]));
    } catch (err) {
      if (statusOf(err) === 404) return new Map();
      this.clients.fail(err, `listing staged blocks of ${name}`);
    }
  }

  async stageFromUrl(name: string, blockId: string, source: SourceAccess, offset: number, count: number): Promise<void> {
    // The SDK does not expose x-ms-source-if-match on Put Block From URL: a per-request header pins the read to the source's version.
    const client = this.clients.blob(name, source.ifMatch ? (headers) => headers.set('x-ms-source-if-match', source.ifMatch!) : undefined);
    await this.call(`staging a block of ${name} from the source`, () => client.stageBlockFromURL(blockId, source.url, offset, count));
  }

  /** Uncommitted blocks are dropped by the service after a week, and a run of the same copy reuses them meanwhile. */
  async discardStaged(): Promise<void> {}

  async stageBody(name: string, blockId: string, body: Buffer, md5: Buffer): Promise<void> {
    await this.call(`uploading a block of ${name}`, () => this.blob(name).stageBlock(blockId, body, body.length, { transactionalContentMD5: md5 }));
  }

  async commit(name: string, blockIds: string[], content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    const response = await this.call(`committing ${name}`, () => this.blob(name).commitBlockList(blockIds, writeOptions(content, conditions)));
    return { etag: response.etag ?? '' };
  }

  async putWhole(name: string, body: Buffer, md5: Buffer, content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    // upload() has no transactional MD5 option; Content-MD5 on Put Blob is one.
    const client = this.clients.blob(name, (headers) => headers.set('content-md5', md5.toString('base64')));
    const response = await this.call(`writing ${name}`, () => client.upload(body, body.length, writeOptions(content, conditions)));
    return { etag: response.etag ?? '' };
  }

  /** A byte range of a written blob (reading a copy back), only if it is still the version `etag`. */
  async readRange(name: string, offset: number, count: number, etag: string | undefined): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    const target = Buffer.allocUnsafe(count);
    await this.call(`reading ${name}`, () => this.blob(name).downloadToBuffer(target, offset, count, { conditions: etag ? { ifMatch: etag } : undefined, maxRetryRequestsPerBlock: 3 }));
    return target;
  }

  /** Starts Copy Blob; the service copies on its own and may still be at it when this returns. */
  async startCopy(name: string, source: SourceAccess, options: ServiceCopyOptions): Promise<{ copyId: string; status: CopyState['status'] }> {
    return this.call(`starting a server copy to ${name}`, () =>
      startCopy(this.blob(name), source.url, {
        conditions: options.conditions,
        sourceConditions: source.ifMatch ? { ifMatch: source.ifMatch } : undefined,
        metadata: options.metadata,
        tags: nonEmpty(options.tags),
        tier: options.accessTier as never,
      }),
    );
  }

  /** Copy Blob From URL: one synchronous request (sources up to 256 MiB). */
  async syncCopy(name: string, source: SourceAccess, options: ServiceCopyOptions): Promise<{ etag: string }> {
    const response = await this.call(`copying to ${name} from the source URL`, () =>
      this.blob(name).syncCopyFromURL(source.url, {
        conditions: options.conditions,
        sourceConditions: source.ifMatch ? { ifMatch: source.ifMatch } : undefined,
        metadata: options.metadata,
        tags: nonEmpty(options.tags),
        tier: options.accessTier as never,
      }),
    );
    return { etag: response.etag ?? '' };
  }

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
      };
    } catch (err) {
      if (blobNotFound(err)) return { exists: false };
      this.clients.fail(err, `reading the copy status of ${name}`);
    }
  }

  /** Abort Copy Blob; false when there is no pending copy to abort (it has ended). */
  async abortCopy(name: string, copyId: string): Promise<boolean> {
    try {
      await this.blob(name).abortCopyFromURL(copyId);
      return true;
    } catch (err) {
      if (serviceCodeOf(err) === 'NoPendingCopyOperation') return false;
      this.clients.fail(err, `aborting the copy to ${name}`);
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

  async newestSnapshot(name: string): Promise<string | undefined> {
    return this.call(`listing the snapshots of ${name}`, async () => {
      let newest: string | undefined;
      for await (const item of this.clients.container().listBlobsFlat({ prefix: name, includeSnapshots: true })) {
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
}

/** A 404 for the blob itself (a missing container is an error, not an absent blob). */
function blobNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && serviceCodeOf(err) !== 'ContainerNotFound';
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

function nonEmpty(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  return tags && Object.keys(tags).length > 0 ? tags : undefined;
}
