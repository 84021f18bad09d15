/**
 * The Durable Functions HTTP API, served twice by the local host:
 *  - public webhooks under /runtime/webhooks/durabletask/ (function key required when set), and
 *  - the loopback RPC endpoint the durable client in the app calls through `rpcBaseUrl`.
 * Same paths below the base on both: orchestrators/{name}[/{id}], instances[/{id}],
 * instances/{id}/terminate|suspend|resume|rewind|restart, instances/{id}/raiseEvent/{event}.
 *
 * Every answer follows the extension's HttpApiHandler (its source, not the docs page): the same
 * status codes, empty bodies where it sends none (404 for an unknown instance or route or a
 * method it does not serve, 410 for a finished instance, 202 for an accepted operation), its
 * headers (Location, Retry-After, x-ms-continuation-token) and its query parsing
 * (extensionQuery.ts). Where the local host answers differently on purpose,
 * docs/architecture.md lists it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasEnded } from '../../contracts/copyList';
import { BlobferryError } from '../../contracts/errors';
import type { DurableEngine } from '../durable/engine';
import type { InstanceStatus } from '../durable/status';
import { ExtensionQuery, ORCHESTRATION_RUNTIME_STATUSES, ORCHESTRATION_STATUSES } from './extensionQuery';
import { parseJsonBody, readBody, sendError, sendJson } from './respond';

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** Builds the public webhook URLs the extension hands out for an instance. */
export class WebhookUrls {
  constructor(
    private readonly origin: () => string,
    readonly taskHub: string,
    private readonly functionKey: string | undefined,
  ) {}

  get base(): string {
    return `${this.origin()}/runtime/webhooks/durabletask`;
  }

  get query(): string {
    return `taskHub=${encodeURIComponent(this.taskHub)}&connection=Storage${this.functionKey ? `&code=${encodeURIComponent(this.functionKey)}` : ''}`;
  }

  management(instanceId: string): ManagementUrls {
    const instance = `${this.base}/instances/${encodeURIComponent(instanceId)}`;
    const q = this.query;
    return {
      id: instanceId,
      statusQueryGetUri: `${instance}?${q}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${q}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${instance}?${q}`,
      restartPostUri: `${instance}/restart?${q}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${q}`,
      resumePostUri: `${instance}/resume?reason={text}&${q}`,
    };
  }

  /**
   * The durableClient binding's data for an out-of-process function (what df.getClient reads):
   * URL templates with the extension's placeholders, and the RPC base URL it calls.
   */
  clientBindingData(rpcBaseUrl: string): Record<string, unknown> {
    // Creation URLs carry only the key, not taskHub/connection (BindingHelper in the extension).
    const required = this.functionKey ? `code=${encodeURIComponent(this.functionKey)}` : '';
    return {
      taskHubName: this.taskHub,
      creationUrls: {
        createNewInstancePostUri: `${this.base}/orchestrators/{functionName}[/{instanceId}]?${required}`,
        createAndWaitOnNewInstancePostUri: `${this.base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}${required ? `&${required}` : ''}`,
      },
      managementUrls: this.management('INSTANCEID'),
      baseUrl: this.base,
      requiredQueryStringParameters: required,
      rpcBaseUrl,
      connectionName: null,
      // Only set for gRPC (isolated) workers; a Node.js worker gets null.
      httpBaseUrl: null,
    };
  }
}

/** Handles a request whose path (below the API base) is `segments`. */
export async function handleDurableApi(engine: DurableEngine, urls: WebhookUrls, req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]): Promise<void> {
  try {
    await route(engine, urls, req, res, url, segments);
  } catch (err) {
    sendError(res, err);
  }
}

/** The extension's IsCompletedStatus (Completed, Failed, Terminated; and Canceled, which nothing sets): terminate, suspend, resume and raise event answer 410. */
const FINISHED = { has: hasEnded };

