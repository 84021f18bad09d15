/**
 * Passes a cancel request on to child orchestrations (an orchestrator cannot raise events
 * itself): through the durable client, so it works the same in Azure and on the local host.
 * A child that has already finished cannot take the event; that is fine.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { activity } from '../calls';
import { CANCEL_EVENT } from '../orchestrators/cancel';

export const forwardCancel = activity('forwardCancel', forwardTo, { durableClient: true });

async function forwardTo(args: { instanceIds: string[]; reason: string }, context: InvocationContext): Promise<{ forwarded: number }> {
  const client = df.getClient(context);
  let forwarded = 0;
  for (const id of args.instanceIds) {
    try {
      await client.raiseEvent(id, CANCEL_EVENT, { reason: args.reason });
      forwarded++;
    } catch {
      // Finished, or never started: nothing to cancel there.
    }
  }
  return { forwarded };
}
