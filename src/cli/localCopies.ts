/**
 * The copies `blobferry copy` runs in its own process, as they lie on this machine's disk.
 *
 * Each copy keeps its durable state in its own folder, <state>/copies/<copy id>, so copies run
 * side by side and an interrupted one is resumed only when asked (its own command again, or
 * `blobferry jobs resume`), never inside another copy. A copy that ended leaves report.json
 * there; one that ended whole keeps nothing else. `jobs` reads these folders without taking
 * their lock, so it can look at a copy another process is running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COPY_ID } from '../contracts/copyRequest';
import { BlobferryError } from '../contracts/errors';
import { copyView, type CopyView } from '../durable/copyStatus';
import type { TransferInput } from '../durable/types';
import { lockOwner, peekState } from '../local/durable/journal';
import { isTerminal } from '../local/durable/state';
import { toStatus } from '../local/durable/status';
import { readHostConfig } from '../local/hostConfig';
import { actForLocalUser, displayUrl } from '../storage/registry';
import { ensureLocalSealKey } from '../storage/seal';

/** This process copies for the person running it, with the seal key of the state folder (made if missing). */
export function actForUserAt(base: string): void {
  ensureLocalSealKey(base);
  actForLocalUser();
}

/** Where in-process copies keep their state: --state-dir, BLOBFERRY_STATE_DIR, else ~/.blobferry/state. */
export function stateBase(stateDir?: string): string {
  return path.resolve(stateDir || process.env.BLOBFERRY_STATE_DIR || path.join(os.homedir(), '.blobferry', 'state'));
}

export function copyFolder(base: string, id: string): string {
  return path.join(base, 'copies', id);
}

/** The Durable store inside a copy's folder (the local host keeps one per task hub). */
export function durableFolder(copyDir: string, appDir: string): string {
  return path.join(copyDir, readHostConfig(appDir).taskHub);
}

/**
 * running: a process is copying it now; interrupted: unfinished, and no process is (resume or
 * cancel it); ended: completed, failed or cancelled.
 */
export type CopyState = 'running' | 'interrupted' | 'ended';

export interface LocalCopy {
  id: string;
  state: CopyState;
  /** The process running it. */
  pid?: number;
  source?: string;
  destination?: string;
  createdTime?: string;
  lastUpdatedTime?: string;
  view: CopyView;
}

/** What a copy leaves in its folder when it ends: what `jobs` shows once its durable state is gone. */
type EndReport = Omit<LocalCopy, 'state' | 'pid'>;

const REPORT = 'report.json';
const CANCEL_REQUEST = 'cancel-requested';

export function readLocalCopy(base: string, appDir: string, id: string): LocalCopy | undefined {
  const dir = copyFolder(base, id);
  if (!isCopyId(id) || !fs.existsSync(dir)) return undefined;
  const durable = durableFolder(dir, appDir);
  const pid = lockOwner(durable);
  const instances = peekState(durable)?.instances;
  const transfer = instances?.get(id);
  if (transfer) {
    const status = toStatus(transfer, {});
    const child = (status.customStatus as { child?: string } | null)?.child;
    const worker = child ? instances?.get(child) : undefined;
    const input = status.input as Partial<TransferInput> | null;
    const ended = isTerminal(transfer.status);
    return {
      id,
      state: ended ? 'ended' : pid ? 'running' : 'interrupted',
      ...(pid && !ended ? { pid } : {}),
      source: input?.source ? displayUrl(input.source) : undefined,
      destination: input?.destination ? displayUrl(input.destination) : undefined,
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
      view: copyView(status, worker ? toStatus(worker, {}) : undefined),
    };
  }
  const report = readReport(dir);
  if (report) return { ...report, state: 'ended' };
  // A folder whose copy never got as far as starting (stopped at once): nothing to resume.
  return { id, state: pid ? 'running' : 'ended', ...(pid ? { pid } : {}), view: copyView({ instanceId: id, runtimeStatus: pid ? 'Pending' : 'NotStarted' }) };
}

/** The request a copy was started with, as its durable state keeps it (sealed). */
export function storedInput(dir: string, appDir: string, id: string): TransferInput | undefined {
  const input = peekState(durableFolder(dir, appDir))?.instances.get(id)?.input;
  return input ? (JSON.parse(input) as TransferInput) : undefined;
}

/** Every in-process copy under the state folder, newest first. */
export function listLocalCopies(base: string, appDir: string): LocalCopy[] {
  const root = path.join(base, 'copies');
  const ids = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => fs.statSync(path.join(root, name)).isDirectory()) : [];
  return ids
    .flatMap((id) => readLocalCopy(base, appDir, id) ?? [])
    .sort((a, b) => (b.createdTime ?? '').localeCompare(a.createdTime ?? '') || a.id.localeCompare(b.id));
}

export function findLocalCopy(base: string, appDir: string, id: string): LocalCopy {
  const copy = readLocalCopy(base, appDir, id);
  if (!copy) throw new BlobferryError('NOT_FOUND', `No copy '${id}' in ${path.join(base, 'copies')} (blobferry jobs list shows them; a copy run with --state-dir is listed with the same --state-dir).`);
  return copy;
}

/** Written when a run ends; the durable state beside it may be removed, the report stays until `jobs clean`. */
export function writeEndReport(dir: string, report: EndReport): void {
  const tmp = path.join(dir, `${REPORT}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(report));
  fs.renameSync(tmp, path.join(dir, REPORT));
}

/** Removes a copy's durable state and keeps its report: for a copy that ended whole. */
export function keepOnlyReport(dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name !== REPORT) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

function readReport(dir: string): EndReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, REPORT), 'utf8')) as EndReport;
  } catch {
    return undefined;
  }
}

/** Asks the process running a copy to cancel it: it looks for the request as it shows progress. */
export function requestCancel(dir: string): void {
  fs.writeFileSync(path.join(dir, CANCEL_REQUEST), String(process.pid));
}

/** Whether a cancel was asked for (and takes the request: it is acted on once). */
export function takeCancelRequest(dir: string): boolean {
  try {
    fs.rmSync(path.join(dir, CANCEL_REQUEST));
    return true;
  } catch {
    return false;
  }
}

/** Copy ids are instance ids the CLI made: never a path of their own. */
function isCopyId(id: string): boolean {
  return COPY_ID.test(id) && !id.includes('..');
}
