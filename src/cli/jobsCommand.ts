/**
 * `blobferry jobs list | show <id> | cancel <id> | resume <id> | clean [id]`: the copies
 * `blobferry copy` ran in its own process on this machine (localCopies.ts), or with --host a
 * running host's copies through its API.
 */
import fs from 'node:fs';
import { hasEnded } from '../contracts/copyList';
import { BlobferryError } from '../contracts/errors';
import type { CopyView } from '../durable/copyStatus';
import { formatBytes } from '../plan/blocks';
import { EXIT, Output, runInProcess } from './copyCommand';
import { hostApi } from './hostApi';
import { actForUserAt, copyFolder, findLocalCopy, listLocalCopies, readLocalCopy, requestCancel, stateBase, type LocalCopy } from './localCopies';

export interface JobsOptions {
  json?: boolean;
  host?: string;
  stateDir?: string;
  status?: string;
  all?: boolean;
  logLevel?: string;
  appDir: string;
}

/** A copy as `jobs` prints it: where it stands on this machine (or the host), and its view. */
type Job = Omit<LocalCopy, 'view'> & Omit<CopyView, 'instanceId'>;

/** Where a copy stands on this machine; `--status` takes these, or the Durable statuses that are not one of them. */
const PLACES: string[] = ['running', 'interrupted', 'ended'];

function asJob({ view, ...copy }: LocalCopy): Job {
  // A rate is news only while a process copies.
  const { instanceId: _id, rateBytesPerSec, ...rest } = view;
  return { ...copy, ...rest, ...(copy.state === 'running' && rateBytesPerSec ? { rateBytesPerSec } : {}) };
}

