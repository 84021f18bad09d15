/**
 * Queue triggers on the local host, with the Functions semantics the app relies on in Azure:
 *
 * - each queue-triggered function's queue (`%SETTING%` resolved) is polled in its storage
 *   account (the binding's `connection` setting, default AzureWebJobsStorage), up to
 *   `batchSize` messages at a time, backing off to `maxPollingInterval` while it is empty;
 * - a message is hidden while the function runs (renewed); on success it is deleted;
 * - on failure it becomes visible again after `visibilityTimeout`, and once it has been
 *   dequeued `maxDequeueCount` times it is moved to `<queue>-poison` (Azurite has no poison
 *   queues: the host does it, as the Functions host does);
 * - bodies are base64 (host.json `messageEncoding`, the default) or plain text; a body that is
 *   not valid base64 cannot be delivered and goes to the poison queue at once, with the reason
 *   in the log.
 * - trigger metadata: Id, DequeueCount, InsertionTime, ExpirationTime, NextVisibleTime, PopReceipt.
 */
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import { storageConnection } from './bindings/connection';
import type { CapturedFunction } from './functionsCore';
import type { QueueSettings } from './hostConfig';
import { resolveSettingRefs } from './hostConfig';
import type { Invoker } from './invoker';
import type { Logger } from './logger';

/** How long a message stays hidden while its function runs (Functions: 10 minutes, renewed). */
const PROCESSING_VISIBILITY_S = 600;
const FIRST_POLL_WAIT_MS = 100;

export class QueuePoller {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];

  constructor(
    private readonly invoker: Invoker,
    private readonly settings: QueueSettings,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Starts polling for every queue-triggered function; the ones whose storage is not configured are reported and skipped. */
  start(functions: CapturedFunction[]): void {
    for (const fn of functions.filter((f) => f.trigger.type === 'queueTrigger')) {
      let connection = '';
      let queueName = '';
      let problem: string | undefined;
      try {
        connection = storageConnection('queue', fn.trigger.connection, this.env);
      } catch (err) {
        problem = (err as Error).message;
      }
      try {
        queueName = resolveSettingRefs(String(fn.trigger.queueName ?? ''), this.env);
      } catch (err) {
        problem ??= (err as Error).message;
      }
      if (problem || !connection) {
        this.logger.warn(`Queue trigger "${fn.metadata.name}" is not polled: ${problem}.`);
        continue;
      }
      const service = QueueServiceClient.fromConnectionString(connection);
      this.loops.push(this.poll(fn, service.getQueueClient(queueName), service.getQueueClient(`${queueName}-poison`)));
      this.logger.info(`Queue trigger "${fn.metadata.name}" polls queue ${queueName}.`);
    }
  }

  /** Stops polling and waits (up to `graceMs`) for the messages in flight. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const wake of this.wake) wake();
    await Promise.race([Promise.all(this.loops), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  private async poll(fn: CapturedFunction, queue: QueueClient, poison: QueueClient): Promise<void> {
    let wait = FIRST_POLL_WAIT_MS;
    while (!this.stopping) {
      let messages: DequeuedMessageItem[] = [];
      try {
        await queue.createIfNotExists();
        messages = (await queue.receiveMessages({ numberOfMessages: Math.min(32, this.settings.batchSize), visibilityTimeout: PROCESSING_VISIBILITY_S })).receivedMessageItems;
      } catch (err) {
        this.logger.warn(`Queue ${queue.name}: ${(err as Error).message}`);
      }
      if (messages.length > 0) {
        wait = FIRST_POLL_WAIT_MS;
        await Promise.all(messages.map((message) => this.deliver(fn, queue, poison, message)));
        continue;
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.settings.maxPollingIntervalMs);
    }
  }

  private async deliver(fn: CapturedFunction, queue: QueueClient, poison: QueueClient, message: DequeuedMessageItem): Promise<void> {
    const body = this.decode(message.messageText);
    if (body === undefined) {
      this.logger.error(`Queue ${queue.name}: message ${message.messageId} is not valid base64 (host.json extensions.queues.messageEncoding is base64); moved to ${poison.name}.`);
      return this.toPoison(queue, poison, message);
    }
    // Hidden while the function runs, renewed at half the interval, as the Functions host does.
    let receipt = message.popReceipt;
    const renew = setInterval(() => {
      void queue.updateMessage(message.messageId, receipt, undefined, PROCESSING_VISIBILITY_S).then((r) => (receipt = r.popReceipt ?? receipt), () => undefined);
    }, (PROCESSING_VISIBILITY_S * 1000) / 2);
    let failure: unknown;
    try {
      await this.invoker.invoke({
        fn,
        triggerData: { string: body },
        triggerMetadata: {
          Id: { string: message.messageId },
          DequeueCount: { json: String(message.dequeueCount) },
          InsertionTime: { string: message.insertedOn.toISOString() },
          ExpirationTime: { string: message.expiresOn.toISOString() },
          NextVisibleTime: { string: message.nextVisibleOn.toISOString() },
          PopReceipt: { string: message.popReceipt },
        },
      });
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(renew);
    }
    const current = { ...message, popReceipt: receipt };
    if (failure === undefined) {
      // Done: a delete that fails only means the message shows up again (at least once, as in Azure).
      await queue.deleteMessage(message.messageId, receipt).catch((err: Error) => this.logger.warn(`Queue ${queue.name}: could not delete message ${message.messageId}: ${err.message}`));
      return;
    }
    this.logger.error(`Function ${fn.metadata.name} failed on message ${message.messageId} (dequeue count ${message.dequeueCount}): ${(failure as Error)?.message ?? failure}`);
    if (message.dequeueCount >= this.settings.maxDequeueCount) return this.toPoison(queue, poison, current);
    // Visible again after the visibility timeout: the next attempt.
    await queue.updateMessage(message.messageId, receipt, undefined, Math.round(this.settings.visibilityTimeoutMs / 1000)).catch(() => undefined);
  }

  /** The body the function gets, or undefined when a base64 queue holds a message that is not base64. */
  private decode(text: string): string | undefined {
    if (this.settings.messageEncoding === 'none') return text;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
    return Buffer.from(text, 'base64').toString('utf8');
  }

  private async toPoison(queue: QueueClient, poison: QueueClient, message: DequeuedMessageItem): Promise<void> {
    try {
      await poison.createIfNotExists();
      await poison.sendMessage(message.messageText);
      await queue.deleteMessage(message.messageId, message.popReceipt);
      this.logger.warn(`Queue ${queue.name}: message ${message.messageId} moved to ${poison.name} after ${message.dequeueCount} attempt(s).`);
    } catch (err) {
      this.logger.error(`Queue ${queue.name}: could not move message ${message.messageId} to ${poison.name}: ${(err as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = this.wake.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.push(done);
    });
  }
}
