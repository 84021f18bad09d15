// The copies API (docs/api.md) as the page calls it. The API sits beside the dashboard
// (/api/dashboard/ -> /api/copies), so the page works under any route prefix.
//
// The function key, when the host wants one, is asked for once per tab and kept in
// sessionStorage; it travels in the x-functions-key header only, never in a URL.

const KEY_ITEM = 'blobferry.functionKey';

export const functionKey = {
  get: () => sessionStorage.getItem(KEY_ITEM) ?? '',
  set: (key) => sessionStorage.setItem(KEY_ITEM, key),
};

// Answers a host gives while it is away, restarting or overloaded (a gateway's, or Azure's front end's).
const AWAY = [502, 503, 504];

/** An answer other than success: the API's stable code and message, or UNREACHABLE when the host did not answer. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Worth trying again by itself: the host is down, restarting or overloaded. */
  get passing() {
    return this.code === 'UNREACHABLE' || AWAY.includes(this.status);
  }
}

const copiesUrl = (path) => new URL(`../copies${path}`, document.baseURI);

async function call(path, init = {}) {
  const key = functionKey.get();
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'x-functions-key': key } : {}) };
  let res;
  try {
    res = await fetch(copiesUrl(path), { ...init, headers, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'UNREACHABLE', 'The blobferry host does not answer.');
  }
  const body = await res.json().catch(() => undefined);
  if (res.ok) return body;
  // Azure's Functions host refuses a missing or wrong key with a bare 401 (no body); the local host says UNAUTHORIZED.
  const code = res.status === 401 ? 'UNAUTHORIZED' : (body?.code ?? (AWAY.includes(res.status) ? 'UNREACHABLE' : 'INTERNAL'));
  throw new ApiError(res.status, code, body?.message ?? `The host answered HTTP ${res.status}.`, body?.details);
}

/** GET /api/copies: a page of copies, newest first. */
export function listCopies({ status, top, continuationToken }) {
  const query = new URLSearchParams();
  if (status) query.set('status', status);
  if (top) query.set('top', String(top));
  if (continuationToken) query.set('continuationToken', continuationToken);
  return call(`?${query}`);
}

export const getCopy = (id) => call(`/${encodeURIComponent(id)}`);

export const cancelCopy = (id) => call(`/${encodeURIComponent(id)}/cancel`, { method: 'POST' });

export const startCopy = (request) => call('', { method: 'POST', body: JSON.stringify(request) });
