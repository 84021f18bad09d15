/**
 * Reading one object over HTTP(S), ranges straight into reused buffers, each read pinned to the
 * version seen when planning: If-Match with a strong ETag, else If-Unmodified-Since with
 * Last-Modified. Transient failures (408, 429, 5xx, resets) are tried again with backoff.
 * Shared by plain HTTP sources and S3 (which reads through short-lived presigned URLs).
 * Every request, and every redirect it is sent on, goes through the caller's network guard
 * (access/network.ts): a remote caller's source never reaches an internal address.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { BlobferryError, failureClass } from '../../contracts/errors';
import { OPEN_NETWORK, type NetworkGuard } from '../access/network';
import { DEFAULT_TRANSPORT, type Transport } from '../endpoint';

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface SourcePin {
  etag?: string;
  lastModified?: string;
}

export class HttpReader {
  /**
   * `display`: the object's URL without secrets, for messages. `signedUrl`: the URL to fetch,
   * made anew for each request (a presigned URL lives minutes). `refusedHint`: what to check on a 401/403.
   */
  constructor(
    private readonly display: string,
    private readonly signedUrl: () => Promise<string>,
    private readonly refusedHint: string,
    private readonly network: NetworkGuard = OPEN_NETWORK,
    private readonly transport: Transport = DEFAULT_TRANSPORT,
  ) {}

  /** A byte range, only while the object is still the version `pin` describes, read into `into`. */
  async readRange(offset: number, count: number, pin: SourcePin, into: Buffer = Buffer.allocUnsafe(count)): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.transport.maxTries; attempt++) {
      try {
        return await this.rangeInto(new URL(await this.signedUrl()), offset, count, pin, into);
      } catch (err) {
        if (err instanceof BlobferryError && (failureClass(err.code) === 'final' || err.details?.final)) throw err;
        lastError = err;
      }
      await backoff(attempt);
    }
    throw lastError instanceof BlobferryError ? lastError : new BlobferryError('SOURCE_UNREACHABLE', `Could not read ${this.display}: ${(lastError as Error)?.message ?? 'no answer'}.`);
  }

  private rangeInto(url: URL, offset: number, count: number, pin: SourcePin, into: Buffer): Promise<Buffer> {
    this.network.check(url, `The source ${this.display}`);
    const get = url.protocol === 'https:' ? https.get : http.get;
    return new Promise((resolve, reject) => {
      const req = get(url, { headers: { range: `bytes=${offset}-${offset + count - 1}`, ...pinHeaders(pin) }, agent: this.network.agentFor(url), timeout: this.transport.tryTimeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 206) {
          res.resume();
          if (status === 200) return reject(new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.display} stopped honouring Range requests.`, { final: true }));
          return reject(this.statusError(status, 'reading'));
        }
        let filled = 0;
        res.on('data', (chunk: Buffer) => {
          if (filled + chunk.length > count) return req.destroy(new Error(`more than the ${count} bytes asked for`));
          chunk.copy(into, filled);
          filled += chunk.length;
        });
        res.on('end', () => (filled === count ? resolve(into.subarray(0, count)) : reject(new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.display} sent ${filled} bytes for a range of ${count}.`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  }

  /** The whole object as one stream (servers without Range support). */
  async *stream(pin: SourcePin): AsyncGenerator<Buffer> {
    const res = await this.fetch(pinHeaders(pin), 'reading');
    if (res.status !== 200) throw this.statusError(res.status, 'reading');
    if (!res.body) return;
    for await (const chunk of res.body) yield Buffer.from(chunk as Uint8Array);
  }

  /** One request, tried again while the answer is transient; the last answer whatever it is. */
  async fetch(headers: Record<string, string>, what: string, method = 'GET'): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.transport.maxTries; attempt++) {
      try {
        const res = await this.send(method, headers);
        if (!TRANSIENT.has(res.status) || attempt === this.transport.maxTries) return res;
        await res.body?.cancel();
      } catch (err) {
        if (err instanceof BlobferryError) throw err;
        lastError = err;
        if (attempt === this.transport.maxTries) break;
      }
      await backoff(attempt);
    }
    throw new BlobferryError('SOURCE_UNREACHABLE', `Could not reach the source ${this.display} for ${what} it: ${(lastError as Error)?.message ?? 'no answer'}.`);
  }

  /** One request, following redirects (each hop checked by the network guard), as a fetch Response. */
  private async send(method: string, headers: Record<string, string>): Promise<Response> {
    let url = new URL(await this.signedUrl());
    for (let hop = 0; ; hop++) {
      this.network.check(url, hop === 0 ? `The source ${this.display}` : `The source ${this.display}, redirected to ${url.origin},`);
      const res = await request(url, method, headers, this.network.agentFor(url), this.transport.tryTimeoutMs);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return asResponse(res, method);
      res.resume();
      if (hop === MAX_REDIRECTS) throw new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.display} redirected more than ${MAX_REDIRECTS} times.`, { final: true });
      url = new URL(location, url);
      if (res.statusCode === 303) method = 'GET';
    }
  }

  statusError(status: number, what: string): BlobferryError {
    if (status === 412) return new BlobferryError('SOURCE_CHANGED', `The source ${this.display} changed while it was being copied; nothing was committed. Copy it again.`);
    // Ranges are read within the size the object was described with: one refused means it is shorter now.
    if (status === 416) return new BlobferryError('SOURCE_CHANGED', `The source ${this.display} no longer holds the bytes it had when it was listed (HTTP 416): it changed while it was being copied; nothing was committed. Copy it again.`);
    if (status === 404 || status === 410) return new BlobferryError('SOURCE_NOT_FOUND', `The source ${this.display} does not exist (HTTP ${status}).`);
    if (status === 401 || status === 403) return new BlobferryError('PERMISSION_DENIED', `The source ${this.display} refused ${what} it (HTTP ${status}); ${this.refusedHint}.`);
    if (status === 429) return new BlobferryError('THROTTLED', `The source ${this.display} asks to slow down (HTTP 429) when ${what} it.`);
    if (TRANSIENT.has(status)) return new BlobferryError('SOURCE_UNREACHABLE', `The source ${this.display} answered HTTP ${status} when ${what} it.`);
    return new BlobferryError('STORAGE_REFUSED', `The source ${this.display} answered HTTP ${status} when ${what} it; trying again would not help.`, { final: true });
  }
}

function request(url: URL, method: string, headers: Record<string, string>, agent: http.Agent, timeoutMs: number): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, agent, timeout: timeoutMs }, resolve);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function asResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 502;
  const bodyless = method === 'HEAD' || status === 204 || status === 304;
  if (bodyless) res.resume();
  return new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream), { status, headers });
}

function pinHeaders(pin: SourcePin): Record<string, string> {
  if (pin.etag && !pin.etag.startsWith('W/')) return { 'if-match': pin.etag };
  if (pin.lastModified) return { 'if-unmodified-since': new Date(pin.lastModified).toUTCString() };
  return {};
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * (0.5 + Math.random())));
}
