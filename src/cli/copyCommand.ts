/**
 * `blobferry copy <source> <destination>`: runs the app's own transfer orchestration, on the
 * local host in this process (durable state in a local folder, so running the same command again
 * after a crash resumes the same copy), or with --host on a running host.
 *
 * Exit codes: 0 every blob copied or skipped by the overwrite policy, 1 some blob failed,
 * 2 bad usage or input (nothing was written).
 */
import path from 'node:path';
import { hasEnded } from '../contracts/copyList';
import { BlobferryError, INPUT_ERROR_CODES, isBlobferryError, isErrorCode, messageOf } from '../contracts/errors';
import { redact } from '../contracts/redact';
import { copyView, type CopyView } from '../durable/copyStatus';
import { CANCEL_EVENT } from '../durable/orchestrators/cancel';
import { transfer } from '../durable/orchestrators/transfer';
import { keepGivenSecrets, prepareTransfer } from '../durable/startTransfer';
import type { TransferInput } from '../durable/types';
import { LocalHost } from '../local/host';
import { createLogger, type LogLevel } from '../local/logger';
import { listedNames } from '../plan/select';
import { credentialsDirOf } from '../storage/freshCredentials';
import { nameListRef, nameListText, type NameListRef } from '../storage/nameList';
import { displayUrl } from '../storage/registry';
import { printDryRun } from './dryRunCommand';
import { dashboardUrl, hostApi } from './hostApi';
import { actForUserAt, copyFolder, keepOnlyReport, stateBase, storedInput, takeCancelRequest, writeEndReport } from './localCopies';
import { progressLine } from './progressBar';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export interface CopyCommandOptions {
  recursive?: boolean;
  include?: string[];
  exclude?: string[];
  overwrite?: string;
  /** sync: what makes a source and its destination different. */
  compare?: string;
  /** sync: remove what the source no longer has. */
  deleteDestination?: boolean;
  blockSize?: number;
  concurrency?: number;
  strategy?: string;
  preserveAccessTier?: boolean;
  timeout?: string;
  leaseSource?: boolean;
  blobType?: string;
  onPendingCopy?: string;
  verify?: string;
  checkMd5?: string;
  /** false: --no-put-md5. */
  putMd5?: boolean;
  deleteSource?: boolean;
  invalidMetadata?: string;
  invalidNames?: string;
  maxTries?: number;
  createContainer?: boolean;
  includeAfter?: string;
  includeBefore?: string;
  /** A file of names to copy, one per line (relative to the source prefix). */
  listOfFiles?: string;
  logLevel?: string;
  sourceSecondary?: string;
  requestTimeout?: string;
  json?: boolean;
  /** List what would be copied, skipped and failed, and write nothing. */
  dryRun?: boolean;
  /** One JSON line per change of progress on stdout, then the --json report. */
  jsonProgress?: boolean;
  host?: string;
  functionKey?: string;
  stateDir?: string;
  appDir: string;
}

/** The JSON object --json prints. */
export interface CopyReport {
  instanceId: string | null;
  runtimeStatus: string;
  strategy?: string;
  strategyReason?: string;
  blobs: CopyView['blobs'];
  bytes: CopyView['bytes'];
  failures: CopyView['failures'];
  failuresNotListed?: number;
  /** Prefix copies: blobs copied by each strategy. */
  strategies?: Record<string, number>;
  /** Blobs copied, by how each was checked against its source. */
  verification?: Record<string, number>;
  /** Copies written under another name (--overwrite rename): source and the name it got. */
  renamed?: CopyView['renamed'];
  cancelled?: boolean;
  notes?: string[];
  error?: { code: string; message: string };
}

export async function runCopy(source: string, destination: string, options: CopyCommandOptions): Promise<number> {
  const out = new Output((options.json ?? false) || (options.jsonProgress ?? false), options.jsonProgress ?? false);
  try {
    // Reading the --list-of-files file may fail: inside, so the failure is reported as any other.
    const request = requestOf(source, destination, options);
    if (options.dryRun) {
      if (options.host) throw new BlobferryError('CONFLICTING_OPTIONS', '--dry-run looks at the source and destination from this machine; drop --host.');
      await printDryRun(request, options);
      return EXIT.OK;
    }
    const view = options.host ? await copyOnHost(options.host, request, options, out) : await copyHere(request, options, out);
    return out.finish(view);
  } catch (err) {
    return out.fail(err);
  }
}

