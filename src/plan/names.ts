/** Destination names (pure): where each source blob lands, and renamed variants. */
import { createHash } from 'node:crypto';
import type { InvalidNamePolicy } from '../contracts/copyRequest';
import { baseName } from '../contracts/locations';

/** The prefix form of a path: '' stays '', anything else ends with '/'. */
export function asPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

/** A listed name relative to the source prefix it was listed under. */
export function relativeName(sourcePrefix: string, name: string): string {
  return name.startsWith(sourcePrefix) ? name.slice(sourcePrefix.length) : name;
}

/**
 * A single blob's destination name: the destination path itself, or, when the destination is a
 * container or ends with '/', that prefix plus the source's base name.
 */
export function singleDestinationName(destinationPath: string, sourceName: string): string {
  return destinationPath === '' || destinationPath.endsWith('/') ? `${destinationPath}${baseName(sourceName)}` : destinationPath;
}

/** Where a listed blob lands under the destination prefix. */
export function prefixDestinationName(destinationPrefix: string, sourcePrefix: string, name: string): string {
  return `${asPrefix(destinationPrefix)}${relativeName(sourcePrefix, name)}`;
}

/** "dir/report.pdf" + "x7Kq2a" -> "dir/report_x7Kq2a.pdf"; no extension or a dotfile: suffix at the end. */
export function renamedName(name: string, suffix: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  if (dot <= slash + 1) return `${name}_${suffix}`;
  return `${name.slice(0, dot)}_${suffix}${name.slice(dot)}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Six letters and digits from a (deterministic) GUID. */
export function suffixFromGuid(guid: string): string {
  const hex = guid.replace(/[^0-9a-f]/gi, '');
  let out = '';
  for (let i = 0; i < 6; i++) out += ALPHABET[parseInt(hex.slice(i * 4, i * 4 + 4) || '0', 16) % ALPHABET.length];
  return out;
}

/** Azure's limits on blob names. */
const MAX_NAME_LENGTH = 1024;
const MAX_SEGMENTS = 254;

/**
 * Why a name cannot be a blob name as it is, or undefined when it can. URLs would silently
 * change a name ending in "." or "/" and one with "." or ".." segments, so those are refused
 * rather than written under another name without saying so.
 */
export function blobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (/[./]$/.test(name)) return 'it ends with "." or "/"';
  const segments = name.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return 'it has a "." or ".." segment';
  if (segments.length > MAX_SEGMENTS) return `it has more than ${MAX_SEGMENTS} path segments`;
  return undefined;
}

/**
 * A valid blob name for `name` (--invalid-names rename): "." and "/" at the end and "." / ".."
 * segments are written %2E and %2F, segments past the 254th are joined with %2F, a name still too
 * long keeps its first characters, and "~" and a hash of the original name end it, so two source
 * names never become one ("x." and a real "x%2E~..." would otherwise meet).
 */
export function validBlobName(name: string): string {
  let segments = name.replace(/[./]+$/, (tail) => tail.replace(/\./g, '%2E').replace(/\//g, '%2F')).split('/');
  segments = segments.map((s) => (s === '.' || s === '..' ? s.replace(/\./g, '%2E') : s));
  if (segments.length > MAX_SEGMENTS) segments = [...segments.slice(0, MAX_SEGMENTS - 1), segments.slice(MAX_SEGMENTS - 1).join('%2F')];
  const suffix = `~${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  const joined = segments.join('/');
  return `${joined.length + suffix.length <= MAX_NAME_LENGTH ? joined : joined.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/[./]+$/, '')}${suffix}`;
}

/** Where a source object lands, under the --invalid-names policy: its name, or why it has none. */
export function destinationNameFor(name: string, policy: InvalidNamePolicy, sourceName: string): { name: string } | { code: 'INVALID_NAME'; message: string } {
  const problem = blobNameProblem(name);
  if (!problem) return { name };
  if (policy === 'rename') return { name: validBlobName(name) };
  return { code: 'INVALID_NAME', message: `"${sourceName}" cannot be a blob name as it is: ${problem}. Rename it at the source, or run with --invalid-names rename.` };
}

/** The name a listed source object gets under the destination prefix, or why it cannot have one. */
export function nameInPrefix(destinationPrefix: string, sourcePrefix: string, sourceName: string, policy: InvalidNamePolicy): { name: string } | { code: 'INVALID_NAME'; message: string; name: string } {
  const name = prefixDestinationName(destinationPrefix, sourcePrefix, sourceName);
  const named = destinationNameFor(name, policy, sourceName);
  return 'code' in named ? { ...named, name } : named;
}
