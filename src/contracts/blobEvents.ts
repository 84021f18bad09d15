/**
 * Storage events as Event Grid delivers them, in its own schema or as CloudEvents (pure): which
 * are BlobCreated events, the blob they name, and whether blobferry wrote it.
 */

export interface BlobCreated {
  /** The event id (duplicate deliveries share it). */
  id: string;
  /** The blob's URL, without query. */
  url: string;
  /** The x-ms-client-request-id of the write that created the blob. */
  clientRequestId?: string;
}

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
/** The prefix of the client request id on every write blobferry makes: its own blobs are known by it. */
export const OWN_WRITE_PREFIX = 'blobferry-';

/** The BlobCreated facts of an event, or undefined for any other event type. */
export function blobCreatedOf(event: unknown): BlobCreated | undefined {
  const e = (event ?? {}) as { id?: unknown; eventType?: unknown; type?: unknown; data?: { url?: unknown; clientRequestId?: unknown } };
  if ((e.eventType ?? e.type) !== BLOB_CREATED || typeof e.id !== 'string') return undefined;
  const url = e.data?.url;
  if (typeof url !== 'string') return undefined;
  return { id: e.id, url: url.split('?')[0], ...(typeof e.data?.clientRequestId === 'string' ? { clientRequestId: e.data.clientRequestId } : {}) };
}

export function writtenByBlobferry(event: BlobCreated): boolean {
  return event.clientRequestId?.startsWith(OWN_WRITE_PREFIX) ?? false;
}
