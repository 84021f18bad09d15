/**
 * A local file, or a directory (its files; with --recursive everything under it), as a copy
 * source (an upload). The
 * storage service cannot read the machine's disk, so every file is relayed: read in ranges,
 * each block staged with its MD5, the file's MD5 stored as Content-MD5 at the commit.
 *
 * A file's version is its size and modification time (to the nanosecond): every range read and
 * the check before the commit compare them, so a file that changes while it is read fails
 * SOURCE_CHANGED and nothing is committed. The modification time is kept in the blob's
 * metadata as `mtime` (RFC 3339, as rclone writes it), for sync to compare against.
 *
 * Names are "/"-separated paths relative to the directory, listed in the order of their full
 * names (so a continuation is simply the last name given). Symbolic links inside a directory
 * are not followed (a link can lead out of the tree, or round in a loop), as AzCopy's default.
 */
import fs from 'node:fs';
import path from 'node:path';
import mime from 'mime-types';
import { blobProperties, type SourceBlob } from '../../contracts/blobFacts';
import type { SourceFacts } from '../../contracts/endpointFacts';
import { BlobferryError } from '../../contracts/errors';
import type { FileLocation } from '../../contracts/locations';
import { readWhole, type ListedPage, type ListOptions, type SourceAccess, type SourceEndpoint } from '../endpoint';
import { inScope, type NameScope } from '../scope';
import { fileNameProblem, isTemporary, md5OfFile, pathOf, readError, rfc3339Nano, versionOf } from './location';

export class FileSource implements SourceEndpoint {
  readonly facts: SourceFacts;

  /** `recursive`: a directory's subdirectories too; without, only its own files (as blobxfer and `cp` do). */
  constructor(
    private readonly location: FileLocation,
    private readonly scope: NameScope,
    private readonly recursive: boolean,
  ) {
    this.facts = {
      noun: location.directory ? `the local directory ${location.path}` : `the local file ${location.path}`,
      listable: location.directory === true,
      shallowWithoutRecursive: true,
      // Names are relative to the directory; a file alone is named by its base name.
      path: location.directory ? '' : path.basename(location.path),
      servesUrl: false,
      privateBecause: 'it is on this machine\'s disk',
      serviceCopiesProperties: false,
    };
  }

  checkAccess(): void {
    // The user's own access to their disk: found out by reading.
  }

  async probe(name: string, prefix: boolean): Promise<{ tagsReadable: boolean }> {
    const target = prefix ? path.join(this.location.path, name) : this.pathOf(name);
    await failing(() => fs.promises.access(target, fs.constants.R_OK), target);
    return { tagsReadable: true }; // files have none
  }

  async stat(name: string): Promise<SourceBlob> {
    const file = this.pathOf(name);
    const stat = await failing(() => fs.promises.stat(file, { bigint: true }), file);
    if (!stat.isFile()) throw new BlobferryError('SOURCE_NOT_FOUND', `${file} is not a file.`);
    return describe(name, stat);
  }

  async listPage(prefix: string, continuation: string | undefined, pageSize: number, options: ListOptions): Promise<ListedPage> {
    const items: SourceBlob[] = [];
    let scanned = 0;
    let last: string | undefined;
    for await (const { name, stat } of walk(this.location.path, prefix, continuation, this.recursive)) {
      scanned++;
      last = name;
      const blob = describe(name, stat);
      if (options.keep(name.slice(prefix.length), blob.size, blob.lastModified)) items.push(blob);
      if (items.length >= pageSize) break;
    }
    // The walk ended before the page filled: nothing is left.
    return { items, scanned, ...(items.length >= pageSize && last !== undefined ? { next: last } : {}) };
  }

