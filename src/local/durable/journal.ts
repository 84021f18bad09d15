/**
 * Files behind the local Durable store, in one folder:
 *
 *   LOCK                 the pid of the host that owns the folder (one host per folder)
 *   snapshot.json        the whole state at some generation g (written to a temp file, renamed)
 *   journal-<g>.jsonl    every record applied since that snapshot, one JSON line each
 *
 * A record is written with one write() before its effects are acted on, so `kill -9` of the
 * host loses nothing that was acted on (the page cache survives the process; `fsync: true`
 * also survives the machine). A torn last line, from a kill in mid-write, is cut off on open.
 *
 * The journal is compacted into a new snapshot once it outgrows twice the last snapshot (and a
 * floor): the folder then stays within about three times the live state, however long the host
 * runs (a migration of millions of blobs writes gigabytes of records over a state of kilobytes),
 * and writing snapshots costs at most half a byte per byte of journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BlobferryError } from '../../contracts/errors';
import type { ActivityWork, Instance, StoreRecord, StoreState, TimerWork } from './state';
import { applyRecord, emptyState } from './state';

interface SnapshotFile {
  format: 1;
  generation: number;
  instances: Instance[];
  activities: ActivityWork[];
  timers: TimerWork[];
}

export interface JournalOptions {
  /** fsync every record (survives power loss, slower). */
  fsync?: boolean;
  /** The journal is never compacted below this many bytes (default 8 MiB). */
  compactBytes?: number;
}

export class Journal {
  private fd: number;
  private bytes: number;
  /** The last snapshot's size: the journal is compacted once it outgrows twice that. */
  private snapshotBytes: number;