async function route(engine: DurableEngine, urls: WebhookUrls, req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const query = new ExtensionQuery(url.search);
  const [collection, id, action, eventName, ...extra] = segments;
  // The extension's routes, tried in its order; anything else (a wrong method too) is a bare 404.
  if (collection === 'orchestrators' && id && !eventName) {
    if (method !== 'POST') return bare(res, 404);
    if (!servesHub(urls, query)) throw new BlobferryError('NOT_FOUND', `This host runs task hub ${urls.taskHub}; it cannot start orchestrations in task hub ${query.get('taskHub')}.`);
    const wait = waitOptions(query);
    const input = parseJsonBody(await readBody(req));
    return checkStatusOrWait(engine, urls, res, url, wait, engine.startNew(id, { instanceId: action, input }));
  }
  if (collection === 'entities') {
    throw new BlobferryError('NOT_SUPPORTED', 'Durable entities are not supported by the blobferry local host.');
  }
  if (collection === 'instances' && segments.length <= 3) {
    const hub = servesHub(urls, query);
    if (!id) {
      if (method === 'GET') return listInstances(engine, req, res, query, hub);
      if (method === 'DELETE') return purgeInstances(engine, res, query, hub);
      return bare(res, 404);
    }
    const instance = hub ? engine.getStatus(id, { showInput: true }) : undefined;
    if (!action) {
      if (method === 'GET') return instanceStatus(engine, res, url, query, id, hub);
      if (method !== 'DELETE') return bare(res, 404);
      if (!instance) return bare(res, 404);
      return sendJson(res, 200, { instancesDeleted: engine.purge(id) });
    }
    if (method !== 'POST') return bare(res, 404);
    const reason = query.get('reason') ?? '';
    switch (action.toLowerCase()) {
      case 'terminate':
        return operate(res, instance, FINISHED, () => engine.terminate(id, reason));
      case 'suspend':
        return operate(res, instance, FINISHED, () => engine.suspend(id, reason));
      case 'resume':
        return operate(res, instance, FINISHED, () => engine.resume(id, reason));
      case 'rewind':
        // The extension rewinds a failed instance only; a completed, terminated or cancelled one is 410.
        return operate(res, instance, new Set(['Completed', 'Terminated', 'Canceled']), () => {
          throw new BlobferryError('NOT_SUPPORTED', 'rewind is not supported by the blobferry local host; restart the instance or start a new one instead.');
        });
      case 'restart': {
        if (!instance) throw new BlobferryError('BAD_REQUEST', `InstanceId does not match a valid orchestration instance: no instance '${id}' exists.`);
        const wait = waitOptions(query);
        const sameId = query.bool('restartWithNewInstanceId') === false;
        const restarted = engine.startNew(instance.name, { instanceId: sameId ? id : undefined, input: instance.input ?? undefined });
        return checkStatusOrWait(engine, urls, res, url, wait, restarted);
      }
    }
    return bare(res, 404);
  }
  if (collection === 'instances' && action?.toLowerCase() === 'raiseevent' && eventName && extra.length === 0) {
    if (method !== 'POST') return bare(res, 404);
    // As the extension: the instance first (404, 410), then the content type, then the body.
    const instance = servesHub(urls, query) ? engine.getStatus(id, {}) : undefined;
    if (!instance) return bare(res, 404);
    if (FINISHED.has(instance.runtimeStatus)) return bare(res, 410);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') throw new BlobferryError('BAD_REQUEST', 'Only application/json request content is supported; send the event data as JSON with Content-Type: application/json.');
    const body = await readBody(req);
    if (body.length === 0) throw new BlobferryError('INVALID_JSON', 'Invalid JSON content: the event data is missing; send JSON (null for no data).');
    engine.raiseEvent(id, eventName, parseJsonBody(body));
    return bare(res, 202);
  }
  return bare(res, 404);
}

/**
 * A taskHub parameter naming another hub finds nothing here: this host runs one hub, and the
 * extension looks instances up in the hub the caller names. Hub names compare as Azure Storage
 * compares them (case-insensitive).
 */
function servesHub(urls: WebhookUrls, query: ExtensionQuery): boolean {
  const hub = query.get('taskHub');
  return !hub?.trim() || hub.trim().toLowerCase() === urls.taskHub.toLowerCase();
}

/**
 * `timeout` and `pollingInterval` (seconds) on a start or restart: wait that long for the outcome.
 * Checked before anything starts (the extension starts the instance, then answers 400).
 */
function waitOptions(query: ExtensionQuery): { timeoutMs: number } | undefined {
  const timeout = query.seconds('timeout');
  const interval = query.seconds('pollingInterval');
  if (timeout === undefined || interval === undefined) return undefined;
  if (interval > timeout) throw new BlobferryError('BAD_REQUEST', `Total timeout ${timeout} should be bigger than retry timeout ${interval} (timeout and pollingInterval are in seconds).`);
  return { timeoutMs: Math.max(1, timeout * 1000) };
}

