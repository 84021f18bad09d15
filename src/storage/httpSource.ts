/**
 * A plain HTTP(S) object as a copy source (relay only). Reads are pinned to the version seen when
 * planning: If-Match with a strong ETag, else If-Unmodified-Since with Last-Modified. A server
 * that ignores Range is read as one stream.
 */
import http from 'node:http';
import https from 'node:https';
import { BlobferryError } from '../contracts/errors';
import type { SourceBlob } from '../contracts/blobFacts';
import type { HttpLocation } from '../contracts/locations';
import { baseName } from '../plan/names';
import { withSecret } from './endpoints';

const REQUEST_TIMEOUT_MS = 5 * 60_000;
const HTTP_AGENT = new http.Agent({ keepAlive: true });
const HTTPS_AGENT = new https.Agent({ keepAlive: true });
const ATTEMPTS = 4;

export interface SourcePin {
  etag?: string;
  lastModified?: string;
}

export class HttpSource {
  constructor(readonly location: HttpLocation) {}

  private get url(): string {
    return withSecret(this.location.url, this.location.secret);
  }

  /** Size, version, content headers and Range support of the object. */
  async probe(): Promise<SourceBlob> {
    // A one-byte range tells both the size (Content-Range) and whether ranges work (206).
    const res = await this.fetch({ range: 'bytes=0-0' }, 'reading');
    await res.body?.cancel();
    if (res.status === 416) return this.describe(res, 0, true); // an empty object
    if (res.status !== 206 && res.status !== 200) throw this.statusError(res.status, 'reading');
    const total = res.status === 206 ? Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]) : Number(res.headers.get('content-length'));
    if (!Number.isFinite(total)) {
      throw new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} does not say how large it is (no Content-Length or Content-Range); blobferry needs the size to copy.`);
    }
    return this.describe(res, total, res.status === 206);
  }

  /** The object's current version, read with HEAD (a ranged GET where HEAD is refused). */
  async currentVersion(): Promise<SourcePin & { size?: number }> {
    const res = await this.fetch({}, 'checking', 'HEAD');
    if (res.status === 405 || res.status === 501) {
      const probed = await this.probe();
      return { etag: probed.etag, lastModified: probed.lastModified, size: probed.size };
    }
    if (!res.ok) throw this.statusError(res.status, 'checking');
    const lastModified = res.headers.get('last-modified');
    const length = res.headers.get('content-length');
    return { etag: res.headers.get('etag') ?? undefined, lastModified: lastModified ? new Date(lastModified).toISOString() : undefined, size: length === null ? undefined : Number(length) };
  }

  /**
   * A byte range, only if the object is still the version `pin` describes, read straight into
   * `into` (a reused block buffer: relay memory stays at its pool, whatever the object's size).
   */
  async readRange(offset: number, count: number, pin: SourcePin, into: Buffer = Buffer.allocUnsafe(count)): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    let lastError: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        return await this.rangeInto(offset, count, pin, into);
      } catch (err) {
        if (err instanceof BlobferryError && err.code !== 'SOURCE_UNREACHABLE') throw err;
        if (err instanceof BlobferryError && err.details?.final) throw err;
        lastError = err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * (0.5 + Math.random())));
    }
    throw lastError instanceof BlobferryError ? lastError : new BlobferryError('SOURCE_UNREACHABLE', `Could not read ${this.location.url}: ${(lastError as Error)?.message ?? 'no answer'}.`);
  }

  private rangeInto(offset: number, count: number, pin: SourcePin, into: Buffer): Promise<Buffer> {
    const url = new URL(this.url);
    const get = url.protocol === 'https:' ? https.get : http.get;
    return new Promise((resolve, reject) => {
      const req = get(url, { headers: { range: `bytes=${offset}-${offset + count - 1}`, ...pinHeaders(pin) }, agent: url.protocol === 'https:' ? HTTPS_AGENT : HTTP_AGENT, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 206) {
          res.resume();
          if (status === 412) return reject(changed(this.location.url));
          if (status === 200) return reject(new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} stopped honouring Range requests.`, { final: true }));
          if ([408, 429, 500, 502, 503, 504].includes(status)) return reject(new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} answered HTTP ${status}.`));
          return reject(this.statusError(status, 'reading'));
        }
        let filled = 0;
        res.on('data', (chunk: Buffer) => {
          if (filled + chunk.length > count) return req.destroy(new Error(`more than the ${count} bytes asked for`));
          chunk.copy(into, filled);
          filled += chunk.length;
        });
        res.on('end', () => (filled === count ? resolve(into.subarray(0, count)) : reject(new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} sent ${filled} bytes for a range of ${count}.`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  }

  /** The whole object as one stream (servers without Range support). */
  async *stream(pin: SourcePin): AsyncGenerator<Buffer> {
    const res = await this.fetch(pinHeaders(pin), 'reading');
    if (res.status === 412) throw changed(this.location.url);
    if (res.status !== 200) throw this.statusError(res.status, 'reading');
    if (!res.body) return;
    for await (const chunk of res.body) yield Buffer.from(chunk as Uint8Array);
  }

  private describe(res: Response, size: number, acceptsRanges: boolean): SourceBlob {
    const header = (name: string) => res.headers.get(name) ?? undefined;
    const lastModified = header('last-modified');
    return {
      name: baseName(decodeURIComponent(new URL(this.location.url).pathname)) || 'index',
      size,
      etag: header('etag'),
      lastModified: lastModified ? new Date(lastModified).toISOString() : undefined,
      blobType: 'Http',
      properties: Object.fromEntries(
        Object.entries({
          contentType: header('content-type'),
          contentEncoding: header('content-encoding'),
          contentLanguage: header('content-language'),
          contentDisposition: header('content-disposition'),
          cacheControl: header('cache-control'),
          contentMD5: header('content-md5'),
        }).filter(([, v]) => v !== undefined),
      ),
      acceptsRanges,
    };
  }

  private async fetch(headers: Record<string, string>, what: string, method = 'GET'): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(this.url, { method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        if (![408, 429, 500, 502, 503, 504].includes(res.status) || attempt === ATTEMPTS) return res;
        await res.body?.cancel();
      } catch (err) {
        lastError = err;
        if (attempt === ATTEMPTS) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * (0.5 + Math.random())));
    }
    throw new BlobferryError('SOURCE_UNREACHABLE', `Could not reach the source ${this.location.url} for ${what} it: ${(lastError as Error)?.message ?? 'no answer'}.`);
  }

  private statusError(status: number, what: string): BlobferryError {
    if (status === 404 || status === 410) return new BlobferryError('SOURCE_NOT_FOUND', `The source ${this.location.url} does not exist (HTTP ${status}).`);
    if (status === 401 || status === 403) return new BlobferryError('PERMISSION_DENIED', `The source ${this.location.url} refused ${what} it (HTTP ${status}); check its URL's signature or expiry.`);
    return new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.location.url} answered HTTP ${status} when ${what} it.`);
  }
}

function pinHeaders(pin: SourcePin): Record<string, string> {
  if (pin.etag && !pin.etag.startsWith('W/')) return { 'if-match': pin.etag };
  if (pin.lastModified) return { 'if-unmodified-since': new Date(pin.lastModified).toUTCString() };
  return {};
}

function changed(url: string): BlobferryError {
  return new BlobferryError('SOURCE_CHANGED', `The source ${url} changed while it was being copied; nothing was committed. Copy it again.`);
}
