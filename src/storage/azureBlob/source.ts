/** An Azure blob, container or prefix as a copy source (a primary endpoint, or a read-only secondary). */
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, type BlobGetPropertiesResponse, type BlobItem, type UserDelegationKey } from '@azure/storage-blob';
import { BlobferryError, failureClass } from '../../contracts/errors';
import type { SourceSecondary } from '../../contracts/copyRequest';
import { afterPrimaryRead, afterSecondaryRead, CLOSED, type Breaker } from './breaker';
import { blobProperties, type BlobProperties, type SourceBlob } from '../../contracts/blobFacts';
import type { SourceFacts } from '../../contracts/endpointFacts';
import type { BlobLocation } from '../../contracts/locations';
import { readWhole, type ListOptions, type ListedPage, type SourceAccess, type SourceEndpoint, type SourceNeeds, type Transport } from '../endpoint';
import { privateBecause, withSecret } from '../urls';
import type { NameScope } from '../scope';
import { BlobClients, statusOf } from './client';
import { checkSas, sasAllows } from './errors';
import { blobUrl, primaryServiceUrl, secondaryOf } from './location';

/** How long a SAS blobferry signs for the service to read a source stays valid. */
const SERVICE_SAS_HOURS = 6;
/** A user delegation key is asked for this long, and replaced once it would not outlive a SAS signed now. */
const DELEGATION_KEY_HOURS = 24;

/** The read breaker of each RA-GRS account (by primary endpoint), shared by the endpoints of a process (plan/breaker.ts). */
const breakers = new Map<string, Breaker>();

/** User delegation keys by account (their primary endpoint): one Get User Delegation Key per account and day, not per blob. */
const delegationKeys = new Map<string, Promise<UserDelegationKey>>();

export class AzureBlobSource implements SourceEndpoint {
  readonly facts: SourceFacts;
  private readonly clients: BlobClients;
  readonly lease?: SourceEndpoint['lease'];
  readonly delete?: SourceEndpoint['delete'];

  /** The account's read-only secondary, when reads may go there (--source-secondary). */
  private readonly replica?: BlobClients;
  /** Reads this endpoint made on the secondary. */
  private secondaryReadCount = 0;

  constructor(
    private readonly location: BlobLocation,
    scope: NameScope,
    transport: Transport,
    private readonly secondaryUse: SourceSecondary = 'never',
  ) {
    this.clients = new BlobClients(location, 'source', scope, transport);
    if (!location.secondary && secondaryUse !== 'never') this.replica = new BlobClients(secondaryOf(location), 'source', scope, transport);
    const origin = new URL(location.serviceUrl).origin;
    this.facts = {
      noun: location.secondary ? 'the Azure blob source (secondary endpoint)' : 'the Azure blob source',
      listable: true,
      path: location.path,
      servesUrl: true,
      privateBecause: privateBecause(new URL(location.serviceUrl), 'the source'),
      account: { origin, name: location.account, ...(location.secondary ? { secondary: true } : {}) },
      container: `${primaryServiceUrl(location)}/${location.container}`,
      serviceCopiesProperties: true,
    };
    // A secondary endpoint is read-only: no leases, no deletes.
    if (!location.secondary) {
      this.lease = {
        acquire: async (name, leaseId) => {
          await this.clients.call(`leasing ${name}`, () => this.clients.blob(name).getBlobLeaseClient(leaseId).acquireLease(-1));
        },
        release: async (name, leaseId) => {
          try {
            await this.clients.blob(name).getBlobLeaseClient(leaseId).releaseLease();
          } catch (err) {
            // Released before, broken or expired: gone either way.
            if (statusOf(err) === 409 || statusOf(err) === 404) return;
            this.clients.fail(err, `releasing the lease on ${name}`);
          }
        },
      };
      // Only the version that was copied (If-Match); never its snapshots, which were not copied
      // (a blob that has some is kept: SOURCE_HAS_SNAPSHOTS). Already gone (a re-run) is deleted.
      this.delete = async (blob) => {
        await this.clients.call(`deleting the source ${blob.name}`, () => this.clients.blob(blob.name).deleteIfExists({ conditions: blob.etag ? { ifMatch: blob.etag } : undefined }));
      };
    }
  }

  checkAccess(needs: SourceNeeds): void {
    checkSas(this.location.secret, 'source', [
      { permission: 'r', why: 'reading the source' },
      ...(needs.list ? [{ permission: 'l', why: 'listing a prefix' }] : []),
      ...(needs.lease ? [{ permission: 'w', why: '--lease-source (leasing a blob needs write)' }] : []),
      ...(needs.delete ? [{ permission: 'd', why: '--delete-source' }] : []),
    ]);
  }

