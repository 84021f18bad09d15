/**
 * A local directory (or one file) as the destination of copies: a download. The storage
 * service cannot write a machine's disk, so every blob is relayed: ranges read pinned to the
 * source's version, each written at its offset into a temporary file beside the final one,
 * and the whole renamed into place only once every block is there and the relay's digests
 * matched what the source declares. So no torn file is ever visible under the final name.
 *
 *   <dir>/.<name>.<hash>.blobferry-part     the bytes so far (hidden, beside the final file)
 *   <dir>/.<name>.<hash>.blobferry-blocks   the blocks written and where (a re-run skips them)
 *
 * The overwrite policy holds at the rename: "never" links the file into place (which fails
 * if the name is taken, atomically), "if-source-newer" checks the file it looked at is still
 * there unchanged. The file's modification time is the source's: its `mtime` metadata when it
 * has one (a file blobferry or rclone uploaded), else its last-modified time.
 *
 * Names are checked before anything is written: no "." or ".." segment, no empty segment, no
 * NUL, no segment longer than the filesystem takes, and never a path that leads out of the
 * directory, through a symbolic link either.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommitConditions, DestinationState } from '../../contracts/blobFacts';
import type { DestinationFacts } from '../../contracts/endpointFacts';
import { BlobferryError, messageOf } from '../../contracts/errors';
import { preciseMs } from '../../contracts/time';
import type { FileLocation } from '../../contracts/locations';
import type { BlobDestination, CommitContent, CopyState, WrittenBlob } from '../endpoint';
import { realPathOrNearest } from '../access/localRoots';
import { inScope, type NameScope } from '../scope';
import { BLOCKS_SUFFIX, fileNameProblem, md5OfFile, PART_SUFFIX, rfc3339Nano, versionOf } from './location';

const MAX_PATH_BYTES = 4095;
/** Files as any other program makes them (the umask applies); the temporary name is what keeps a partial file out of sight. */
const FILE_MODE = 0o666;


export class FileDestination implements BlobDestination {
  readonly facts: DestinationFacts;
  private readonly root: string;
  private readonly checkedDirectories = new Set<string>();

  constructor(
    location: FileLocation,
    private readonly scope: NameScope,
  ) {
    this.root = location.directory ? location.path : path.dirname(location.path);
    this.facts = {
      container: `file:${this.root}`,
      path: location.directory ? '' : path.basename(location.path),
      emulator: false,
      readsUrls: false,
      storesMd5: false,
    };
  }

  checkAccess(): void {
    // The user's own disk: found out by writing.
  }

  throttles(): number {
    return 0;
  }

  /** The directory is made when missing, as `cp -r` and AzCopy do: nothing to ask for. */
  async createContainer(): Promise<void> {
    await local(() => fs.promises.mkdir(this.root, { recursive: true }), this.root);
  }