  private constructor(
    private readonly dir: string,
    private generation: number,
    private readonly options: Required<JournalOptions>,
  ) {
    const file = this.journalPath(generation);
    this.fd = fs.openSync(file, 'a');
    this.bytes = fs.fstatSync(this.fd).size;
    this.snapshotBytes = fs.statSync(path.join(dir, 'snapshot.json'), { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Takes the folder's lock and rebuilds the state from the snapshot and journal. */
  static open(dir: string, options: JournalOptions = {}): { journal: Journal; state: StoreState } {
    fs.mkdirSync(dir, { recursive: true });
    acquireLock(dir);
    try {
      const { state, generation } = load(dir);
      const journal = new Journal(dir, generation, { fsync: options.fsync ?? false, compactBytes: options.compactBytes ?? 8 * 1024 * 1024 });
      return { journal, state };
    } catch (err) {
      releaseLock(dir);
      throw err;
    }
  }

  append(record: StoreRecord): void {
    const line = JSON.stringify(record) + '\n';
    fs.writeSync(this.fd, line);
    if (this.options.fsync) fs.fsyncSync(this.fd);
    this.bytes += Buffer.byteLength(line);
  }

  get needsCompaction(): boolean {
    return this.bytes > Math.max(this.options.compactBytes, 2 * this.snapshotBytes);
  }

  /** Writes the state as snapshot g+1 and starts an empty journal for it. */
  compact(state: StoreState): void {
    const next = this.generation + 1;
    const snapshot: SnapshotFile = {
      format: 1,
      generation: next,
      instances: [...state.instances.values()],
      activities: [...state.activities.values()],
      timers: [...state.timers.values()],
    };
    const tmp = path.join(this.dir, 'snapshot.json.tmp');
    const text = JSON.stringify(snapshot);
    fs.writeFileSync(tmp, text);
    this.snapshotBytes = Buffer.byteLength(text);
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, path.join(this.dir, 'snapshot.json'));
    fs.closeSync(this.fd);
    fs.rmSync(this.journalPath(this.generation), { force: true });
    this.generation = next;
    this.fd = fs.openSync(this.journalPath(next), 'a');
    this.bytes = 0;
  }

  close(): void {
    fs.closeSync(this.fd);
    releaseLock(this.dir);
  }

  private journalPath(generation: number): string {
    return path.join(this.dir, `journal-${generation}.jsonl`);
  }
}

/**
 * The state as it stands, read without taking the lock: another process may own the folder and
 * go on writing (for looking only; nothing in the folder is changed). A compaction racing the
 * read can only make the view a little older, never torn: snapshots are renamed into place.
 */
export function peekState(dir: string): StoreState | undefined {
  if (!fs.existsSync(dir)) return undefined;
  if (!fs.existsSync(path.join(dir, 'snapshot.json')) && !fs.readdirSync(dir).some((name) => /^journal-\d+\.jsonl$/.test(name))) return undefined;
  return load(dir, true).state;
}

/** The pid of a live process that owns the folder, if one does. */
export function lockOwner(dir: string): number | undefined {
  try {
    const owner = Number(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim());
    return owner !== process.pid && isAlive(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function load(dir: string, readOnly = false): { state: StoreState; generation: number } {
  const state = emptyState();
  let generation = 0;
  const snapshotPath = path.join(dir, 'snapshot.json');
  if (fs.existsSync(snapshotPath)) {
    let snapshot: SnapshotFile;
    try {
      snapshot = JSON.parse(fs.readFileSync(snapshotPath, 'utf8')) as SnapshotFile;
    } catch (err) {
      throw new BlobferryError('STATE_CORRUPT', `The durable state snapshot ${snapshotPath} cannot be read (${(err as Error).message}). Move the folder away to start with an empty state.`);
    }
    generation = snapshot.generation;
    for (const instance of snapshot.instances) state.instances.set(instance.instanceId, instance);
    for (const work of snapshot.activities) state.activities.set(work.id, work);
    for (const work of snapshot.timers) state.timers.set(work.id, work);
  }
  // Journals of older generations are leftovers of a compaction cut short: the snapshot has them.
  for (const name of readOnly ? [] : fs.readdirSync(dir)) {
    const m = /^journal-(\d+)\.jsonl$/.exec(name);
    if (m && Number(m[1]) < generation) fs.rmSync(path.join(dir, name), { force: true });
  }
  const journalPath = path.join(dir, `journal-${generation}.jsonl`);
  if (fs.existsSync(journalPath)) replay(journalPath, state, readOnly);
  return { state, generation };
}

function replay(file: string, state: StoreState, readOnly: boolean): void {
  const text = fs.readFileSync(file, 'utf8');
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    lineNo++;
    if (end < 0) {
      // A record cut off by a kill in mid-write (or, read by a looker, still being written): it never took effect, drop it.
      if (!readOnly) fs.truncateSync(file, Buffer.byteLength(text.slice(0, offset)));
      return;
    }
    const line = text.slice(offset, end);
    offset = end + 1;
    if (line.length === 0) continue;
    let record: StoreRecord;
    try {
      record = JSON.parse(line) as StoreRecord;
    } catch {
      throw new BlobferryError('STATE_CORRUPT', `Line ${lineNo} of ${file} is not a valid record. Move the folder away to start with an empty state.`);
    }
    applyRecord(state, record);
  }
}

function acquireLock(dir: string): void {
  const lock = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(fs.readFileSync(lock, 'utf8').trim());
    if (owner === process.pid || !isAlive(owner)) {
      fs.rmSync(lock, { force: true }); // left by a host that was killed
      continue;
    }
    throw new BlobferryError(
      'STATE_DIR_IN_USE',
      `The durable state folder ${dir} is in use by another blobferry host (pid ${owner}). Stop it, or use another folder (--state-dir / BLOBFERRY_STATE_DIR). If no such process is a blobferry host, delete ${lock}.`,
    );
  }
  throw new BlobferryError('STATE_DIR_IN_USE', `Could not take the lock ${lock}.`);
}

function releaseLock(dir: string): void {
  const lock = path.join(dir, 'LOCK');
  try {
    if (Number(fs.readFileSync(lock, 'utf8').trim()) === process.pid) fs.rmSync(lock, { force: true });
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
