/**
 * A plain HTTP(S) object as a copy source: a web server, a presigned S3 or GCS URL, a file share
 * behind HTTPS. One object, never listed, leased or deleted. The destination service can read
 * it by its URL when the URL is public; otherwise it is relayed.
 */
import { BlobferryError } from '../../contracts/errors';
import { blobProperties, type SourceBlob } from '../../contracts/blobFacts';
import type { SourceFacts } from '../../contracts/endpointFacts';
import { baseName, type HttpLocation } from '../../contracts/locations';
import { OPEN_NETWORK, type NetworkGuard } from '../access/network';
import { DEFAULT_TRANSPORT, readWhole, type ListedPage, type SourceAccess, type SourceEndpoint, type Transport } from '../endpoint';
import { privateBecause, withSecret } from '../urls';
import { HttpReader, type SourcePin } from './reader';

export class HttpSource implements SourceEndpoint {
  readonly facts: SourceFacts;
  private readonly reader: HttpReader;
  private readonly url: string;

  constructor(
    private readonly location: HttpLocation,
    network: NetworkGuard = OPEN_NETWORK,
    transport: Transport = DEFAULT_TRANSPORT,
  ) {
    this.url = withSecret(location.url, location.secret);
    this.reader = new HttpReader(location.url, async () => this.url, "check its URL's signature or expiry", network, transport);
    this.facts = {
      noun: 'the HTTP source',
      listable: false,
      path: location.url,
      servesUrl: true,
      privateBecause: privateBecause(new URL(location.url), 'the source'),
      serviceCopiesProperties: false,
    };
  }

  checkAccess(): void {
    // A URL carries its own grant; nothing to check before asking it.
  }

  /** Size, version, content headers and Range support of the object. */
  async stat(): Promise<SourceBlob> {
    // A one-byte range tells both the size (Content-Range) and whether ranges work (206).
    const res = await this.reader.fetch({ range: 'bytes=0-0' }, 'reading');
    await res.body?.cancel();
    if (res.status === 416) return this.describe(res, 0, true); // an empty object
    if (res.status !== 206 && res.status !== 200) throw this.reader.statusError(res.status, 'reading');
    const total = res.status === 206 ? Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]) : Number(res.headers.get('content-length'));
    if (!Number.isFinite(total)) {
      throw new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} does not say how large it is (no Content-Length or Content-Range); blobferry needs the size to copy.`);
    }
    return this.describe(res, total, res.status === 206);
  }

  async probe(_path: string, prefix: boolean): Promise<{ tagsReadable: boolean }> {
    if (prefix) throw notListable();
    return { tagsReadable: true };
  }

  async listPage(): Promise<ListedPage> {
    throw notListable();
  }

  readRange(blob: SourceBlob, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    return this.reader.readRange(offset, count, pinOf(blob), into);
  }

  stream(blob: SourceBlob): AsyncIterable<Buffer> {
    return this.reader.stream(pinOf(blob));
  }

  /** stat already said everything about the object: one ranged read. */
  readObject(blob: SourceBlob): Promise<{ body: Buffer; blob: SourceBlob }> {
    return readWhole(this, blob);
  }

  /**
   * The URL with its query. No source condition: Azure documents x-ms-source-if-match for blob
   * sources only (AzCopy sends none either), so the version is checked again before the commit.
   */
  async serviceAccess(): Promise<SourceAccess> {
    return { url: this.url };
  }

  /** The object's current version, read with HEAD (a ranged GET where HEAD is refused), against the one planned with. */
  async stillPinned(blob: SourceBlob): Promise<boolean> {
    const now = await this.currentVersion();
    return (blob.etag === undefined || now.etag === blob.etag) && (blob.lastModified === undefined || now.lastModified === blob.lastModified) && (now.size === undefined || now.size === blob.size);
  }

  private async currentVersion(): Promise<SourcePin & { size?: number }> {
    const res = await this.reader.fetch({}, 'checking', 'HEAD');
    if (res.status === 405 || res.status === 501) {
      const probed = await this.stat();
      return { etag: probed.etag, lastModified: probed.lastModified, size: probed.size };
    }
    if (!res.ok) throw this.reader.statusError(res.status, 'checking');
    const lastModified = res.headers.get('last-modified');
    const length = res.headers.get('content-length');
    return { etag: res.headers.get('etag') ?? undefined, lastModified: lastModified ? new Date(lastModified).toISOString() : undefined, size: length === null ? undefined : Number(length) };
  }

  private describe(res: Response, size: number, acceptsRanges: boolean): SourceBlob {
    const header = (name: string) => res.headers.get(name) ?? undefined;
    const lastModified = header('last-modified');
    return {
      name: baseName(decodeURIComponent(new URL(this.location.url).pathname)) || 'index',
      size,
      etag: header('etag'),
      lastModified: lastModified ? new Date(lastModified).toISOString() : undefined,
      blobType: 'Object',
      properties: blobProperties({
        contentType: header('content-type'),
        contentEncoding: header('content-encoding'),
        contentLanguage: header('content-language'),
        contentDisposition: header('content-disposition'),
        cacheControl: header('cache-control'),
        contentMD5: header('content-md5'),
      }),
      acceptsRanges,
    };
  }
}

function pinOf(blob: SourceBlob): SourcePin {
  return { etag: blob.etag, lastModified: blob.lastModified };
}

function notListable(): BlobferryError {
  return new BlobferryError('CONFLICTING_OPTIONS', '--recursive copies a container, bucket or prefix; an HTTP source is a single object.');
}
