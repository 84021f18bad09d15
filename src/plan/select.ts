/**
 * --include / --exclude (pure): glob patterns matched against names relative to the source
 * prefix. A pattern without '/' matches the base name at any depth ("*.csv"); one with '/'
 * matches the relative path ("2024/**\/*.csv", "skip/**"). A blob is taken when it matches some
 * include (or there are none) and no exclude.
 */
import picomatch from 'picomatch';
import { baseName } from '../contracts/locations';

export type NameFilter = (relativeName: string) => boolean;

function matcher(patterns: string[]): (name: string) => boolean {
  const tests = patterns.map((pattern) => {
    const isMatch = picomatch(pattern, { dot: true });
    return pattern.includes('/') ? isMatch : (name: string) => isMatch(baseName(name));
  });
  return (name) => tests.some((test) => test(name));
}

export function nameFilter(include: string[], exclude: string[]): NameFilter {
  const included = include.length > 0 ? matcher(include) : () => true;
  const excluded = exclude.length > 0 ? matcher(exclude) : () => false;
  return (name) => included(name) && !excluded(name);
}

/** --include-after / --include-before (ISO times): an object of unknown age is kept (nothing says it is out). */
export function modifiedFilter(after: string | undefined, before: string | undefined): (lastModified: string | undefined) => boolean {
  const from = after ? Date.parse(after) : -Infinity;
  const to = before ? Date.parse(before) : Infinity;
  return (lastModified) => {
    if (lastModified === undefined) return true;
    const at = Date.parse(lastModified);
    return at > from && at < to;
  };
}

/**
 * --list-of-files (pure): the lines of the list, as names relative to the source prefix ("./"
 * and leading "/" dropped, blank lines and "#" comments skipped).
 */
export function listedNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^(\.\/|\/)+/, ''))
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** A name is taken when the list names it, or names a directory it is under ("dir" or "dir/"). */
export function listFilter(names: string[]): NameFilter {
  const listed = new Set(names.map((name) => name.replace(/\/+$/, '')));
  return (name) => {
    if (listed.has(name)) return true;
    for (let slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) if (listed.has(name.slice(0, slash))) return true;
    return false;
  };
}