/** 202 with the management payload (CreateCheckStatusResponse), or the outcome if it ends within the wait. */
async function checkStatusOrWait(engine: DurableEngine, urls: WebhookUrls, res: ServerResponse, url: URL, wait: { timeoutMs: number } | undefined, instanceId: string): Promise<void> {
  if (wait) {
    // The local engine tells when an instance ends, so it waits for that rather than polling.
    const ended = await engine.waitForCompletion(instanceId, wait).catch(() => undefined);
    if (ended?.runtimeStatus === 'Completed') return sendJson(res, 200, ended.output);
    if (ended) return instanceStatus(engine, res, url, new ExtensionQuery(''), instanceId, true);
  }
  const { rewindPostUri: _notInThisAnswer, ...payload } = urls.management(instanceId);
  sendJson(res, 202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
}

function instanceStatus(engine: DurableEngine, res: ServerResponse, url: URL, query: ExtensionQuery, id: string, hub: boolean): void {
  const status = hub
    ? engine.getStatus(id, { showHistory: query.bool('showHistory') ?? false, showHistoryOutput: query.bool('showHistoryOutput') ?? false, showInput: query.bool('showInput') ?? true })
    : undefined;
  if (!status) return bare(res, 404);
  const code = statusCode(status, query.bool('returnInternalServerErrorOnFailure') ?? false);
  sendJson(res, code, status, code === 202 ? { location: url.toString(), 'retry-after': '5' } : {});
}

/**
 * As the extension's HttpApiHandler answers (its source, not the docs page, which also lists
 * 400): 202 while an instance runs, 200 once it completed, failed or was terminated, 500 for a
 * failure when the caller asks with returnInternalServerErrorOnFailure=true.
 */
function statusCode(status: InstanceStatus, failureIs500: boolean): number {
  // Running, Pending, ContinuedAsNew, Suspended: still going (HandleGetStatusRequestAsync).
  if (!hasEnded(status.runtimeStatus)) return 202;
  if (status.runtimeStatus === 'Failed' && failureIs500) return 500;
  return 200;
}

/** An instance operation: 404 unknown, 410 in one of the `gone` statuses, else done and 202. */
function operate(res: ServerResponse, instance: InstanceStatus | undefined, gone: { has(status: string): boolean }, operation: () => void): void {
  if (!instance) return bare(res, 404);
  if (gone.has(instance.runtimeStatus)) return bare(res, 410);
  operation();
  bare(res, 202);
}

/** The page size the extension lists with when the caller gives no `top` (OrchestrationStatusQueryCondition). */
const DEFAULT_PAGE_SIZE = 100;

function listInstances(engine: DurableEngine, req: IncomingMessage, res: ServerResponse, query: ExtensionQuery, hub: boolean): void {
  const runtimeStatus = query.statuses('runtimeStatus', ORCHESTRATION_RUNTIME_STATUSES);
  // The extension converts each status to DurableTask.Core's enum, which has no Unknown: an ArgumentException, 400.
  if (runtimeStatus?.includes('Unknown')) throw new BlobferryError('BAD_REQUEST', 'runtimeStatus Unknown cannot be listed; use Pending, Running, Completed, Failed, Terminated or Suspended.');
  const top = query.int('top');
  if (top !== undefined && top < 1) throw new BlobferryError('BAD_REQUEST', `top ${top} must be a positive integer (the page size).`);
  const token = req.headers['x-ms-continuation-token'];
  const page = hub
    ? engine.list({
        instanceIdPrefix: query.get('instanceIdPrefix'),
        runtimeStatus,
        createdTimeFrom: query.date('createdTimeFrom'),
        createdTimeTo: query.date('createdTimeTo'),
        top: top ?? DEFAULT_PAGE_SIZE,
        continuationToken: (Array.isArray(token) ? token[0] : token) || undefined,
        showInput: query.bool('showInput') ?? true,
      })
    : { instances: [] };
  // On every page, the last one too: there it is empty (the extension adds a null token).
  sendJson(res, 200, page.instances, { 'x-ms-continuation-token': page.continuationToken ?? '' });
}

function purgeInstances(engine: DurableEngine, res: ServerResponse, query: ExtensionQuery, hub: boolean): void {
  const createdTimeFrom = query.date('createdTimeFrom');
  if (!createdTimeFrom) throw new BlobferryError('BAD_REQUEST', "Please provide value for 'createdTimeFrom' parameter (an ISO 8601 time).");
  const deleted = hub
    ? engine.purgeMany({ createdTimeFrom, createdTimeTo: query.date('createdTimeTo') ?? new Date(), runtimeStatus: query.statuses('runtimeStatus', ORCHESTRATION_STATUSES) })
    : 0;
  if (deleted === 0) return bare(res, 404);
  sendJson(res, 200, { instancesDeleted: deleted });
}

/** A status with no body, as the extension's CreateResponse(statusCode) sends it. */
function bare(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' }).end();
}
