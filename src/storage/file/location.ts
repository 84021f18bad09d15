/**
 * Local paths as copy sources: `./photos`, `/data/exports/`, `file:///data/x.csv`. Only the
 * CLI's user names them (a remote caller never makes the app read its own disk: registry.ts).
 */
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
  return { kind: 'file', path: path.resolve(given) };
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
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // "acct.blob.core.windows.net/c/x" typed without its scheme reads as a relative path.
      const hint = /\.(blob\.core\.|amazonaws\.com)|\/(127\.0\.0\.1|localhost):\d+\//.test(location.path) ? ' A URL needs its scheme: https://… or s3://….' : '';
      throw new BlobferryError('SOURCE_NOT_FOUND', `There is no file or directory ${location.path}.${hint}`, { field: 'source' });
    }
    if (code === 'EACCES') throw new BlobferryError('PERMISSION_DENIED', `${location.path} cannot be read: permission denied.`, { field: 'source' });
    throw new BlobferryError('SOURCE_UNREACHABLE', `${location.path} cannot be looked at: ${messageOf(err)}.`, { field: 'source' });
  }
  if (!stat.isDirectory() && !stat.isFile()) throw new BlobferryError('UNSUPPORTED_URL', `${location.path} is neither a file nor a directory (a device, socket or pipe cannot be copied).`, { field: 'source' });
  return { ...location, directory: stat.isDirectory() };
}

/** A listed name (relative, "/"-separated) as a path under the directory. */
export function pathOf(location: FileLocation, name: string): string {
  return location.directory ? path.join(location.path, ...name.split('/')) : location.path;
}