/** The copy request the command's arguments make (the same schema the API takes). */
function requestOf(source: string, destination: string, options: CopyCommandOptions): unknown {
  return {
    source,
    destination,
    options: {
      recursive: options.recursive ?? false,
      include: options.include ?? [],
      exclude: options.exclude ?? [],
      ...(options.overwrite ? { overwrite: options.overwrite } : {}),
      ...(options.compare ? { compare: options.compare } : {}),
      ...(options.deleteDestination ? { deleteDestination: true } : {}),
      ...(options.blockSize !== undefined ? { blockSizeMiB: options.blockSize } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.strategy ? { strategy: options.strategy } : {}),
      preserveAccessTier: options.preserveAccessTier ?? false,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      leaseSource: options.leaseSource ?? false,
      ...(options.blobType ? { blobType: options.blobType } : {}),
      ...(options.onPendingCopy ? { onPendingCopy: options.onPendingCopy } : {}),
      ...(options.verify ? { verify: options.verify } : {}),
      ...(options.checkMd5 ? { checkMd5: options.checkMd5 } : {}),
      ...(options.putMd5 === false ? { putMd5: false } : {}),
      deleteSource: options.deleteSource ?? false,
      ...(options.invalidMetadata ? { invalidMetadata: options.invalidMetadata } : {}),
      ...(options.invalidNames ? { invalidNames: options.invalidNames } : {}),
      ...(options.maxTries !== undefined ? { maxTries: options.maxTries } : {}),
      ...(options.createContainer ? { createContainer: true } : {}),
      ...(options.includeAfter ? { includeAfter: options.includeAfter } : {}),
      ...(options.includeBefore ? { includeBefore: options.includeBefore } : {}),
      ...(options.listOfFiles !== undefined ? { listOfFiles: listOfFiles(options.listOfFiles) } : {}),
      ...(options.sourceSecondary ? { sourceSecondary: options.sourceSecondary } : {}),
      ...(options.requestTimeout !== undefined ? { requestTimeout: options.requestTimeout } : {}),
    },
  };
}

/** --list-of-files: the file by path and hash; one that lists nothing is a mistake to say now. */
function listOfFiles(file: string): NameListRef {
  const ref = nameListRef(path.resolve(file));
  if (listedNames(nameListText(ref)).length === 0) throw new BlobferryError('LIST_OF_FILES_INVALID', `The list of files ${file} names nothing (one name per line, relative to the source prefix).`);
  return ref;
}

async function copyHere(request: unknown, options: CopyCommandOptions, out: Output): Promise<CopyView> {
  const base = stateBase(options.stateDir);
  actForUserAt(base);
  const { instanceId, input } = prepareTransfer(request, 'user');
  return runInProcess(base, instanceId, options, out, { start: input });
}

/**
 * Runs an in-process copy to its end on a host of its own (localCopies.ts): starts it
 * (`start`), or resumes it where it stands, and cancels it first when asked (`cancel`).
 */
