/**
 * An instance's status through the durable client, or undefined when there is no such instance.
 * Only the extension's 404 means "none": a timeout or a 500 is thrown, so a trigger that would
 * otherwise start a copy (or start one again) retries instead.
 */
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

export async function statusOrNone(client: DurableClient, instanceId: string, showInput = false): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput });
  } catch (err) {
    // durable-functions reports the extension's 404 as an Error naming it.
    if (/HTTP 404/.test((err as Error)?.message ?? '')) return undefined;
    throw err;
  }
}
