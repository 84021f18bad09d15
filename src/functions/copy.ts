/**
 * The copy engine's functions: the transfer, copyBlob, migrate and serverCopy orchestrations and
 * their activities. The HTTP API that starts and reads copies is in copiesApi.ts.
 */
import * as df from 'durable-functions';
import { commitBlob } from '../durable/activities/commitBlob';
import { copySmallBlobs } from '../durable/activities/copySmallBlobs';
import { forwardCancel } from '../durable/activities/forwardCancel';
import { writeJobSummary } from '../durable/activities/jobSummary';
import { verifyCopy } from '../durable/activities/verifyCopy';
import { inspectTransfer } from '../durable/activities/inspectTransfer';
import { listPage } from '../durable/activities/listPage';
import { prepareBlob } from '../durable/activities/prepareBlob';
import { relaySegment, relayStream } from '../durable/activities/relay';
import { finishServerCopy, serverCopyStatus, startServerCopy, undoServerCopy } from '../durable/activities/serverCopy';
import { leaseSource, releaseSource } from '../durable/activities/sourceLease';
import { stageBlocks } from '../durable/activities/stageBlocks';
import { syncCopyBlob } from '../durable/activities/syncCopy';
import { copyBlobOrchestrator } from '../durable/orchestrators/copyBlob';
import { COPY_JOB_ORCHESTRATOR, copyJobOrchestrator } from '../durable/orchestrators/copyJob';
import { migrateOrchestrator } from '../durable/orchestrators/migrate';
import { serverCopyOrchestrator } from '../durable/orchestrators/serverCopy';
import { transferOrchestrator } from '../durable/orchestrators/transfer';
import { TRANSFER_ORCHESTRATOR } from '../durable/startTransfer';

df.app.orchestration(TRANSFER_ORCHESTRATOR, transferOrchestrator);
df.app.orchestration('copyBlob', copyBlobOrchestrator);
df.app.orchestration('migrate', migrateOrchestrator);
df.app.orchestration('serverCopy', serverCopyOrchestrator);
df.app.orchestration(COPY_JOB_ORCHESTRATOR, copyJobOrchestrator);

df.app.activity('inspectTransfer', { handler: inspectTransfer });
df.app.activity('listPage', { handler: listPage });
df.app.activity('copySmallBlobs', { handler: copySmallBlobs });
df.app.activity('prepareBlob', { handler: prepareBlob });
df.app.activity('stageBlocks', { handler: stageBlocks });
df.app.activity('relaySegment', { handler: relaySegment });
df.app.activity('relayStream', { handler: relayStream });
df.app.activity('commitBlob', { handler: commitBlob });
df.app.activity('syncCopyBlob', { handler: syncCopyBlob });
df.app.activity('startServerCopy', { handler: startServerCopy });
df.app.activity('serverCopyStatus', { handler: serverCopyStatus });
df.app.activity('finishServerCopy', { handler: finishServerCopy });
df.app.activity('undoServerCopy', { handler: undoServerCopy });
df.app.activity('leaseSource', { handler: leaseSource });
df.app.activity('releaseSource', { handler: releaseSource });
df.app.activity('writeJobSummary', { handler: writeJobSummary });
df.app.activity('verifyCopy', { handler: verifyCopy });
df.app.activity('forwardCancel', { extraInputs: [df.input.durableClient()], handler: forwardCancel });