export async function runInProcess(base: string, instanceId: string, options: Pick<CopyCommandOptions, 'appDir' | 'logLevel'>, out: Output, how: { start?: TransferInput; cancel?: boolean }): Promise<CopyView> {
  const stateDir = copyFolder(base, instanceId);
  // Before the host resumes anything: an interrupted copy of this request runs on with this
  // command's SAS tokens (its own may have expired meanwhile).
  process.env.BLOBFERRY_CREDENTIALS_DIR = credentialsDirOf(stateDir);
  const given = how.start ? await keepGivenSecrets(how.start) : false;
  const host = await LocalHost.start({
    appDir: options.appDir,
    stateDir,
    http: false,
    // The command reports every failure itself, once: the host's log says only what it alone knows.
    logger: createLogger({ level: (options.logLevel as LogLevel | undefined) ?? (process.env.BLOBFERRY_LOG_LEVEL as LogLevel | undefined) ?? 'error' }),
    // A resumed copy keeps the --concurrency it was started with.
    minConcurrency: { activities: ((how.start ?? storedInput(stateDir, options.appDir, instanceId))?.options.concurrency ?? 16) + 4 },
  }).catch((err: unknown) => {
    if (isBlobferryError(err) && err.code === 'STATE_DIR_IN_USE') {
      throw new BlobferryError('STATE_DIR_IN_USE', `The copy ${instanceId} is running in another blobferry process; wait for it to end (blobferry jobs show ${instanceId}), or cancel it (blobferry jobs cancel ${instanceId}).`);
    }
    throw err;
  });
  const stop = () => host.stop(5000);
  const interrupted = () => {
    out.note(`\nInterrupted. Run the same command again, or blobferry jobs resume ${instanceId}, to resume it.`);
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  let view: CopyView | undefined;
  try {
    const engine = host.engine;
    const existing = engine.getStatus(instanceId);
    const active = (status = engine.getStatus(instanceId)) => status !== undefined && !hasEnded(status.runtimeStatus);
    if (active(existing)) {
      if (!how.cancel) out.note(`Resuming copy ${instanceId}${given ? ' with the credentials given now' : ''}.`);
      if (existing!.runtimeStatus === 'Suspended') engine.resume(instanceId, 'resumed by blobferry');
    } else if (how.start) {
      // A cancel asked of an earlier run that ended first is not this run's.
      takeCancelRequest(stateDir);
      engine.startNew(transfer.name, { instanceId, input: how.start });
    } else {
      throw new BlobferryError('NOT_RUNNING', `The copy ${instanceId} has ended (${existing?.runtimeStatus ?? 'it never started'}); there is nothing to resume or cancel.`);
    }
    // `jobs cancel` asks a running copy through its folder; the cancel path aborts and restores as always.
    const cancel = (reason: string) => active() && engine.raiseEvent(instanceId, CANCEL_EVENT, { reason });
    if (how.cancel) cancel('cancelled by blobferry jobs cancel');
    const read = (): CopyView => {
      const status = engine.getStatus(instanceId)!;
      const child = (status.customStatus as { child?: string } | null)?.child;
      return copyView(status, child ? engine.getStatus(child) : undefined);
    };
    const ticker = setInterval(() => {
      if (takeCancelRequest(stateDir)) cancel('cancelled by blobferry jobs cancel');
      out.progress(read());
    }, 250);
    try {
      await engine.waitForCompletion(instanceId);
    } finally {
      clearInterval(ticker);
    }
    view = read();
    const status = engine.getStatus(instanceId)!;
    const input = status.input as TransferInput;
    writeEndReport(stateDir, { id: instanceId, source: displayUrl(input.source), destination: displayUrl(input.destination), createdTime: status.createdTime, lastUpdatedTime: status.lastUpdatedTime, view });
    return view;
  } finally {
    process.off('SIGINT', interrupted);
    await stop();
    // A copy that ended whole needs its state no more (its report stays for `jobs`); one with failures keeps it, to be looked at.
    if (view?.runtimeStatus === 'Completed' && view.failures.length === 0 && view.blobs.failed === 0) keepOnlyReport(stateDir);
  }
}

async function copyOnHost(hostUrl: string, request: unknown, options: CopyCommandOptions, out: Output): Promise<CopyView> {
  const api = hostApi(hostUrl, options.functionKey);
  const { id } = await api.post<{ id: string }>('/api/copies', request);
  out.note(`Follow it in the dashboard: ${dashboardUrl(hostUrl, id)}`);
  for (;;) {
    const view = await api.get<CopyView>(`/api/copies/${encodeURIComponent(id)}`);
    if (hasEnded(view.runtimeStatus)) return view;
    out.progress(view);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Everything the command prints: a progress line on a terminal, a summary or one JSON object at the end. */
export class Output {
  private lastLine = '';
  private readonly tty = process.stderr.isTTY === true;

  private lastEvent = '';

  /** `json`: one JSON object at the end (stdout); `events`: before it, one JSON line per change of progress. */
  constructor(
    private readonly json: boolean,
    private readonly events = false,
  ) {}

  note(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  progress(view: CopyView): void {
    if (this.events) {
      const event = JSON.stringify({ event: 'progress', instanceId: view.instanceId, phase: view.phase, blobs: view.blobs, bytes: view.bytes, ...(view.rateBytesPerSec ? { rateBytesPerSec: view.rateBytesPerSec } : {}), ...(view.concurrency ? { concurrency: view.concurrency } : {}) });
      if (event !== this.lastEvent) process.stdout.write(`${event}\n`);
      this.lastEvent = event;
      return;
    }
    if (this.json || !this.tty || view.phase === 'inspecting') return;
    const line = progressLine(view);
    if (line !== this.lastLine) process.stderr.write(`\r${line}\x1b[K`);
    this.lastLine = line;
  }

  finish(view: CopyView): number {
    // The progress line is erased, not left above the summary.
    if (this.tty && this.lastLine) process.stderr.write('\r\x1b[K');
    const report: CopyReport = {
      instanceId: view.instanceId,
      runtimeStatus: view.runtimeStatus,
      strategy: view.strategy,
      strategyReason: view.strategyReason,
      blobs: view.blobs,
      bytes: view.bytes,
      failures: view.failures,
      ...(view.failuresNotListed ? { failuresNotListed: view.failuresNotListed } : {}),
      ...(view.strategies ? { strategies: view.strategies } : {}),
      ...(view.verification ? { verification: view.verification } : {}),
      ...(view.renamed ? { renamed: view.renamed } : {}),
      ...(view.cancelled ? { cancelled: true } : {}),
      ...(view.notes ? { notes: view.notes } : {}),
      ...(view.error ? { error: view.error } : {}),
    };
    // A failure listed without a failed blob is a source --delete-source could not delete: the move is not whole.
    const failed = view.runtimeStatus !== 'Completed' || view.blobs.failed > 0 || view.failures.length > 0 || (view.failuresNotListed ?? 0) > 0;
    const code = view.error && isErrorCode(view.error.code) && INPUT_ERROR_CODES.has(view.error.code) ? EXIT.USAGE : failed ? EXIT.FAILED : EXIT.OK;
    if (this.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return code;
    }
    const { blobs, bytes } = view;
    if (view.error) process.stderr.write(`blobferry: ${view.error.code}: ${redact(view.error.message)}\n`);
    else {
      const deleted = (blobs.deleted !== undefined ? `, ${blobs.deleted} source(s) deleted` : '') + (blobs.removed !== undefined ? `, ${blobs.removed} removed from the destination` : '');
      const checks = view.verification ? `; verified by ${Object.entries(view.verification).map(([how, n]) => `${how}: ${n}`).join(', ')}` : '';
      process.stderr.write(`${blobs.copied} copied, ${blobs.skipped} skipped, ${blobs.failed} failed of ${blobs.total} blob(s)${deleted}; ${bytes.copied} of ${bytes.total} bytes copied${checks} (${view.strategy}: ${view.strategyReason}).\n`);
      for (const f of view.failures) process.stderr.write(`  failed ${f.source} -> ${f.destination}: ${f.code}: ${f.message}\n`);
      for (const r of view.renamed ?? []) process.stderr.write(`  renamed ${r.source} -> ${r.destination}\n`);
      for (const n of view.notes ?? []) process.stderr.write(`  note: ${n}\n`);
    }
    return code;
  }

  fail(err: unknown): number {
    const code = isBlobferryError(err) ? err.code : 'INTERNAL';
    const message = redact(messageOf(err));
    if (this.json) {
      const report: CopyReport = { instanceId: null, runtimeStatus: 'NotStarted', blobs: { total: 0, copied: 0, skipped: 0, failed: 0 }, bytes: { total: 0, copied: 0 }, failures: [], error: { code, message } };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      process.stderr.write(`blobferry: ${code}: ${message}\n`);
    }
    // Nothing was written: the input was wrong, or names a copy that is not there or not in a state for it.
    return isBlobferryError(err) && (INPUT_ERROR_CODES.has(err.code) || ['STATE_DIR_IN_USE', 'NOT_FOUND', 'NOT_RUNNING'].includes(err.code)) ? EXIT.USAGE : EXIT.FAILED;
  }
}
