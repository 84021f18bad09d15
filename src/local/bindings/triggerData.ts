/**
 * The binding data a trigger gives the other bindings of its function (what `{name}` in a path
 * reads), as the Functions host builds it:
 *
 * - HTTP (WebJobs.Extensions.Http, GetRequestBindingDataAsync): the top-level properties of a
 *   JSON object body, then every query parameter but `code`, then the route parameters, each
 *   later one winning; plus `Query` and `Headers` as the host passes them to workers.
 * - Queue (WebJobs.Extensions.Storage): the top-level properties of a JSON object message, then
 *   QueueTrigger (the message text), Id, DequeueCount, InsertionTime, ExpirationTime,
 *   NextVisibleTime and PopReceipt.
 * Names are case-insensitive (the host's dictionaries use OrdinalIgnoreCase): keys are kept lowercased.
 * Other triggers give no data here; registration refuses expressions that would need it.
 */
import type { RpcTypedData } from '../rpcTypes';

/** Trigger types whose data binding expressions can read on the local host. */
export const TRIGGERS_WITH_DATA = new Set(['httpTrigger', 'queueTrigger']);

export function triggerBindingData(triggerType: string, triggerData: RpcTypedData | undefined, metadata: Record<string, RpcTypedData> = {}): Map<string, unknown> {
  const data = new Map<string, unknown>();
  const set = (name: string, value: unknown) => data.set(name.toLowerCase(), value);
  if (triggerType === 'httpTrigger' && triggerData?.http) {
    const http = triggerData.http;
    set('Query', http.query ?? {});
    set('Headers', http.headers ?? {});
    const body = http.body?.bytes ?? http.body?.stream;
    if (body) for (const [k, v] of Object.entries(jsonObject(Buffer.from(body).toString('utf8')))) set(k, v);
    for (const [k, v] of Object.entries(http.query ?? {})) if (k.toLowerCase() !== 'code') set(k, v);
    for (const [k, v] of Object.entries(http.params ?? {})) set(k, v);
  } else if (triggerType === 'queueTrigger') {
    const text = triggerData?.string ?? '';
    for (const [k, v] of Object.entries(jsonObject(text))) set(k, v);
    set('QueueTrigger', text);
    for (const [k, v] of Object.entries(metadata)) set(k, valueOf(v));
  }
  return data;
}

/** A JSON object's properties; anything else (not JSON, an array, a string) gives none. */
function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function valueOf(data: RpcTypedData): unknown {
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  return data.string ?? data.int ?? data.double ?? undefined;
}