  async stat(name: string, options: { tags: boolean }): Promise<SourceBlob> {
    return this.read(false, async (clients) => {
      const client = clients.blob(name);
      const props = await clients.call(`reading ${name}`, () => client.getProperties());
      const facts = factsFromProperties(name, props);
      if (options.tags && (props.tagCount ?? 0) > 0) {
        facts.tags = await clients.call(`reading the tags of ${name} (needs the t permission)`, async () => (await client.getTags()).tags);
      }
      return facts;
    });
  }

  /** Reads this endpoint made on the account's secondary. */
  secondaryReads(): number {
    return this.secondaryReadCount;
  }

  /**
   * One read, on the primary or the secondary as the account's breaker says. A `pinned` read names
   * the version it wants (If-Match): a secondary that lags refuses it, and the primary serves it;
   * with --source-secondary prefer only pinned reads go to the secondary first. A read the
   * secondary fails is read from the primary; a read the primary fails is tried again until the
   * breaker opens, then on the secondary.
   */
  private async read<T>(pinned: boolean, op: (clients: BlobClients) => Promise<T>): Promise<T> {
    const replica = this.replica;
    if (!replica) return op(this.clients);
    const key = primaryServiceUrl(this.location);
    const onSecondary = async (): Promise<T> => {
      const result = await op(replica);
      this.secondaryReadCount++;
      breakers.set(key, afterSecondaryRead(breakers.get(key) ?? CLOSED));
      return result;
    };
    if ((breakers.get(key) ?? CLOSED).open || (pinned && this.secondaryUse === 'prefer')) {
      try {
        return await onSecondary();
      } catch {
        // Lagging, or failing too: the primary serves this read.
      }
    }
    // The primary, again while it fails for a reason that may pass and the breaker holds; once it
    // opens, the secondary.
    for (;;) {
      try {
        const result = await op(this.clients);
        breakers.set(key, afterPrimaryRead(breakers.get(key) ?? CLOSED, true));
        return result;
      } catch (err) {
        if (!(err instanceof BlobferryError) || failureClass(err.code) === 'final') throw err;
        const next = afterPrimaryRead(breakers.get(key) ?? CLOSED, false);
        breakers.set(key, next);
        if (next.open) {
          return onSecondary().catch(() => {
            throw err;
          });
        }
      }
    }
  }

  /** A single blob's tags are read with it when it has any (stat); a listing says whether the SAS can read them (t). */
  async probe(path: string, prefix: boolean): Promise<{ tagsReadable: boolean }> {
    if (!prefix) return { tagsReadable: true };
    // A SAS that lists its permissions without t cannot read tags: nothing to ask (the copy's own
    // listing, right after, says whether the prefix can be listed).
    if (sasAllows(this.location.secret, 't') === false) return { tagsReadable: false };
    const all = (): boolean => true;
    try {
      await this.listPage(path, undefined, 1, { keep: all, tags: true });
      return { tagsReadable: true };
    } catch {
      // Without tags: a listing that still fails says why (its error is the copy's); one that works says the SAS lacks t.
      await this.listPage(path, undefined, 1, { keep: all, tags: false });
      return { tagsReadable: false };
    }
  }

  async listPage(prefix: string, continuationToken: string | undefined, pageSize: number, options: ListOptions): Promise<ListedPage> {
    this.clients.scoped(prefix);
    return this.read(false, (clients) => this.listOn(clients, prefix, continuationToken, pageSize, options));
  }