  async destinationState(name: string): Promise<DestinationState> {
    const file = this.fileFor(name);
    await this.checkInside(path.dirname(file));
    const stat = await fs.promises.stat(file, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw localError(err, file);
    });
    if (!stat) return { exists: false };
    if (!stat.isFile()) throw conflict(file, 'it is a directory (or not a regular file), where the copy would write a file');
    return { exists: true, etag: versionOf(stat), lastModified: new Date(Number(stat.mtimeMs)).toISOString(), size: Number(stat.size), mtime: rfc3339Nano(stat.mtimeNs) };
  }

  async md5(name: string): Promise<string> {
    const file = this.fileFor(name);
    await this.checkInside(path.dirname(file));
    return md5OfFile(file);
  }

  async properties(name: string): Promise<WrittenBlob> {
    const file = this.fileFor(name);
    const stat = await local(() => fs.promises.stat(file, { bigint: true }), file);
    return { etag: versionOf(stat), contentLength: Number(stat.size) };
  }

  async stagedBlocks(name: string): Promise<Map<string, number>> {
    const { part } = this.partOf(name);
    // A crash between link() and unlinking the temporary name leaves it a second name of the
    // final file: never write through it, start again.
    if (await sameFile(part, this.fileFor(name))) {
      await this.discardStaged(name);
      return new Map();
    }
    return new Map([...(await this.recorded(name))].map(([id, range]) => [id, range.length]));
  }

  /**
   * A block at its offset in the temporary file. A failure here does not remove the file: other
   * blocks of the same file are being written at the same time; the copy lets go of what it
   * staged once they have all settled (discardStaged).
   */
  async stageBody(name: string, blockId: string, body: Buffer, _md5: Buffer | undefined, offset: number): Promise<void> {
    const { part, blocks } = this.partOf(name);
    await this.makeParent(part);
    try {
      const handle = await fs.promises.open(part, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, FILE_MODE);
      try {
        await handle.write(body, 0, body.length, offset);
      } finally {
        await handle.close();
      }
      // Recorded once written: a block listed here is on disk (the page cache outlives the process).
      await appendLine(blocks, `${blockId} ${offset} ${body.length}`);
    } catch (err) {
      throw localError(err as NodeJS.ErrnoException, this.fileFor(name), ' The partial temporary file is removed when the copy ends.');
    }
  }

  async discardStaged(name: string): Promise<void> {
    const { part, blocks } = this.partOf(name);
    await Promise.all([fs.promises.rm(part, { force: true }), fs.promises.rm(blocks, { force: true })]);
  }

  async commit(name: string, blockIds: string[], content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    const { part, blocks } = this.partOf(name);
    const recorded = await this.recorded(name);
    const mtime = modificationTime(content);
    if (blockIds.some((id) => !recorded.has(id))) {
      // This very commit may have happened already (its result lost in a crash): the file is in place.
      const done = await this.alreadyInPlace(name, part, mtime);
      if (done) return done;
      throw new BlobferryError('BLOCKS_LOST', `Blocks of ${name} are not on disk; the copy writes them again.`);
    }
    // The blocks must cover the file from its start without a gap or an overlap (a run with
    // another block size recorded other ranges under the same ids): otherwise start again.
    const ranges = blockIds.map((id) => recorded.get(id)!).sort((x, y) => x.offset - y.offset);
    const size = ranges.reduce((end, r) => (end === r.offset ? end + r.length : NaN), 0);
    if (!Number.isFinite(size)) {
      await this.discardStaged(name);
      throw new BlobferryError('BLOCKS_LOST', `The blocks written for ${name} do not cover it end to end; the copy writes them again.`);
    }
    if (blockIds.length === 0) await this.writeWhole(name, part, Buffer.alloc(0), mtime);
    else {
      await this.writing(name, async () => {
        const handle = await fs.promises.open(part, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
        try {
          await handle.truncate(size);
          if (mtime !== undefined) await handle.utimes(mtime, mtime);
        } finally {
          await handle.close();
        }
      });
    }
    return this.finish(name, part, blocks, conditions);
  }

  async putWhole(name: string, body: Buffer, _md5: Buffer, content: CommitContent, conditions: CommitConditions): Promise<{ etag: string }> {
    const { part } = this.partOf(name);
    await this.writeWhole(name, part, body, modificationTime(content));
    return this.finish(name, part, undefined, conditions);
  }

  async readRange(name: string, offset: number, count: number): Promise<Buffer> {
    const file = this.fileFor(name);
    const handle = await local(() => fs.promises.open(file, 'r'), file);
    try {
      const buffer = Buffer.alloc(count);
      const { bytesRead } = await handle.read(buffer, 0, count, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** Removes the file, only while it is still the version `etag` names (sync --delete-destination). */
  async deleteBlob(name: string, etag?: string): Promise<void> {
    const file = this.fileFor(name);
    if (etag !== undefined) {
      const now = await this.destinationState(name);
      if (!now.exists) return;
      if (now.etag !== etag) throw new BlobferryError('DESTINATION_CHANGED', `${file} changed since it was listed; it is kept.`);
    }
    await local(() => fs.promises.rm(file, { force: true }), file);
  }

  // What only the storage service does: never chosen for a local destination (it reads no URL), refused if asked.
  stageFromUrl(): Promise<void> {
    return notOnDisk('Put Block From URL');
  }
  startCopy(): Promise<{ copyId: string; status: CopyState['status'] }> {
    return notOnDisk('Copy Blob');
  }
  syncCopy(): Promise<{ etag: string }> {
    return notOnDisk('Copy Blob From URL');
  }
  copyState(): Promise<CopyState> {
    return notOnDisk('a server copy');
  }
  abortCopy(): Promise<boolean> {
    return notOnDisk('a server copy');
  }
  snapshot(): Promise<string> {
    return notOnDisk('snapshots');
  }
  promoteSnapshot(): Promise<void> {
    return notOnDisk('snapshots');
  }
  newestSnapshot(): Promise<string | undefined> {
    return notOnDisk('snapshots');
  }
  snapshotExists(): Promise<boolean> {
    return notOnDisk('snapshots');
  }
  deleteSnapshot(): Promise<void> {
    return notOnDisk('snapshots');
  }
  async tags(): Promise<Record<string, string>> {
    return {};
  }
  async setTags(): Promise<void> {
    // Files have no tags: a blob's are not kept on disk.
  }

  /** The file a name is written to: only under the directory, never through a link out of it. */
  private fileFor(name: string): string {
    const given = inScope(name, this.scope);
    const problem = fileNameProblem(given);
    if (problem) throw new BlobferryError('INVALID_NAME', `"${given.slice(0, 200)}" cannot be a file name under ${this.root}: ${problem}. Nothing was written for it.`);
    const file = path.join(this.root, ...given.split('/'));
    if (Buffer.byteLength(file) > MAX_PATH_BYTES) throw new BlobferryError('INVALID_NAME', `The path for "${given.slice(0, 200)}" would be longer than ${MAX_PATH_BYTES} bytes. Nothing was written for it.`);
    return file;
  }

  /** The temporary file and block list of a name: hidden, beside the final file, the same in every run. */
  private partOf(name: string): { part: string; blocks: string } {
    const file = this.fileFor(name);
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    // Short enough beside a name of 255 bytes: the base is cut, the hash keeps it unique.
    const base = `.${Buffer.from(path.basename(file)).subarray(0, 200).toString('utf8').replace(/\uFFFD+$/, '')}.${hash}`;
    const stem = path.join(path.dirname(file), base);
    return { part: `${stem}${PART_SUFFIX}`, blocks: `${stem}${BLOCKS_SUFFIX}` };
  }

  /** The blocks the list beside the temporary file records, by id (the last line for an id wins). */
  private async recorded(name: string): Promise<Map<string, { offset: number; length: number }>> {
    const { blocks } = this.partOf(name);
    const text = await fs.promises.readFile(blocks, { encoding: 'utf8', flag: fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW }).catch(() => '');
    return new Map(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [id, offset, length] = line.split(' ');
          return [id, { offset: Number(offset), length: Number(length) }] as const;
        }),
    );
  }

  /**
   * Makes the file's directories, and checks none of them leads out of the destination (a
   * symbolic link), before anything is made and after. A directory checked once by this endpoint
   * (one activity: a batch of small files, or a run of blocks) is not checked again.
   */
  private async makeParent(file: string): Promise<void> {
    const parent = path.dirname(file);
    if (this.checkedDirectories.has(parent)) return;
    await this.checkInside(parent);
    await local(() => fs.promises.mkdir(parent, { recursive: true }), parent);
    await this.checkInside(parent);
    this.checkedDirectories.add(parent);
  }

  /** Refuses a path that, links followed as far as it exists, is not under the destination directory. */
  private async checkInside(target: string): Promise<void> {
    const root = realPathOrNearest(this.root);
    const real = realPathOrNearest(target);
    if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
      throw new BlobferryError('INVALID_NAME', `${target} leads out of ${this.root} (a symbolic link); nothing is read or written through it.`);
    }
  }

  /** A whole file at once (a small blob): written, given its time and closed through one descriptor. */
  private async writeWhole(name: string, part: string, body: Buffer, mtime: number | undefined): Promise<void> {
    await this.makeParent(part);
    await this.writing(name, async () => {
      // A fresh file: never one left linked to the final name by a crash, nor a link planted there.
      await fs.promises.rm(part, { force: true });
      const handle = await fs.promises.open(part, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, FILE_MODE);
      try {
        await handle.writeFile(body);
        if (mtime !== undefined) await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
    });
  }

  /** The temporary file, with the source's modification time, into place under the policy's conditions. */
  private async finish(name: string, part: string, blocks: string | undefined, conditions: CommitConditions): Promise<{ etag: string }> {
    const file = this.fileFor(name);
    try {
      if (conditions.ifNoneMatch === '*') {
        // link() never replaces: the name taken meanwhile fails here, atomically.
        await fs.promises.link(part, file);
        await fs.promises.rm(part);
      } else {
        if (conditions.ifMatch !== undefined) {
          const now = await this.destinationState(name);
          if (!now.exists || now.etag !== conditions.ifMatch) throw new BlobferryError('DESTINATION_CHANGED', `${file} changed since the copy looked at it; it is kept as it is.`);
        }
        await fs.promises.rename(part, file);
      }
    } catch (err) {
      if (err instanceof BlobferryError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BlobferryError('DESTINATION_EXISTS', `${file} exists; it is kept as it is.`);
      throw localError(err as NodeJS.ErrnoException, file);
    }
    if (blocks) await fs.promises.rm(blocks, { force: true });
    return { etag: versionOf(await fs.promises.stat(file, { bigint: true })) };
  }

  /** A commit that ran already: no temporary file left, and the final one is what it wrote (its modification time). */
  private async alreadyInPlace(name: string, part: string, mtime: number | undefined): Promise<{ etag: string } | undefined> {
    if (fs.existsSync(part)) return undefined;
    const stat = await fs.promises.stat(this.fileFor(name), { bigint: true }).catch(() => undefined);
    // utimes sets a float of seconds, to the microsecond at best.
    if (!stat?.isFile() || mtime === undefined || Math.abs(Number(stat.mtimeNs) / 1e9 - mtime) > 2e-6) return undefined;
    return { etag: versionOf(stat) };
  }

  /** A write of the whole file (one writer) that fails takes its temporary file with it (a full disk keeps nothing half-written), and says so. */
  private async writing<T>(name: string, act: () => Promise<T>): Promise<T> {
    try {
      return await act();
    } catch (err) {
      await this.discardStaged(name);
      throw localError(err as NodeJS.ErrnoException, this.fileFor(name), ' The partial temporary file was removed.');
    }
  }
}

/** Appends one line, never through a link planted at the path. */
async function appendLine(file: string, line: string): Promise<void> {
  const handle = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, FILE_MODE);
  try {
    await handle.write(`${line}\n`);
  } finally {
    await handle.close();
  }
}

/** Are these two paths one file (a hard link)? */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.promises.lstat(a, { bigint: true }).catch(() => undefined), fs.promises.lstat(b, { bigint: true }).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
}

