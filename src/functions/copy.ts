/**
 * The copy engine's functions: the transfer, copyBlob, migrate, serverCopy and copyJob
 * orchestrations and their activities, each registered from its one definition (name, handler,
 * types: src/durable/calls.ts). The HTTP API that starts and reads copies is in copiesApi.ts.
 */
import type { FunctionHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { checkCredentials } from '../durable/activities/checkCredentials';
import { commitBlob } from '../durable/activities/commitBlob';
import { copySmallBlobs } from '../durable/activities/copySmallBlobs';
import { deleteSource } from '../durable/activities/deleteSource';
import { pruneDestination } from '../durable/activities/pruneDestination';
import { discardStaged } from '../durable/activities/discardStaged';
import { forwardCancel } from '../durable/activities/forwardCancel';
import { inspectTransfer } from '../durable/activities/inspectTransfer';
import { writeJobSummary } from '../durable/activities/jobSummary';
import { listPage } from '../durable/activities/listPage';
import { prepareBlob } from '../durable/activities/prepareBlob';
import { relaySegment, relayStream } from '../durable/activities/relay';
import { finishServerCopy, serverCopyStatus, startServerCopy, undoServerCopy } from '../durable/activities/serverCopy';
import { leaseSource, releaseSource } from '../durable/activities/sourceLease';
import { stageBlocks } from '../durable/activities/stageBlocks';
import { syncCopyBlob } from '../durable/activities/syncCopy';
import { verifyCopy } from '../durable/activities/verifyCopy';
import type { Activity, Orchestration } from '../durable/calls';
import { copyBlob } from '../durable/orchestrators/copyBlob';
import { copyJob } from '../durable/orchestrators/copyJob';
import { migrate } from '../durable/orchestrators/migrate';
import { prune } from '../durable/orchestrators/prune';
import { serverCopy } from '../durable/orchestrators/serverCopy';
import { transfer } from '../durable/orchestrators/transfer';

const orchestrations: Array<Orchestration<never, unknown>> = [transfer, copyBlob, migrate, prune, serverCopy, copyJob];

const activities: Array<Activity<never, unknown>> = [
  inspectTransfer,
  listPage,
  copySmallBlobs,
  prepareBlob,
  stageBlocks,
  relaySegment,
  relayStream,
  commitBlob,
  discardStaged,
  pruneDestination,
  syncCopyBlob,
  startServerCopy,
  serverCopyStatus,
  finishServerCopy,
  undoServerCopy,
  leaseSource,
  releaseSource,
  deleteSource,
  writeJobSummary,
  verifyCopy,
  forwardCancel,
  checkCredentials,
];

for (const o of orchestrations) df.app.orchestration(o.name, o.handler);
for (const a of activities) df.app.activity(a.name, { handler: a.handler as FunctionHandler, ...(a.durableClient ? { extraInputs: [df.input.durableClient()] } : {}) });