  async readRange(blob: SourceBlob, offset: number, count: number, into?: Buffer): Promise<Buffer> {
    const file = this.pathOf(blob.name);
    const handle = await failing(() => fs.promises.open(file, 'r'), file);
    try {
      this.checkVersion(blob, await handle.stat({ bigint: true }));
      const buffer = into ? into.subarray(0, count) : Buffer.allocUnsafe(count);
      let done = 0;
      while (done < count) {
        const { bytesRead } = await handle.read(buffer, done, count - done, offset + done);
        if (bytesRead === 0) throw changed(blob.name, 'it became shorter while it was read');
        done += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async *stream(blob: SourceBlob): AsyncIterable<Buffer> {
    const chunk = 8 * 1024 * 1024;
    for (let offset = 0; offset < blob.size; offset += chunk) yield await this.readRange(blob, offset, Math.min(chunk, blob.size - offset));
  }

  readObject(blob: SourceBlob): Promise<{ body: Buffer; blob: SourceBlob }> {
    return readWhole(this, blob);
  }

  async serviceAccess(): Promise<SourceAccess> {
    throw new BlobferryError('INTERNAL', 'A local file cannot be read by the storage service; it is relayed.');
  }

  md5(blob: SourceBlob): Promise<string> {
    return md5OfFile(this.pathOf(blob.name));
  }

  async stillPinned(blob: SourceBlob): Promise<boolean> {
    const file = this.pathOf(blob.name);
    try {
      return versionOf(await fs.promises.stat(file, { bigint: true })) === blob.etag;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Only names under the directory: a name handed in (a sync's destination listing) never leads out of it. */
  private pathOf(name: string): string {
    const problem = fileNameProblem(inScope(name, this.scope));
    if (problem) throw new BlobferryError('SOURCE_NOT_FOUND', `"${name.slice(0, 200)}" is not a file under ${this.location.path}: ${problem}.`);
    return pathOf(this.location, name);
  }

  private checkVersion(blob: SourceBlob, stat: fs.BigIntStats): void {
    if (versionOf(stat) !== blob.etag) throw changed(blob.name, 'its size or modification time moved since the copy began');
  }
}

function describe(name: string, stat: fs.BigIntStats): SourceBlob {
  const lastModified = new Date(Number(stat.mtimeMs)).toISOString();
  return {
    name,
    size: Number(stat.size),
    etag: versionOf(stat),
    lastModified,
    blobType: 'Object',
    properties: blobProperties({ contentType: mime.lookup(name) || 'application/octet-stream' }),
    metadata: { mtime: rfc3339Nano(stat.mtimeNs) },
    acceptsRanges: true,
  };
}

/**
 * The regular files under `root/prefix`, in the order of their full "/"-separated names, after
 * `after` when given. Within a directory, entries sort by their name as part of a path (a
 * directory's name with its "/"), which is the order of the full names.
 */
async function* walk(root: string, prefix: string, after: string | undefined, recursive: boolean): AsyncGenerator<{ name: string; stat: fs.BigIntStats }> {
  async function* under(relative: string): AsyncGenerator<{ name: string; stat: fs.BigIntStats }> {
    const dir = path.join(root, ...relative.split('/').filter(Boolean));
    const entries = await failing(() => fs.promises.readdir(dir, { withFileTypes: true }), dir);
    const named = entries
      .filter((e) => (e.isFile() && !isTemporary(e.name)) || e.isDirectory())
      .map((e) => ({ key: `${relative}${e.name}${e.isDirectory() ? '/' : ''}`, directory: e.isDirectory() }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const entry of named) {
      if (entry.directory) {
        if (!recursive) continue;
        // A subtree wholly at or before the continuation was given already.
        if (after !== undefined && entry.key < after && !after.startsWith(entry.key)) continue;
        yield* under(entry.key);
      } else if (after === undefined || entry.key > after) {
        const file = path.join(root, ...entry.key.split('/'));
        const stat = await fs.promises.lstat(file, { bigint: true }).catch(() => undefined); // gone since listed: not there
        if (stat?.isFile()) yield { name: entry.key, stat };
      }
    }
  }
  yield* under(prefix);
}

async function failing<T>(act: () => Promise<T>, file: string): Promise<T> {
  try {
    return await act();
  } catch (err) {
    throw readError(err, file);
  }
}

function changed(name: string, why: string): BlobferryError {
  return new BlobferryError('SOURCE_CHANGED', `The local file ${name} changed while it was copied (${why}); nothing was committed. Copy it again once it is no longer being written.`);
}
