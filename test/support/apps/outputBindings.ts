/**
 * A small v4 app whose functions write storage blob and queue output bindings, registered as
 * any app registers them (app.http, app.storageQueue, output.storageBlob/storageQueue), and
 * loaded by the local host as an entry point. Test-only; the test sets the settings it names:
 * AzureWebJobsStorage, BACKUPS_STORAGE (a second connection setting), BACKUP_QUEUE, FORWARD_QUEUE.
 */
import { app, output, type HttpRequest, type InvocationContext } from '@azure/functions';

/** A blob path from the request body's properties, in the account BACKUPS_STORAGE names. */
const backupBlob = output.storageBlob({ path: 'backups/{backupPath}', connection: 'BACKUPS_STORAGE' });
/** A queue from a %setting%, in AzureWebJobsStorage (no connection given). */
const backupQueue = output.storageQueue({ queueName: '%BACKUP_QUEUE%', connection: '' });
/** Every builtin and a query parameter in one path. */
const stampedBlob = output.storageBlob({ path: 'stamped/{Query.tenant}/{DateTime:yyyy}/{rand-guid:N}-{sys.methodName}.txt', connection: 'AzureWebJobsStorage' });

/**
 * POST /api/backups {"backupPath": "...", "content": <any>, "messages": <any>}: writes `content`
 * to backups/{backupPath} and `messages` to the backup queue (a string, an object, an array).
 * `?bytes=true` writes the content as bytes.
 */
app.http('saveBackup', {
  route: 'backups',
  methods: ['POST'],
  extraOutputs: [backupBlob, backupQueue],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const body = (await request.json()) as { content?: unknown; messages?: unknown };
    const content = request.query.get('bytes') === 'true' ? Buffer.from(String(body.content)) : body.content;
    if (content !== undefined) context.extraOutputs.set(backupBlob, content);
    if (body.messages !== undefined) context.extraOutputs.set(backupQueue, body.messages);
    return { status: 201, jsonBody: { saved: true } };
  },
});

/** POST /api/stamped?tenant=x: a blob whose path uses {Query.tenant}, {DateTime:yyyy}, {rand-guid:N} and {sys.methodName}. */
app.http('stamp', {
  route: 'stamped',
  methods: ['POST'],
  extraOutputs: [stampedBlob],
  handler: (_request: HttpRequest, context: InvocationContext) => {
    context.extraOutputs.set(stampedBlob, 'stamped');
    return { status: 204 };
  },
});

/** POST /api/orphan: its blob path names a property the request body may not have. */
const orphanBlob = output.storageBlob({ path: 'backups/{missingName}.txt', connection: 'BACKUPS_STORAGE' });
app.http('orphan', {
  route: 'orphan',
  methods: ['POST'],
  extraOutputs: [orphanBlob],
  handler: (_request: HttpRequest, context: InvocationContext) => {
    context.extraOutputs.set(orphanBlob, 'never written without a name');
    return { status: 200 };
  },
});

/**
 * A queue trigger whose return value is its output: each message on FORWARD_QUEUE becomes the
 * blob forwarded/{name}-{DequeueCount}.json, named from the message's JSON and its metadata.
 */
app.storageQueue('forwardMessage', {
  queueName: '%FORWARD_QUEUE%',
  connection: 'AzureWebJobsStorage',
  return: output.storageBlob({ path: 'forwarded/{name}-{DequeueCount}.json', connection: 'AzureWebJobsStorage' }),
  handler: (message: unknown) => ({ forwarded: message }),
});
