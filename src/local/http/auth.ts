/**
 * Function keys, as the Functions host checks them: with setting BLOBFERRY_FUNCTION_KEY set,
 * `function` and `admin` level HTTP functions and the Durable webhooks need the key in the
 * `x-functions-key` header or the `code` query parameter. Without it, every route is open and
 * the host says so when it starts (as `func start` does).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function hasValidKey(req: IncomingMessage, url: URL, key: string | undefined): boolean {
  if (!key) return true;
  const header = req.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requiresKey(authLevel: unknown): boolean {
  return String(authLevel ?? 'anonymous').toLowerCase() !== 'anonymous';
}
