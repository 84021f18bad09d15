/**
 * Node HTTP request -> RPC HTTP data for an httpTrigger, and the function's RPC HTTP response
 * -> Node HTTP response: the conversions the Functions host does around a Node.js worker.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpData, RpcTypedData } from '../rpcTypes';

export function toRpcHttpRequest(req: IncomingMessage, url: URL, body: Buffer, params: Record<string, string>): RpcTypedData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const http: RpcHttpData = {
    method: req.method ?? 'GET',
    url: url.toString(),
    headers,
    query,
    params,
    body: body.length > 0 ? { bytes: body } : undefined,
  };
  return { http };
}

interface RpcCookie {
  name: string;
  value: string;
  domain?: { value?: string } | null;
  path?: { value?: string } | null;
  expires?: { value?: { seconds?: number } } | null;
  secure?: { value?: boolean } | null;
  httpOnly?: { value?: boolean } | null;
  sameSite?: string | null;
  maxAge?: { value?: number } | null;
}

export function writeRpcHttpResponse(res: ServerResponse, data: RpcTypedData | null | undefined): void {
  const http = data?.http;
  if (!http) {
    // A function whose HTTP output is empty answers 204, as the Functions host does.
    res.writeHead(204).end();
    return;
  }
  const status = Number(http.statusCode) || 200;
  for (const [name, value] of Object.entries(http.headers ?? {})) res.setHeader(name, value);
  const cookies = (http.cookies ?? []) as RpcCookie[];
  if (cookies.length > 0) res.setHeader('set-cookie', cookies.map(formatCookie));
  const bytes = http.body?.bytes ?? http.body?.stream;
  const body = bytes ? Buffer.from(bytes) : http.body?.string ? Buffer.from(http.body.string) : Buffer.alloc(0);
  res.writeHead(status);
  res.end(body);
}

function formatCookie(c: RpcCookie): string {
  const parts = [`${c.name}=${c.value}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value?.seconds !== undefined) parts.push(`Expires=${new Date(c.expires.value.seconds * 1000).toUTCString()}`);
  if (c.maxAge?.value !== undefined) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  // 'none' means unspecified in the RPC enum; 'explicitNone' is SameSite=None.
  const sameSite = ({ lax: 'Lax', strict: 'Strict', explicitnone: 'None' } as Record<string, string>)[String(c.sameSite).toLowerCase()];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}
