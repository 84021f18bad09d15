/** The copies API of a running blobferry host, as the CLI calls it (--host): its errors become BlobferryErrors. */
import { BlobferryError, isErrorCode, messageOf } from '../contracts/errors';

export interface HostApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

/** `key`: the host's function key (default BLOBFERRY_FUNCTION_KEY). */
export function hostApi(hostUrl: string, key = process.env.BLOBFERRY_FUNCTION_KEY): HostApi {
  const base = hostUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) };
  const call = async <T>(path: string, init: RequestInit): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers });
    } catch (err) {
      throw new BlobferryError('CONFIG_INVALID', `Cannot reach the host at ${new URL(base).origin}: ${messageOf(err)}`);
    }
    const body = (await res.json().catch(() => ({}))) as T & { code?: string; message?: string };
    if (res.ok) return body;
    throw new BlobferryError(isErrorCode(body.code) ? body.code : 'INTERNAL', body.message ?? `The host answered HTTP ${res.status}.`);
  };
  return {
    get: (path) => call(path, {}),
    post: (path, body) => call(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
  };
}

/** Where the host's dashboard shows a copy (src/web/); the function key is not in it: the page asks for it. */
export function dashboardUrl(hostUrl: string, copyId: string): string {
  return `${hostUrl.replace(/\/+$/, '')}/api/dashboard/#/copies/${encodeURIComponent(copyId)}`;
}
