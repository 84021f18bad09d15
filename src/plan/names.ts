/** Destination names (pure): where each source blob lands, and renamed variants. */

/** The prefix form of a path: '' stays '', anything else ends with '/'. */
export function asPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

/** A listed name relative to the source prefix it was listed under. */
export function relativeName(sourcePrefix: string, name: string): string {
  return name.startsWith(sourcePrefix) ? name.slice(sourcePrefix.length) : name;
}

/** The last segment of a path ("a/b/c.txt" -> "c.txt"). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
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
