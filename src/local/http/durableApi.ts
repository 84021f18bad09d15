/**
 * The Durable Functions HTTP API, served twice by the local host:
 *  - public webhooks under /runtime/webhooks/durabletask/ (function key required when set), and
 *  - the loopback RPC endpoint the durable client in the app calls through `rpcBaseUrl`.
 * Same paths below the base on both: orchestrators/{name}[/{id}], instances[/{id}],
 * instances/{id}/terminate|suspend|resume|rewind, instances/{id}/raiseEvent/{event}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlobferryError } from '../../contracts/errors';
import type { DurableEngine, ListFilter } from '../durable/engine';
import { RUNTIME_STATUSES } from '../../contracts/copyList';
import type { RuntimeStatus } from '../durable/state';
import type { InstanceStatus } from '../durable/status';
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
    private readonly taskHub: string,
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
    const allow = err instanceof BlobferryError ? err.details?.allow : undefined;
    if (Array.isArray(allow)) res.setHeader('allow', allow.join(', '));
    sendError(res, err);
  }
}

async function route(engine: DurableEngine, urls: WebhookUrls, req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const [collection, id, action, eventName, ...extra] = segments;
  const allow = (methods: string[]) => {
    if (!methods.includes(method)) throw new BlobferryError('METHOD_NOT_ALLOWED', `${method} is not supported here; use ${methods.join(' or ')}.`, { allow: methods });
  };

  if (collection === 'orchestrators' && id && !eventName) {
    allow(['POST']);
    const input = parseJsonBody(await readBody(req));
    const instanceId = engine.startNew(id, { instanceId: action, input });
    const payload = urls.management(instanceId);
    sendJson(res, 202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
    return;
  }
  if (collection === 'instances' && !id) {
    allow(['GET', 'DELETE']);
    const filter = listFilter(url, req);
    if (method === 'GET') {
      const page = engine.list(filter);
      sendJson(res, 200, page.instances, page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {});
    } else {
      if (!filter.createdTimeFrom) throw new BlobferryError('BAD_REQUEST', "Please provide value for 'createdTimeFrom' parameter.");
      const deleted = engine.purgeMany(filter);
      if (deleted === 0) sendJson(res, 404, { code: 'INSTANCE_NOT_FOUND', message: 'No finished instance matches the filter.' });
      else sendJson(res, 200, { instancesDeleted: deleted });
    }
    return;
  }
  if (collection === 'instances' && id && !action) {
    allow(['GET', 'DELETE']);
    if (method === 'DELETE') {
      const deleted = engine.purge(id);
      if (deleted === 0) sendJson(res, 404, notFound(id));
      else sendJson(res, 200, { instancesDeleted: deleted });
      return;
    }
    const status = engine.getStatus(id, {
      showHistory: flag(url, 'showHistory'),
      showHistoryOutput: flag(url, 'showHistoryOutput'),
      showInput: url.searchParams.get('showInput')?.toLowerCase() !== 'false',
    });
    if (!status) return sendJson(res, 404, notFound(id));
    const code = statusCode(status, flag(url, 'returnInternalServerErrorOnFailure'));
    sendJson(res, code, status, code === 202 ? { location: url.toString(), 'retry-after': '5' } : {});
    return;
  }
  if (collection === 'instances' && id && action && !extra.length) {
    allow(['POST']);
    const reason = url.searchParams.get('reason') ?? '';
    switch (action.toLowerCase()) {
      case 'terminate':
        if (eventName) break;
        return accepted(res, () => engine.terminate(id, reason));
      case 'suspend':
        if (eventName) break;
        return accepted(res, () => engine.suspend(id, reason));
      case 'resume':
        if (eventName) break;
        return accepted(res, () => engine.resume(id, reason));
      case 'raiseevent': {
        if (!eventName) throw new BlobferryError('BAD_REQUEST', 'The event name is missing: POST .../instances/{id}/raiseEvent/{eventName}.');
        const body = await readBody(req);
        // The extension checks the instance before the body: unknown 404, finished 410, then 415/400.
        engine.requireActive(id);
        if (body.length > 0 && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
          throw new BlobferryError('BAD_REQUEST', 'Only application/json request content is supported for raiseEvent.');
        }
        const data = parseJsonBody(body);
        return accepted(res, () => engine.raiseEvent(id, eventName, data));
      }
      case 'rewind':
      case 'restart':
        throw new BlobferryError('NOT_SUPPORTED', `${action} is not supported by the blobferry local host; start a new instance instead.`);
    }
  }
  if (collection === 'entities') {
    throw new BlobferryError('NOT_SUPPORTED', 'Durable entities are not supported by the blobferry local host.');
  }
  throw new BlobferryError('NOT_FOUND', `No Durable API at ${url.pathname}.`);
}

/**
 * As the extension's HttpApiHandler answers (its source, not the docs page, which also lists
 * 400): 202 while an instance runs, 200 once it completed, failed or was terminated, 500 for a
 * failure when the caller asks with returnInternalServerErrorOnFailure=true.
 */
function statusCode(status: InstanceStatus, failureIs500: boolean): number {
  switch (status.runtimeStatus) {
    case 'Completed':
    case 'Terminated':
      return 200;
    case 'Failed':
      return failureIs500 ? 500 : 200;
    default:
      return 202;
  }
}

/** Runs an instance operation: 202 when taken, 404 unknown instance, 410 already finished. */
function accepted(res: ServerResponse, operation: () => void): void {
  operation();
  res.writeHead(202).end();
}

function notFound(instanceId: string) {
  return { code: 'INSTANCE_NOT_FOUND', message: `No orchestration instance with ID '${instanceId}' exists.` };
}

function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name)?.toLowerCase() === 'true';
}

function listFilter(url: URL, req: IncomingMessage): ListFilter {
  const statuses = (url.searchParams.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const match = RUNTIME_STATUSES.find((r) => r.toLowerCase() === s.toLowerCase());
      if (!match) throw new BlobferryError('BAD_REQUEST', `runtimeStatus "${s}" is not one of ${RUNTIME_STATUSES.join(', ')}.`);
      return match;
    });
  const date = (name: string) => {
    const text = url.searchParams.get(name);
    if (!text) return undefined;
    const d = new Date(text);
    if (Number.isNaN(d.getTime())) throw new BlobferryError('BAD_REQUEST', `${name} "${text}" is not a date; use ISO 8601, e.g. 2024-05-01T00:00:00Z.`);
    return d;
  };
  const topText = url.searchParams.get('top');
  const top = topText === null ? undefined : Number(topText);
  if (top !== undefined && (!Number.isInteger(top) || top < 1)) throw new BlobferryError('BAD_REQUEST', `top "${topText}" must be a positive integer.`);
  const token = req.headers['x-ms-continuation-token'];
  return {
    instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
    runtimeStatus: statuses,
    createdTimeFrom: date('createdTimeFrom'),
    createdTimeTo: date('createdTimeTo'),
    top,
    continuationToken: Array.isArray(token) ? token[0] : token,
    showInput: url.searchParams.get('showInput')?.toLowerCase() !== 'false',
  };
}