  private listOn(clients: BlobClients, prefix: string, continuationToken: string | undefined, pageSize: number, options: ListOptions): Promise<ListedPage> {
    const container = clients.container();
    return clients.call(`listing ${prefix || 'the container'}`, async () => {
      const pages = container.listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true, includeTags: options.tags }).byPage({ continuationToken, maxPageSize: pageSize });
      const page = (await pages.next()).value;
      const listed: BlobItem[] = page?.segment.blobItems ?? [];
      const items = listed.filter((item) => options.keep(item.name.slice(prefix.length), item.properties.contentLength ?? 0, item.properties.lastModified?.toISOString())).map(factsFromListing);
      return { items, next: page?.continuationToken || undefined, scanned: listed.length };
    });
  }

  async readRange(blob: SourceBlob, offset: number, count: number, into: Buffer = Buffer.allocUnsafe(count)): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    const target = into.subarray(0, count);
    await this.read(blob.etag !== undefined, (clients) =>
      clients.call(`reading ${blob.name}`, async () => {
        // One GET streamed into the buffer: downloadToBuffer would cut it into 4 MiB requests of its own (twice as slow).
        const res = await clients.blob(blob.name).download(offset, count, { conditions: blob.etag ? { ifMatch: blob.etag } : undefined, maxRetryRequests: 3 });
        let at = 0;
        for await (const chunk of res.readableStreamBody as AsyncIterable<Buffer>) {
          if (at + chunk.length > count) throw new BlobferryError('SOURCE_CHANGED', `${blob.name} answered more bytes than the range asked for.`);
          chunk.copy(target, at);
          at += chunk.length;
        }
        if (at !== count) throw new BlobferryError('STORAGE_ERROR', `Reading ${blob.name} ended after ${at} of ${count} bytes.`);
      }),
    );
    return target;
  }

  async *stream(): AsyncGenerator<Buffer> {
    throw new BlobferryError('INTERNAL', 'Azure blobs are read by ranges.');
  }

  /** A listing already says everything about a blob: one ranged read. */
  readObject(blob: SourceBlob): Promise<{ body: Buffer; blob: SourceBlob }> {
    return readWhole(this, blob);
  }

  /**
   * The URL the destination service reads the blob by: the caller's SAS, or a short-lived read
   * SAS made with the account key, or (Entra ID) the plain URL plus a bearer token.
   */
  async serviceAccess(blob: SourceBlob): Promise<SourceAccess> {
    // The secondary's URL when the breaker (or prefer) sends reads there and it holds this very version.
    const replica = this.replica;
    const onSecondary = replica && blob.etag && ((breakers.get(primaryServiceUrl(this.location)) ?? CLOSED).open || this.secondaryUse === 'prefer') && (await replica.blob(blob.name).getProperties().then((p) => quotedEtag(p.etag) === quotedEtag(blob.etag), () => false));
    if (onSecondary) this.secondaryReadCount++;
    const url = blobUrl(onSecondary ? secondaryOf(this.location) : this.location, this.clients.scoped(blob.name));
    const auth = this.clients.auth;
    const ifMatch = blob.etag;
    switch (auth.kind) {
      case 'sas':
        return { url: withSecret(url, auth.sas), ifMatch };
      case 'key': {
        const sas = generateBlobSASQueryParameters(this.readOnly(blob.name), auth.credential);
        return { url: withSecret(url, sas.toString()), ifMatch };
      }
      case 'entra': {
        // The async-copy pattern across accounts: a user delegation SAS, signed with a key the
        // app's identity asks for (Storage Blob Data Reader includes the right to), read-only,
        // for this blob, for hours. Copy Blob (async) takes no bearer token for its source;
        // this one URL serves every server-side read.
        const sas = generateBlobSASQueryParameters(this.readOnly(blob.name), await this.delegationKey(), this.location.account);
        return { url: withSecret(url, sas.toString()), ifMatch };
      }
      default:
        return { url, ifMatch };
    }
  }

  private readOnly(name: string) {
    return { containerName: this.location.container, blobName: name, permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 5 * 60_000), expiresOn: new Date(Date.now() + SERVICE_SAS_HOURS * 3600_000) };
  }

  private async delegationKey(): Promise<UserDelegationKey> {
    const account = primaryServiceUrl(this.location);
    const cached = delegationKeys.get(account);
    if (cached) {
      const key = await cached.catch(() => undefined);
      if (key && key.signedExpiresOn.getTime() > Date.now() + (SERVICE_SAS_HOURS + 1) * 3600_000) return key;
    }
    const asked = this.clients.call('getting a user delegation key (the identity needs Storage Blob Data Reader on the source account)', () =>
      new BlobServiceClient(account, this.clients.auth.credential).getUserDelegationKey(new Date(Date.now() - 5 * 60_000), new Date(Date.now() + DELEGATION_KEY_HOURS * 3600_000)),
    );
    delegationKeys.set(account, asked);
    asked.catch(() => delegationKeys.delete(account));
    return asked;
  }

  async stillPinned(blob: SourceBlob): Promise<boolean> {
    const props = await this.clients.call(`reading ${blob.name}`, () => this.clients.blob(blob.name).getProperties());
    return quotedEtag(props.etag) === quotedEtag(blob.etag);
  }
}

/** List Blobs gives ETags without the quotes the headers carry; conditions need the quoted form. */
function quotedEtag(etag: string | undefined): string | undefined {
  if (!etag) return etag;
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

type ContentHeaders = Pick<BlobGetPropertiesResponse, 'contentType' | 'contentEncoding' | 'contentLanguage' | 'contentDisposition' | 'cacheControl' | 'contentMD5'>;

/** The content headers a copy carries over, from Get Blob Properties or a listing alike. */
function contentProperties(p: ContentHeaders): BlobProperties {
  const md5 = p.contentMD5 && p.contentMD5.length > 0 ? Buffer.from(p.contentMD5).toString('base64') : undefined;
  return blobProperties({ contentType: p.contentType, contentEncoding: p.contentEncoding, contentLanguage: p.contentLanguage, contentDisposition: p.contentDisposition, cacheControl: p.cacheControl, contentMD5: md5 });
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
