/**
 * The HTTP API for copies (function keys: authLevel function). docs/api.md has the schemas.
 *
 *   POST /api/copies                 start a copy; the same request again answers the same copy
 *   GET  /api/copies?status=&from=&to=&top=&continuationToken=
 *                                    a page of copies, newest first
 *   GET  /api/copies/{id}            status, strategy, progress, failures (no secrets)
 *   POST /api/copies/{id}/cancel     cancel: a pending server copy is aborted and the destination
 *                                    restored; block copies stop before their commit
 *   POST /api/copies/{id}/credentials
 *                                    fresh SAS tokens for a running copy (the same places)
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { hasEnded, pageOfCopies, parseCopyListQuery } from '../contracts/copyList';
import { BlobferryError, isBlobferryError } from '../contracts/errors';
import { LIMITS } from '../contracts/limits';
import { redact } from '../contracts/redact';
import { copyView } from '../durable/copyStatus';
import { statusOrNone } from '../durable/instanceStatus';
import { CANCEL_EVENT } from '../durable/orchestrators/cancel';
import { keepGivenSecrets, prepareTransfer } from '../durable/startTransfer';
import { transfer } from '../durable/orchestrators/transfer';
import type { TransferInput } from '../durable/types';
import { freshSecrets, keepFreshSecrets } from '../storage/freshCredentials';
import { authorize, parseLocation, resealFor } from '../storage/registry';

/** One route of the API: function keys, a durable client, and errors answered by `answer`. */
function copiesRoute(name: string, method: 'GET' | 'POST', route: string, handle: (request: HttpRequest, client: df.DurableClient) => Promise<HttpResponseInit>): void {
  app.http(name, {
    route,
    methods: [method],
    authLevel: 'function',
    extraInputs: [df.input.durableClient()],
    handler: (request, context) => answer(context, () => handle(request, df.getClient(context))),
  });
}

copiesRoute('startCopy', 'POST', 'copies', async (request, client) => {
  const { instanceId, input } = prepareTransfer(await jsonBody(request), 'remote');
  // A caller-chosen id already running: the same request is an idempotent retry, another is a conflict.
  const sameCopyRunning = async (): Promise<boolean> => {
    const existing = await statusOrNone(client, instanceId, true);
    if (!existing) return false;
    if (existing.name !== transfer.name) throw new BlobferryError('COPY_ID_CONFLICT', `The id '${instanceId}' belongs to another kind of orchestration; choose another id.`);
    if (hasEnded(existing.runtimeStatus)) return false;
    if ((existing.input as Partial<TransferInput> | undefined)?.fingerprint !== input.fingerprint) {
      throw new BlobferryError('COPY_ID_CONFLICT', `A copy with id '${instanceId}' is running another request. Choose another id, or wait for it to end.`);
    }
    return true;
  };
  if (await sameCopyRunning()) {
    // The same request again: its SAS tokens (fresh ones, maybe) serve the running copy from now on.
    await keepGivenSecrets(input);
  } else {
    try {
      await client.startNew(transfer.name, { instanceId, input });
    } catch (err) {
      // The same request posted twice at once: the other one started it.
      if (!(await sameCopyRunning())) throw err;
    }
  }
  // Location: the durable status URL (202 while running, 200 at the end), as the async HTTP pattern has it.
  const check = client.createCheckStatusResponse(request, instanceId);
  return { status: 202, headers: check.headers, jsonBody: { id: instanceId, ...((await check.json()) as object) } };
});

copiesRoute('listCopies', 'GET', 'copies', async (request, client) => {
  const query = parseCopyListQuery(new URL(request.url).searchParams);
  const found = await client.getStatusBy({ createdTimeFrom: query.from, createdTimeTo: query.to, runtimeStatus: query.statuses.length > 0 ? (query.statuses as unknown as df.OrchestrationRuntimeStatus[]) : undefined });
  // A running copy's counts are its worker's (copyBlob or migrate): found in the same answer
  // when the filters let it through, asked for otherwise.
  const byId = new Map(found.map((status) => [status.instanceId, status]));
  const workerOf = async (status: df.DurableOrchestrationStatus) => {
    const child = (status.customStatus as { child?: string } | undefined)?.child;
    if (!child || hasEnded(status.runtimeStatus)) return undefined;
    return byId.get(child) ?? (await client.getStatus(child).catch(() => undefined));
  };
  const transfers = found.filter((status) => status.name === transfer.name);
  const copies = await Promise.all(
    transfers.map(async (status) => {
      const view = copyView(status, await workerOf(status));
      return {
        id: status.instanceId,
        createdTime: new Date(status.createdTime).toISOString(),
        lastUpdatedTime: new Date(status.lastUpdatedTime).toISOString(),
        runtimeStatus: view.runtimeStatus,
        phase: view.phase,
        strategy: view.strategy,
        blobs: view.blobs,
        bytes: view.bytes,
        // What the dashboard's list shows beside the counts: throughput (and so an ETA) while it runs.
        ...(view.rateBytesPerSec !== undefined ? { rateBytesPerSec: view.rateBytesPerSec } : {}),
        ...(view.listing ? { listing: true } : {}),
        ...(view.cancelled ? { cancelled: true } : {}),
        ...(view.error ? { error: view.error } : {}),
      };
    }),
  );
  return { status: 200, jsonBody: pageOfCopies(copies, query) };
});

