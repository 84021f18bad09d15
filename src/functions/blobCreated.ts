/**
 * Mirroring new blobs: the `blobCreated` Event Grid trigger (Event Grid schema or CloudEvents)
 * copies a blob named by a Microsoft.Storage.BlobCreated event under the mirror rule whose source
 * holds it (BLOBFERRY_MIRROR_RULES). The copy's instance id comes from the event id, so duplicate
 * deliveries collapse. Loop protection: blobs blobferry wrote (its client request id) and blobs
 * under any rule's destination never start a copy. Other event types, and blobs under no rule,
 * are acknowledged and logged.
 */
import { createHash } from 'node:crypto';
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { blobCreatedOf, writtenByBlobferry } from '../contracts/blobEvents';
import { statusOrNone } from '../durable/instanceStatus';
import { prepareTransfer } from '../durable/startTransfer';
import { transfer } from '../durable/orchestrators/transfer';
import { redact } from '../contracts/redact';
import { mirrorCopy, parseMirrorRules, ruleFor, underADestination, type MirrorRule } from '../plan/mirror';

app.eventGrid('blobCreated', {
  extraInputs: [df.input.durableClient()],
  handler: async (event: unknown, context: InvocationContext): Promise<void> => {
    const created = blobCreatedOf(event);
    if (!created) {
      context.log(`Event ${(event as { id?: string }).id ?? '?'} of type ${(event as { eventType?: string; type?: string }).eventType ?? (event as { type?: string }).type} ignored: only ${'Microsoft.Storage.BlobCreated'} starts a copy.`);
      return;
    }
    let rules: MirrorRule[];
    try {
      rules = parseMirrorRules(process.env.BLOBFERRY_MIRROR_RULES);
    } catch (err) {
      // Delivering again would not help: say so, and acknowledge.
      context.error(`Event ${created.id} not mirrored: ${(err as Error).message}`);
      return;
    }
    if (writtenByBlobferry(created) || underADestination(rules, created.url)) {
      context.log(`Event ${created.id}: ${created.url} was written by blobferry or lies under a mirror destination; not copied (loop protection).`);
      return;
    }
    const match = ruleFor(rules, created.url);
    if (!match) {
      context.log(`Event ${created.id}: ${created.url} is under no mirror rule; acknowledged.`);
      return;
    }
    const id = `mirror-${createHash('sha256').update(created.id).digest('hex').slice(0, 32)}`;
    let prepared: ReturnType<typeof prepareTransfer>;
    try {
      prepared = prepareTransfer({ id, ...mirrorCopy(match, created.url) }, 'remote');
    } catch (err) {
      // A rule whose URLs or options are wrong: no delivery would ever succeed.
      context.error(`Event ${created.id} not mirrored: the mirror rule for ${created.url} is unusable: ${redact((err as Error).message)}`);
      return;
    }
    const { instanceId, input } = prepared;
    const client = df.getClient(context);
    if (await statusOrNone(client, instanceId)) {
      context.log(`Event ${created.id} delivered again: copy ${instanceId} exists.`);
      return;
    }
    try {
      await client.startNew(transfer.name, { instanceId, input });
    } catch (err) {
      // Two deliveries of one event at the same moment: the other one started it.
      if (!(await statusOrNone(client, instanceId))) throw err;
    }
    context.log(`Event ${created.id}: mirroring ${created.url} as copy ${instanceId}.`);
  },
});
