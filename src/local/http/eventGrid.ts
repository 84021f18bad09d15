/**
 * The Event Grid webhook of the Functions host, on the local host:
 * `POST /runtime/webhooks/eventgrid?functionName=<name>` (function key when keys are on).
 *
 * - `aeg-event-type` (required, any case) `SubscriptionValidation`: the handshake; answers
 *   `{"validationResponse": code}`. `Unsubscribe`: acknowledged.
 * - `Notification`: a JSON array of events in the Event Grid schema or CloudEvents, or one event
 *   object; the function runs once per event, all at once. If any fails the answer is 500, so
 *   Event Grid delivers the batch again.
 * - `OPTIONS` with `WebHook-Request-Origin`: the CloudEvents handshake (`WebHook-Allowed-Origin`).
 * Anything else is a 400 with the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlobferryError } from '../../contracts/errors';
import type { CapturedFunction } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../logger';
import { readBody, sendJson } from './respond';

export async function handleEventGridWebhook(req: IncomingMessage, res: ServerResponse, url: URL, functions: CapturedFunction[], invoker: Invoker, logger: Logger): Promise<void> {
  if (req.method === 'OPTIONS') {
    const origin = req.headers['webhook-request-origin'];
    if (typeof origin !== 'string') throw new BlobferryError('BAD_REQUEST', 'A CloudEvents validation request needs a WebHook-Request-Origin header.');
    res.writeHead(200, { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*' }).end();
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST, OPTIONS');
    throw new BlobferryError('METHOD_NOT_ALLOWED', 'The Event Grid webhook takes POST (events) and OPTIONS (CloudEvents validation).');
  }
  const name = url.searchParams.get('functionName');
  const fn = functions.find((f) => f.trigger.type === 'eventGridTrigger' && f.metadata.name.toLowerCase() === (name ?? '').toLowerCase());
  if (!fn) throw new BlobferryError('NOT_FOUND', `No Event Grid function named "${name ?? ''}" (?functionName=...).`);
  const kindHeader = req.headers['aeg-event-type'];
  if (typeof kindHeader !== 'string') throw new BlobferryError('BAD_REQUEST', 'An Event Grid delivery carries an aeg-event-type header (Notification, SubscriptionValidation or Unsubscribe).');
  const kind = kindHeader.toLowerCase();
  if (kind === 'unsubscribe') {
    res.writeHead(202).end();
    return;
  }
  const events = parseEvents(await readBody(req));
  if (kind === 'subscriptionvalidation') {
    const code = (events[0] as { data?: { validationCode?: unknown } }).data?.validationCode;
    if (typeof code !== 'string') throw new BlobferryError('BAD_REQUEST', 'A subscription validation event needs data.validationCode.');
    logger.info(`Event Grid subscription validated for ${fn.metadata.name}.`);
    return sendJson(res, 200, { validationResponse: code });
  }
  if (kind !== 'notification') throw new BlobferryError('BAD_REQUEST', `Unknown aeg-event-type "${kindHeader}".`);
  const outcomes = await Promise.allSettled(events.map((event) => invoker.invoke({ fn, triggerData: { json: JSON.stringify(event) } })));
  const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ id: (events[i] as { id?: string }).id ?? '?', reason: o.reason as Error }] : []));
  for (const f of failed) logger.error(`Function ${fn.metadata.name} failed on event ${f.id}: ${f.reason?.message ?? f.reason}`);
  res.writeHead(failed.length > 0 ? 500 : 202).end();
}

/** The events of a delivery: an array (either schema), or one event. */
function parseEvents(body: Buffer): object[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BlobferryError('INVALID_JSON', 'An Event Grid delivery must be JSON.');
  }
  if (!Array.isArray(value)) {
    if (value && typeof value === 'object') value = [value];
    else throw new BlobferryError('BAD_REQUEST', 'An Event Grid delivery is a JSON array of events, or one event object.');
  }
  const events = value as unknown[];
  if (events.length === 0) throw new BlobferryError('BAD_REQUEST', 'The delivery holds no event.');
  events.forEach((e, i) => {
    const ok = e && typeof e === 'object' && typeof (e as { id?: unknown }).id === 'string' && (typeof (e as { eventType?: unknown }).eventType === 'string' || typeof (e as { type?: unknown }).type === 'string');
    if (!ok) throw new BlobferryError('BAD_REQUEST', `Event ${i} is not an Event Grid event or a CloudEvent (it needs an id and an eventType or type).`);
  });
  return events as object[];
}
