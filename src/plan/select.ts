/**
 * --include / --exclude (pure): glob patterns matched against names relative to the source
 * prefix. A pattern without '/' matches the base name at any depth ("*.csv"); one with '/'
 * matches the relative path ("2024/**\/*.csv"). A blob is taken when it matches some include
 * (or there are none) and no exclude.
 */
import picomatch from 'picomatch';

export type NameFilter = (relativeName: string) => boolean;

export function nameFilter(include: string[], exclude: string[]): NameFilter {
  const options = { dot: true, basename: true } as const;
  const included = include.length > 0 ? picomatch(include, options) : () => true;
  const excluded = exclude.length > 0 ? picomatch(exclude, options) : () => false;
  return (name) => included(name) && !excluded(name);
}
