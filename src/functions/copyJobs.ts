/**
 * Batch migrations from a queue: the `copyJobs` queue trigger reads jobs (src/contracts/copyJob.ts)
 * from BLOBFERRY_JOBS_QUEUE (default copy-jobs) in the app's storage account and starts one
 * copyJob orchestration per message. Its instance id comes from the message, so a redelivered
 * message never starts a second migration. A message that is not a valid job goes to
 * `<queue>-poison` at once, with every reason attached, rather than being retried five times;
 * a message whose job cannot be started (storage or Durable trouble) fails, and is retried and
 * then poisoned by the usual rules.
 */
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { parseCopyJob, type CopyJob } from '../contracts/copyJob';
import { BlobferryError, isBlobferryError } from '../contracts/errors';
import { redact } from '../contracts/redact';
import { copyJob } from '../durable/orchestrators/copyJob';
import { prepareTransfer, type PreparedTransfer } from '../durable/startTransfer';
import { statusOrNone } from '../durable/instanceStatus';
import type { CopyJobInput } from '../durable/types';
import { appQueue } from '../storage/appStorage';

const JOBS_QUEUE = process.env.BLOBFERRY_JOBS_QUEUE || 'copy-jobs';

interface Problem {
  /** Which request of the job (absent: the message as a whole). */
  request?: number;
  code: string;
  message: string;
  details?: unknown;
}

app.storageQueue('copyJobs', {
  queueName: JOBS_QUEUE,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  handler: async (message: unknown, context: InvocationContext): Promise<void> => {
    const messageId = String(context.triggerMetadata?.id ?? '');
    const problems: Problem[] = [];
    let job: CopyJob | undefined;
    try {
      job = parseCopyJob(message);
    } catch (err) {
      problems.push(problemOf(err));
    }
    const prepared: PreparedTransfer[] = [];
    job?.requests.forEach((request, index) => {
      try {
        prepared.push(prepareTransfer(request, 'remote'));
      } catch (err) {
        problems.push({ request: index, ...problemOf(err) });
      }
    });
    if (!job || problems.length > 0) {
      await poison(message, messageId, problems);
      context.warn(`Copy job message ${messageId} is invalid and went to ${JOBS_QUEUE}-poison: ${problems.map((p) => `${p.request === undefined ? '' : `request ${p.request}: `}${p.code}: ${p.message}`).join('; ')}`);
      return;
    }
    const jobId = job.id ?? `msg-${messageId}`;
    const instanceId = `job-${jobId}`;
    const client = df.getClient(context);
    if (await statusOrNone(client, instanceId)) {
      context.log(`Copy job ${jobId} was started before (a redelivered message); nothing more to do.`);
      return;
    }
    const input: CopyJobInput = {
      jobId,
      // A request's own id wins; otherwise ids scoped to the job (`job-<id>:<n>`), so two jobs never share a transfer.
      transfers: prepared.map((p, index) => ({ instanceId: hasOwnId(job.requests[index]) ? p.instanceId : `${instanceId}:${index + 1}`, input: p.input })),
    };
    try {
      await client.startNew(copyJob.name, { instanceId, input });
    } catch (err) {
      // The same message delivered twice at once: the other delivery started the job.
      if (!(await statusOrNone(client, instanceId))) throw err;
      context.log(`Copy job ${jobId} was started by another delivery of the same message; nothing more to do.`);
      return;
    }
    context.log(`Copy job ${jobId}: ${input.transfers.length} transfer(s), instance ${instanceId}.`);
  },
});

function hasOwnId(request: unknown): boolean {
  return typeof (request as { id?: unknown }).id === 'string';
}

function problemOf(err: unknown): Problem {
  if (isBlobferryError(err)) return { code: err.code, message: redact(err.message), ...(err.details ? { details: err.details } : {}) };
  return { code: 'INTERNAL', message: redact((err as Error)?.message ?? String(err)) };
}

/** The message, with why it was refused, on the poison queue (base64 JSON, as the Functions host writes). */
async function poison(message: unknown, messageId: string, problems: Problem[]): Promise<void> {
  const queue = appQueue(`${JOBS_QUEUE}-poison`);
  await queue.createIfNotExists();
  // A client may have encoded the job twice: keep it readable, so its SAS tokens can be redacted too.
  const text = typeof message === 'string' ? message : JSON.stringify(message ?? null);
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  const readable = redact(/^\s*[[{]/.test(decoded) && !/^\s*[[{]/.test(text) ? decoded : text);
  let original: unknown = readable;
  try {
    original = JSON.parse(readable);
  } catch {
    // kept as text
  }
  const body = JSON.stringify({ refused: 'not a valid copy job', messageId, problems, message: original });
  if (Buffer.byteLength(body) > 48 * 1024) throw new BlobferryError('BAD_REQUEST', 'The refused job message is too large to keep in the poison queue with its reasons.');
  await queue.sendMessage(Buffer.from(body).toString('base64'));
}
