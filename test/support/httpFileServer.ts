/**
 * A plain HTTP file server for relay tests: HEAD and GET, single byte ranges (or none, to act
 * as a server that ignores Range), ETag / Last-Modified with If-Match and If-Unmodified-Since,
 * optional Content-MD5. Files live in memory and can be replaced mid-copy.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  contentType?: string;
  /** Send Content-MD5 (true: the right one; a string: that value). */
  contentMD5?: boolean | string;
  etag?: string;
  lastModified?: Date;
}

export interface FileServer {
  origin: string;
  files: Map<string, ServedFile>;
  /** Honour Range requests (default true). */
  ranges: boolean;
  requests: Array<{ method: string; path: string; range?: string; status: number }>;
  put(path: string, body: Buffer, extra?: Partial<ServedFile>): void;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, ServedFile>();
  const state: FileServer = {
    origin: '',
    files,
    ranges: true,
    requests: [],
    put(path, body, extra = {}) {
      files.set(path, { etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: new Date(Math.floor(Date.now() / 1000) * 1000), ...extra, body });
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = files.get(path);
    const answer = (status: number, headers: Record<string, string | number> = {}, body?: Buffer) => {
      state.requests.push({ method: req.method ?? 'GET', path, range: req.headers.range, status });
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!file) return answer(404);
    const ifMatch = req.headers['if-match'];
    const ifUnmodified = req.headers['if-unmodified-since'];
    if ((ifMatch && ifMatch !== file.etag) || (ifUnmodified && file.lastModified && file.lastModified.getTime() > Date.parse(ifUnmodified))) return answer(412);
    const headers: Record<string, string | number> = { 'content-type': file.contentType ?? 'application/octet-stream' };
    if (file.etag) headers.etag = file.etag;
    if (file.lastModified) headers['last-modified'] = file.lastModified.toUTCString();
    if (file.contentMD5) headers['content-md5'] = typeof file.contentMD5 === 'string' ? file.contentMD5 : createHash('md5').update(file.body).digest('base64');
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (state.ranges) headers['accept-ranges'] = 'bytes';
    if (range && state.ranges) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), file.body.length - 1) : file.body.length - 1;
      if (start >= file.body.length) return answer(416, { 'content-range': `bytes */${file.body.length}` });
      const part = file.body.subarray(start, end + 1);
      return answer(206, { ...headers, 'content-range': `bytes ${start}-${end}/${file.body.length}`, 'content-length': part.length }, part);
    }
    return answer(200, { ...headers, 'content-length': file.body.length }, file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