export async function listJobs(options: JobsOptions): Promise<number> {
  return run(options, async (out) => {
    const wanted = (options.status ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    let jobs: Job[];
    if (options.host) {
      const query = wanted.length > 0 ? `?status=${encodeURIComponent(wanted.join(','))}` : '';
      const { copies } = await hostApi(options.host).get<{ copies: Array<Omit<CopyView, 'instanceId' | 'failures'> & { id: string; createdTime: string; lastUpdatedTime: string }> }>(`/api/copies${query}`);
      jobs = copies.map((c) => ({ ...c, state: hasEnded(c.runtimeStatus) ? 'ended' : 'running', failures: [] }));
    } else {
      // Here a status is where a copy stands on this machine (running, interrupted, ended) or its Durable status.
      jobs = listLocalCopies(stateBase(options.stateDir), options.appDir)
        .map(asJob)
        .filter((job) => wanted.length === 0 || wanted.includes(job.state) || (!PLACES.includes(job.runtimeStatus.toLowerCase()) && wanted.includes(job.runtimeStatus.toLowerCase())));
    }
    if (options.json) return out.json({ copies: jobs });
    if (jobs.length === 0) return out.text(wanted.length > 0 ? `No copies ${wanted.join(' or ')}.` : 'No copies.');
    for (const job of jobs) out.text(jobLine(job));
  });
}

export async function showJob(id: string, options: JobsOptions): Promise<number> {
  return run(options, async (out) => {
    const job = options.host ? { id, state: 'running' as const, ...(await hostApi(options.host).get<CopyView>(`/api/copies/${encodeURIComponent(id)}`)) } : asJob(findLocalCopy(stateBase(options.stateDir), options.appDir, id));
    if (options.json) return out.json(job);
    out.text(describe(job));
  });
}

/**
 * Cancels a copy the way the API does (the cancel event: a server copy is aborted and its
 * destination restored): a copy another process runs is asked through its folder and waited
 * for; an interrupted one is cancelled here, on a host of its own.
 */
export async function cancelJob(id: string, options: JobsOptions): Promise<number> {
  return run(options, async (out) => {
    let view: CopyView;
    if (options.host) {
      const api = hostApi(options.host);
      await api.post(`/api/copies/${encodeURIComponent(id)}/cancel`);
      view = await until(async () => {
        const now = await api.get<CopyView>(`/api/copies/${encodeURIComponent(id)}`);
        return hasEnded(now.runtimeStatus) ? now : undefined;
      });
    } else {
      const base = stateBase(options.stateDir);
      const copy = findLocalCopy(base, options.appDir, id);
      if (copy.state === 'ended') throw new BlobferryError('NOT_RUNNING', `The copy ${id} has ended (${copy.view.phase}); there is nothing to cancel.`);
      if (copy.state === 'running') {
        requestCancel(copyFolder(base, id));
        out.note(`Asked process ${copy.pid} to cancel ${id}; waiting for it to stop.`);
        const after = await until(async () => {
          const now = readLocalCopy(base, options.appDir, id);
          return now && now.state !== 'running' ? now : undefined;
        });
        if (after.state === 'interrupted') throw new BlobferryError('INTERNAL', `The process running ${id} stopped before it cancelled the copy; run blobferry jobs cancel ${id} again.`);
        view = after.view;
      } else {
        actForUserAt(base);
        view = await runInProcess(base, id, options, new Output(true), { cancel: true });
      }
    }
    if (options.json) return out.json(view);
    out.text(`Copy ${id} ${view.cancelled ? 'cancelled' : `ended before the cancel took effect (${view.phase})`}: ${view.blobs.copied} copied, ${view.blobs.skipped} skipped, ${view.blobs.failed} failed of ${view.blobs.total} blob(s).`);
  });
}

/** Resumes an interrupted copy where it stands, as running its command again would. */
export async function resumeJob(id: string, options: JobsOptions): Promise<number> {
  if (options.host) return run(options, () => Promise.reject(new BlobferryError('CONFLICTING_OPTIONS', 'A host resumes its copies itself when it starts again; jobs resume is for copies run by blobferry copy on this machine.')));
  const base = stateBase(options.stateDir);
  const out = new Output(options.json ?? false);
  try {
    const copy = findLocalCopy(base, options.appDir, id);
    if (copy.state === 'running') throw new BlobferryError('STATE_DIR_IN_USE', `The copy ${id} is running in process ${copy.pid}; there is nothing to resume.`);
    if (copy.state === 'ended') throw new BlobferryError('NOT_RUNNING', `The copy ${id} has ended (${copy.view.phase}); run its command again to copy once more.`);
    actForUserAt(base);
    return out.finish(await runInProcess(base, id, options, out, {}));
  } catch (err) {
    return out.fail(err);
  }
}

/** Removes what ended copies keep (their reports, the state of failed ones); --all: interrupted ones too. */
export async function cleanJobs(id: string | undefined, options: JobsOptions): Promise<number> {
  return run(options, async (out) => {
    if (options.host) throw new BlobferryError('CONFLICTING_OPTIONS', 'jobs clean removes what copies run by blobferry copy keep on this machine; a host keeps its copies\' history in its task hub (purge it with the Durable HTTP API).');
    const base = stateBase(options.stateDir);
    const copies = id ? [findLocalCopy(base, options.appDir, id)] : listLocalCopies(base, options.appDir);
    const removable = (copy: LocalCopy) => copy.state === 'ended' || (copy.state === 'interrupted' && (options.all || id !== undefined));
    if (id && copies[0].state === 'running') throw new BlobferryError('STATE_DIR_IN_USE', `The copy ${id} is running in process ${copies[0].pid}; cancel it first (blobferry jobs cancel ${id}).`);
    const removed: string[] = [];
    for (const copy of copies.filter(removable)) {
      // A copy that started meanwhile takes its folder's lock: look again right before removing.
      if (readLocalCopy(base, options.appDir, copy.id)?.state === 'running') continue;
      fs.rmSync(copyFolder(base, copy.id), { recursive: true, force: true });
      removed.push(copy.id);
    }
    const kept = copies.filter((copy) => !removed.includes(copy.id)).map((copy) => ({ id: copy.id, state: copy.state }));
    if (options.json) return out.json({ removed, kept });
    out.text(`Removed ${removed.length} cop${removed.length === 1 ? 'y' : 'ies'}${removed.length > 0 ? `: ${removed.join(', ')}` : ''}.`);
    const interrupted = kept.filter((k) => k.state === 'interrupted').length;
    if (interrupted > 0) out.text(`Kept ${interrupted} interrupted cop${interrupted === 1 ? 'y' : 'ies'} (resume or cancel them, or clean them with --all).`);
  });
}

function jobLine(job: Job): string {
  const where = job.state === 'running' ? (job.pid ? `running (pid ${job.pid})` : 'running') : job.state === 'interrupted' ? 'interrupted' : job.phase;
  const places = job.source ? `  ${job.source} -> ${job.destination}` : '';
  return `${job.id}  ${where}  ${job.blobs.copied + job.blobs.skipped}/${job.blobs.total} blobs${job.blobs.failed ? ` (${job.blobs.failed} failed)` : ''}  ${formatBytes(job.bytes.copied)} / ${formatBytes(job.bytes.total)}  ${job.createdTime ?? ''}${places}`;
}

function describe(job: Job): string {
  const lines = [`Copy ${job.id}`];
  const hint = job.state === 'interrupted' ? ` (blobferry jobs resume ${job.id}, or jobs cancel ${job.id})` : '';
  lines.push(`  state:       ${job.state === 'running' && job.pid ? `running in process ${job.pid}` : job.state}${hint}; ${job.runtimeStatus}, ${job.phase}`);
  if (job.source) lines.push(`  source:      ${job.source}`, `  destination: ${job.destination}`);
  if (job.createdTime) lines.push(`  started:     ${job.createdTime}; last change ${job.lastUpdatedTime}`);
  if (job.strategy) lines.push(`  strategy:    ${job.strategy}${job.strategyReason ? ` (${job.strategyReason})` : ''}`);
  lines.push(`  blobs:       ${job.blobs.copied} copied, ${job.blobs.skipped} skipped, ${job.blobs.failed} failed of ${job.blobs.total}`);
  lines.push(`  bytes:       ${formatBytes(job.bytes.copied)} of ${formatBytes(job.bytes.total)}`);
  if (job.error) lines.push(`  error:       ${job.error.code}: ${job.error.message}`);
  for (const f of job.failures) lines.push(`  failed ${f.source} -> ${f.destination}: ${f.code}: ${f.message}`);
  if (job.failuresNotListed) lines.push(`  (${job.failuresNotListed} more failures not listed)`);
  return lines.join('\n');
}

async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What `jobs` prints: text on stdout, or one JSON object; errors as `copy` prints them. */
interface JobsOutput {
  text(line: string): void;
  json(value: unknown): void;
  note(line: string): void;
}

async function run(options: JobsOptions, body: (out: JobsOutput) => Promise<void>): Promise<number> {
  const out: JobsOutput = {
    text: (line) => void process.stdout.write(`${line}\n`),
    json: (value) => void process.stdout.write(`${JSON.stringify(value)}\n`),
    note: (line) => void (options.json ? undefined : process.stderr.write(`${line}\n`)),
  };
  try {
    await body(out);
    return EXIT.OK;
  } catch (err) {
    return new Output(options.json ?? false).fail(err);
  }
}
