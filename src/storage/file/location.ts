/**
 * Local paths as copy sources: `./photos`, `/data/exports/`, `file:///data/x.csv`. Only the
 * CLI's user names them (a remote caller never makes the app read its own disk: registry.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobferryError, messageOf } from '../../contracts/errors';
import type { FileLocation } from '../../contracts/locations';

/** A file: URL, or text that is no URL at all, is a local path. */
export function parseLocalPath(text: string, role: 'source' | 'destination'): FileLocation | undefined {
  let given: string;
  if (/^file:/i.test(text)) {
    try {
      given = fileURLToPath(text);
    } catch (err) {
      throw new BlobferryError('INVALID_URL', `The ${role} ${text} is not a local file URL: ${messageOf(err)}. Use file:///absolute/path or a plain path.`, { field: role });
    }
  } else if (looksLikePath(text)) {
    given = text;
  } else {
    return undefined;
  }
  if (given.includes('\0')) throw new BlobferryError('INVALID_URL', `The ${role} path contains a NUL character.`, { field: role });
  // A destination ending in "/" is a directory, made if missing (its files keep their names).
  return { kind: 'file', path: path.resolve(given), ...(role === 'destination' && /[\\/]$/.test(given) ? { directory: true } : {}) };
}

/** Not a URL (no scheme, or a one-letter "scheme" that is a drive): a path, absolute or relative. */
function looksLikePath(text: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  return !scheme || (scheme[1].length === 1 && /^[a-z]:[\\/]/i.test(text));
}

/**
 * What a local source path is, looked at once when the copy is requested (for the CLI's user
 * only: a remote caller is refused before anything on disk is looked at): a directory is copied
 * with what is under it, a file alone.
 */
export function lookAtLocalSource(location: FileLocation): FileLocation {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location.path);
  } catch (err) {
    // "acct.blob.core.windows.net/c/x" typed without its scheme reads as a relative path.
    const hint = /\.(blob\.core\.|amazonaws\.com)|\/(127\.0\.0\.1|localhost):\d+\//.test(location.path) ? ' A URL needs its scheme: https://… or s3://….' : '';
    throw readError(err, location.path, hint);
  }
  if (!stat.isDirectory() && !stat.isFile()) throw new BlobferryError('UNSUPPORTED_URL', `${location.path} is neither a file nor a directory (a device, socket or pipe cannot be copied).`, { field: 'source' });
  return { ...location, directory: stat.isDirectory() };
}

/**
 * A local destination: a directory when it is one, was given with a trailing "/", or takes a
 * recursive copy (made if missing); otherwise the file to write, in a directory that is there.
 */
export function lookAtLocalDestination(location: FileLocation, recursive: boolean): FileLocation {
  const stat = fs.statSync(location.path, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory() && (recursive || location.directory)) {
    throw new BlobferryError('LOCAL_PATH_CONFLICT', `The destination ${location.path} is a file; ${recursive ? 'a recursive copy' : 'a destination ending in "/"'} writes into a directory.`, { field: 'destination' });
  }
  if (stat?.isDirectory() || recursive || location.directory) return { ...location, directory: true };
  const parent = fs.statSync(path.dirname(location.path), { throwIfNoEntry: false });
  if (!parent?.isDirectory()) throw new BlobferryError('CONTAINER_NOT_FOUND', `The directory ${path.dirname(location.path)} does not exist; create it, or end the destination with "/" to have it made.`, { field: 'destination' });
  return { ...location, directory: false };
}

/** A local source that could not be read, as a coded error (`hint` follows a not-found message). */
export function readError(err: unknown, file: string, hint = ''): BlobferryError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new BlobferryError('SOURCE_NOT_FOUND', `There is no file or directory ${file}.${hint}`, { field: 'source' });
  if (code === 'EACCES' || code === 'EPERM') return new BlobferryError('PERMISSION_DENIED', `${file} cannot be read: permission denied.`, { field: 'source' });
  return new BlobferryError('SOURCE_UNREACHABLE', `${file} cannot be read: ${messageOf(err)}.`, { field: 'source' });
}

/** A listed name (relative, "/"-separated) as a path under the directory. */
export function pathOf(location: FileLocation, name: string): string {
  return location.directory ? path.join(location.path, ...name.split('/')) : location.path;
}

/** The temporary files of a download in progress (file/destination.ts): never listed, never copied. */
export const PART_SUFFIX = '.blobferry-part';
export const BLOCKS_SUFFIX = '.blobferry-blocks';

export function isTemporary(name: string): boolean {
  return name.endsWith(PART_SUFFIX) || name.endsWith(BLOCKS_SUFFIX);
}

/** A file's version: its size and modification time in nanoseconds. */
export function versionOf(stat: fs.BigIntStats): string {
  return `${stat.size}-${stat.mtimeNs}`;
}

/** Nanoseconds since the epoch as RFC 3339 with up to nine fraction digits (rclone's `mtime`). */
export function rfc3339Nano(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** A file's MD5, base64, read through once (sync --compare md5). */
export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/** Bytes a file name (one path segment) may have on the filesystems blobferry writes to (ext4, xfs, btrfs, apfs, tmpfs). */
const MAX_SEGMENT_BYTES = 255;

/** Why a blob name cannot be a file name here, if it cannot. */
export function fileNameProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'it contains a NUL character';
  const segments = name.split('/');
  if (segments.some((s) => s === '')) return 'it has an empty path segment (a leading, doubled or trailing "/")';
  if (segments.some((s) => s === '.' || s === '..')) return 'it has a "." or ".." segment, which would leave its folder';
  const long = segments.find((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
  if (long) return `the segment "${long.slice(0, 40)}…" is longer than ${MAX_SEGMENT_BYTES} bytes`;
  if (segments.some(isTemporary)) return 'it ends like blobferry\'s temporary files';
  return undefined;
}