/**
 * The source's modification time in seconds: its `mtime` metadata (RFC 3339, as blobferry and
 * rclone write it, to the nanosecond), else its last-modified. The fraction is read as written:
 * a Date would cut it to milliseconds.
 */
function modificationTime(content: CommitContent): number | undefined {
  const ms = preciseMs(content.metadata?.mtime) ?? preciseMs(content.lastModified);
  return ms === undefined ? undefined : ms / 1000;
}

async function local<T>(act: () => Promise<T>, file: string): Promise<T> {
  try {
    return await act();
  } catch (err) {
    throw localError(err as NodeJS.ErrnoException, file);
  }
}

function localError(err: NodeJS.ErrnoException, file: string, after = ''): BlobferryError {
  if (err instanceof BlobferryError) return err;
  switch (err.code) {
    case 'ENOSPC':
      return new BlobferryError('DISK_FULL', `The disk is full: ${file} could not be written.${after}`);
    case 'EDQUOT':
      return new BlobferryError('DISK_FULL', `The disk quota is used up: ${file} could not be written.${after}`);
    case 'EFBIG':
      return new BlobferryError('DISK_FULL', `${file} is larger than this process may write (the filesystem's or ulimit -f's limit).${after}`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new BlobferryError('PERMISSION_DENIED', `${file} cannot be written: ${err.code === 'EROFS' ? 'the filesystem is read-only' : 'permission denied'}.${after}`);
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return conflict(file, 'a file is where a directory is needed, or a directory where a file is');
    default:
      return new BlobferryError('STORAGE_ERROR', `${file} could not be written: ${messageOf(err)}.${after}`);
  }
}

function conflict(file: string, why: string): BlobferryError {
  return new BlobferryError('LOCAL_PATH_CONFLICT', `${file} cannot be written: ${why}. Nothing was written for it.`);
}

function notOnDisk<T>(what: string): Promise<T> {
  return Promise.reject(new BlobferryError('NOT_SUPPORTED', `A local destination takes no ${what}: its copies are relayed.`));
}
