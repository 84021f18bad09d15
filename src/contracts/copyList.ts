/**
 * GET /api/copies: which copies to list, and how to page through them (pure). Copies come
 * newest first; the continuation token is a cursor (the last copy's creation time and id), so
 * copies started meanwhile never shift a page.
 */
import { BlobferryError } from './errors';

/** The Durable runtime statuses (the local host's Durable API filters by them too). */
export const RUNTIME_STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended'] as const;
export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

/** A copy in one of these has ended: completed (cancelled ones too), failed, terminated. */
export function hasEnded(status: string): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated';
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export interface CopyListQuery {
  statuses: RuntimeStatus[];
  from?: Date;
  to?: Date;
  top: number;
  after?: { createdTime: string; id: string };
}

/** Reads ?status=running,failed&from=<ISO>&to=<ISO>&top=<n>&continuationToken=<token>; every bad parameter is listed. */
export function parseCopyListQuery(params: URLSearchParams): CopyListQuery {
  const errors: Array<{ field: string; message: string }> = [];
  const statuses = (params.get('status') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((s) => {
      const match = RUNTIME_STATUSES.find((status) => status.toLowerCase() === s.toLowerCase());
      if (!match) errors.push({ field: 'status', message: `"${s}" is not one of ${RUNTIME_STATUSES.join(', ').toLowerCase()}` });
      return match ? [match] : [];
    });
  const date = (field: 'from' | 'to'): Date | undefined => {
    const text = params.get(field);
    if (text === null) return undefined;
    const when = new Date(text);
    if (Number.isNaN(when.getTime())) errors.push({ field, message: `"${text}" is not a date (ISO 8601, e.g. 2026-11-23T10:00:00Z)` });
    return when;
  };
  const from = date('from');
  const to = date('to');
  if (from && to && from > to) errors.push({ field: 'from', message: 'is after "to"' });
  const topText = params.get('top');
  const top = topText === null ? DEFAULT_PAGE : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) errors.push({ field: 'top', message: `must be a whole number from 1 to ${MAX_PAGE}` });
  const token = params.get('continuationToken');
  const after = token === null ? undefined : readToken(token);
  if (token !== null && !after) errors.push({ field: 'continuationToken', message: 'is not a token this API gave out' });
  if (errors.length > 0) {
    throw new BlobferryError('BAD_REQUEST', `The list query is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
  }
  return { statuses, from, to, top, after };
}

/** One page of copies, newest first, and the token for the next page when there is one. */
export function pageOfCopies<T extends { createdTime: string; id: string }>(copies: T[], query: CopyListQuery): { copies: T[]; continuationToken?: string } {
  const newestFirst = [...copies].sort((a, b) => (a.createdTime === b.createdTime ? b.id.localeCompare(a.id) : b.createdTime.localeCompare(a.createdTime)));
  const after = query.after;
  const rest = after ? newestFirst.filter((c) => c.createdTime < after.createdTime || (c.createdTime === after.createdTime && c.id.localeCompare(after.id) < 0)) : newestFirst;
  const page = rest.slice(0, query.top);
  const last = page[page.length - 1];
  return rest.length > page.length && last ? { copies: page, continuationToken: writeToken({ createdTime: last.createdTime, id: last.id }) } : { copies: page };
}

function writeToken(cursor: { createdTime: string; id: string }): string {
  return Buffer.from(JSON.stringify([cursor.createdTime, cursor.id])).toString('base64url');
}

function readToken(token: string): { createdTime: string; id: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { createdTime: value[0], id: value[1] };
  } catch {
    // not ours
  }
  return undefined;
}
