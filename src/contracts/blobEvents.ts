/**
 * Storage events as Event Grid delivers them, in its own schema or as CloudEvents (pure): which
 * are BlobCreated events, the blob they name, and whether blobferry wrote it.
 */
import { encodeBlobName } from './locations';

export interface BlobCreated {
  /** The event id (duplicate deliveries share it). */
  id: string;
  /** The blob's URL, without query, its name percent-encoded. */
  url: string;
  /** The x-ms-client-request-id of the write that created the blob. */
  clientRequestId?: string;
}

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
/** The prefix of the client request id on every write blobferry makes: its own blobs are known by it. */
export const OWN_WRITE_PREFIX = 'blobferry-';

/** The BlobCreated facts of an event, or undefined for any other event type. */
export function blobCreatedOf(event: unknown): BlobCreated | undefined {
  const e = (event ?? {}) as { id?: unknown; eventType?: unknown; type?: unknown; subject?: unknown; data?: { url?: unknown; clientRequestId?: unknown } };
  if ((e.eventType ?? e.type) !== BLOB_CREATED || typeof e.id !== 'string') return undefined;
  const url = e.data?.url;
  if (typeof url !== 'string') return undefined;
  return { id: e.id, url: blobUrlOf(url, e.subject), ...(typeof e.data?.clientRequestId === 'string' ? { clientRequestId: e.data.clientRequestId } : {}) };
}

/**
 * The blob's URL, rebuilt from the subject (`/blobServices/default/containers/<c>/blobs/<name>`,
 * the raw name) on data.url's service: data.url is not reliably percent-encoded, and a raw `#`,
 * `?` or `%` in a name would be read as URL syntax.
 */
function blobUrlOf(dataUrl: string, subject: unknown): string {
  const match = typeof subject === 'string' ? /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(subject) : null;
  const at = match ? dataUrl.indexOf(`/${match[1]}/`, dataUrl.indexOf('//') + 2) : -1;
  if (!match || at < 0) return dataUrl.split('?')[0];
  return `${dataUrl.slice(0, at)}/${match[1]}/${encodeBlobName(match[2])}`;
}

export function writtenByBlobferry(event: BlobCreated): boolean {
  return event.clientRequestId?.startsWith(OWN_WRITE_PREFIX) ?? false;
}
