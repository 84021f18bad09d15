/** Small helpers every local HTTP handler uses: JSON answers, error answers, bounded bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlobferryError, isBlobferryError } from '../../contracts/errors';
import { LIMITS } from '../../contracts/limits';
import { redact } from '../../contracts/redact';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An error as `{code, message}` with the status its code stands for; unknown errors are 500 without internals. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (isBlobferryError(err) && err.code === 'PAYLOAD_TOO_LARGE') {
    // The rest of an oversized body is not read: answer, then close the connection.
    res.setHeader('connection', 'close');
    res.once('finish', () => res.socket?.destroy());
  }
  if (isBlobferryError(err)) {
    sendJson(res, err.httpStatus, { code: err.code, message: redact(err.message), ...(err.details ? { details: err.details } : {}) });
  } else {
    sendJson(res, 500, { code: 'INTERNAL', message: 'The host failed to handle the request; see its log.' });
  }
}

export function readBody(req: IncomingMessage, limit: number = LIMITS.hostBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BlobferryError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`);
    if (Number(req.headers['content-length']) > limit) {
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BlobferryError('INVALID_JSON', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}
