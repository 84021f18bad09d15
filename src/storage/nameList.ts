/**
 * --list-of-files: the list a copy was given, read from the CLI user's disk where the copy's
 * activities run (the CLI's own process). The request carries the file's path and SHA-256, not
 * the names (a long list would ride in every activity's input); the hash makes sure every
 * activity reads the list the copy began with. Read once per process and hash.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { BlobferryError, messageOf } from '../contracts/errors';

export interface NameListRef {
  path: string;
  sha256: string;
}

const read = new Map<string, string>();

/** The reference a request carries for a list file: its absolute path and hash. */
export function nameListRef(path: string): NameListRef {
  return { path, sha256: sha256Of(readList(path)) };
}

/** The list's text, as it was when the copy began. */
export function nameListText(ref: NameListRef): string {
  const cached = read.get(ref.sha256);
  if (cached !== undefined) return cached;
  const text = readList(ref.path);
  if (sha256Of(text) !== ref.sha256) {
    throw new BlobferryError('LIST_OF_FILES_INVALID', `The list of files ${ref.path} changed since the copy began; run the copy again to copy what it lists now.`);
  }
  read.set(ref.sha256, text);
  return text;
}

function readList(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'it cannot be read (permission denied)' : messageOf(err);
    throw new BlobferryError('LIST_OF_FILES_INVALID', `Cannot read the list of files ${path}: ${why}.`);
  }
}

function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