copiesRoute('getCopy', 'GET', 'copies/{id}', async (request, client) => {
  const copy = await findCopy(client, request.params.id);
  const child = (copy.customStatus as { child?: string } | undefined)?.child;
  const worker = child ? await client.getStatus(child).catch(() => undefined) : undefined;
  return { status: 200, jsonBody: copyView(copy, worker) };
});

copiesRoute('cancelCopy', 'POST', 'copies/{id}/cancel', async (request, client) => {
  const id = request.params.id;
  const copy = await findCopy(client, id);
  if (hasEnded(copy.runtimeStatus)) throw new BlobferryError('NOT_RUNNING', `The copy '${id}' has ended (${copy.runtimeStatus}); there is nothing to cancel.`);
  await client.raiseEvent(id, CANCEL_EVENT, { reason: 'cancelled through the API' });
  const copyUrl = new URL(request.url);
  copyUrl.pathname = copyUrl.pathname.replace(/\/cancel$/, '');
  copyUrl.search = '';
  return { status: 202, headers: { location: copyUrl.href }, jsonBody: { id, cancelling: true } };
});

copiesRoute('setCopyCredentials', 'POST', 'copies/{id}/credentials', async (request, client) => {
  const id = request.params.id;
  const copy = await findCopy(client, id, true);
  if (hasEnded(copy.runtimeStatus)) throw new BlobferryError('NOT_RUNNING', `The copy '${id}' has ended (${copy.runtimeStatus}); start it again with the new credentials instead.`);
  const body = (await jsonBody(request)) as Record<string, unknown> | null;
  const roles = (['source', 'destination'] as const).filter((role) => body && typeof body[role] === 'string');
  const extra = body && typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'source' && k !== 'destination') : [];
  if (roles.length === 0 || extra.length > 0) {
    throw new BlobferryError('BAD_REQUEST', 'Give the copy\'s source and/or destination URL with a fresh SAS: {"source": "https://...?sv=...&sig=...", "destination": "..."}.');
  }
  const input = copy.input as TransferInput;
  const given = await freshSecrets(input.fingerprint);
  const fresh = { source: given?.source, destination: given?.destination };
  for (const role of roles) {
    const text = body![role] as string;
    if (text.length > LIMITS.urlLength) throw new BlobferryError('BAD_REQUEST', `A URL is at most ${LIMITS.urlLength} characters.`, { field: role });
    fresh[role] = resealFor(input, role, authorize(parseLocation(text, role), role, 'remote'));
  }
  await keepFreshSecrets(input.fingerprint, fresh);
  return { status: 200, jsonBody: { id, updated: roles } };
});

async function findCopy(client: df.DurableClient, id: string, showInput = false): Promise<df.DurableOrchestrationStatus> {
  const status = await statusOrNone(client, id, showInput);
  // Only transfers are copies: a job or a transfer's own children (`<id>:blob`, `<id>:prefix`) are not.
  if (!status || status.name !== transfer.name) throw new BlobferryError('NOT_FOUND', `No copy with id '${id}'.`);
  return status;
}

/** JSON bodies only (415 otherwise), at most LIMITS.requestBodyBytes (413), parsed (400 when they are not JSON). */
async function jsonBody(request: HttpRequest): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type.trim())) {
    throw new BlobferryError('UNSUPPORTED_MEDIA_TYPE', `The body must be JSON (content-type: application/json), not ${type.split(';')[0]}.`);
  }
  const tooLarge = () => new BlobferryError('PAYLOAD_TOO_LARGE', `A copy request is at most ${LIMITS.requestBodyBytes} bytes; this one is larger.`);
  if (Number(request.headers.get('content-length')) > LIMITS.requestBodyBytes) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > LIMITS.requestBodyBytes) throw tooLarge();
  try {
    return JSON.parse(text);
  } catch {
    throw new BlobferryError('INVALID_JSON', 'The request body must be a JSON copy request: {"source": "...", "destination": "...", "options": {...}}.');
  }
}

/** Runs a handler; blobferry errors answer with their status and code, anything else with a bare 500 (the log has it). */
async function answer(context: InvocationContext, handle: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await handle();
  } catch (err) {
    if (isBlobferryError(err)) return { status: err.httpStatus, jsonBody: err.toJSON() };
    context.error(redact(`copy API request failed: ${(err as Error)?.stack ?? err}`));
    return { status: 500, jsonBody: { code: 'INTERNAL', message: 'The request failed; see the app log.' } };
  }
}
