/**
 * The copy engine's functions: the transfer, copyBlob, migrate and serverCopy orchestrations, their
 * activities, and the HTTP API to start a copy and read it (POST /api/copies, GET /api/copies/{id}).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { BlobferryError, isBlobferryError } from '../contracts/errors';
import { redact } from '../contracts/redact';
import { commitBlob } from '../durable/activities/commitBlob';
import { copySmallBlobs } from '../durable/activities/copySmallBlobs';
import { forwardCancel } from '../durable/activities/forwardCancel';
import { inspectTransfer } from '../durable/activities/inspectTransfer';
import { listPage } from '../durable/activities/listPage';
import { prepareBlob } from '../durable/activities/prepareBlob';
import { relaySegment, relayStream } from '../durable/activities/relay';
import { finishServerCopy, serverCopyStatus, startServerCopy, undoServerCopy } from '../durable/activities/serverCopy';
import { leaseSource, releaseSource } from '../durable/activities/sourceLease';
import { stageBlocks } from '../durable/activities/stageBlocks';
import { syncCopyBlob } from '../durable/activities/syncCopy';
import { copyView } from '../durable/copyStatus';
import { copyBlobOrchestrator } from '../durable/orchestrators/copyBlob';
import { migrateOrchestrator } from '../durable/orchestrators/migrate';
import { serverCopyOrchestrator } from '../durable/orchestrators/serverCopy';
import { transferOrchestrator } from '../durable/orchestrators/transfer';
import { prepareTransfer, TRANSFER_ORCHESTRATOR } from '../durable/startTransfer';

df.app.orchestration(TRANSFER_ORCHESTRATOR, transferOrchestrator);
df.app.orchestration('copyBlob', copyBlobOrchestrator);
df.app.orchestration('migrate', migrateOrchestrator);
df.app.orchestration('serverCopy', serverCopyOrchestrator);

df.app.activity('inspectTransfer', { handler: inspectTransfer });
df.app.activity('listPage', { handler: listPage });
df.app.activity('copySmallBlobs', { handler: copySmallBlobs });
df.app.activity('prepareBlob', { handler: prepareBlob });
df.app.activity('stageBlocks', { handler: stageBlocks });
df.app.activity('relaySegment', { handler: relaySegment });
df.app.activity('relayStream', { handler: relayStream });
df.app.activity('commitBlob', { handler: commitBlob });
df.app.activity('syncCopyBlob', { handler: syncCopyBlob });
df.app.activity('startServerCopy', { handler: startServerCopy });
df.app.activity('serverCopyStatus', { handler: serverCopyStatus });
df.app.activity('finishServerCopy', { handler: finishServerCopy });
df.app.activity('undoServerCopy', { handler: undoServerCopy });
df.app.activity('leaseSource', { handler: leaseSource });
df.app.activity('releaseSource', { handler: releaseSource });
df.app.activity('forwardCancel', { extraInputs: [df.input.durableClient()], handler: forwardCancel });

const ACTIVE = new Set(['Pending', 'Running', 'Suspended']);

/** POST /api/copies: start a copy (or find the same one already running). */
app.http('startCopy', {
  route: 'copies',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      let body: unknown;
      try {
        body = JSON.parse(await request.text());
      } catch {
        throw new BlobferryError('INVALID_JSON', 'The request body must be a JSON copy request: {"source": "...", "destination": "...", "options": {...}}.');
      }
      const { instanceId, input } = prepareTransfer(body);
      const client = df.getClient(context);
      const existing = await client.getStatus(instanceId).catch(() => undefined);
      if (!existing || !ACTIVE.has(existing.runtimeStatus)) await client.startNew(TRANSFER_ORCHESTRATOR, { instanceId, input });
      const response = client.createCheckStatusResponse(request, instanceId);
      return { status: 202, headers: response.headers, jsonBody: { id: instanceId, ...((await response.json()) as object) } };
    } catch (err) {
      return errorResponse(err, context);
    }
  },
});

/** GET /api/copies/{id}: progress, strategy, outcome and failures of a copy. */
app.http('getCopy', {
  route: 'copies/{id}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const id = request.params.id;
    const transfer = await client.getStatus(id).catch(() => undefined);
    if (!transfer || transfer.name !== TRANSFER_ORCHESTRATOR) return { status: 404, jsonBody: { code: 'NOT_FOUND', message: `No copy with id '${id}'.` } };
    const child = (transfer.customStatus as { child?: string } | undefined)?.child;
    const worker = child ? await client.getStatus(child).catch(() => undefined) : undefined;
    return { status: 200, jsonBody: copyView(transfer, worker) };
  },
});

function errorResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  if (isBlobferryError(err)) return { status: err.httpStatus, jsonBody: err.toJSON() };
  context.error(redact(`copy request failed: ${(err as Error)?.stack ?? err}`));
  return { status: 500, jsonBody: { code: 'INTERNAL', message: 'The copy could not be started; see the app log.' } };
}
