/**
 * The names an endpoint may touch: those its copy was given, which is also what its sealed
 * secret is bound to (registry.ts). Activities are handed names and listing prefixes apart from
 * the transfer, and a hand-made orchestration input can name any; this keeps a grant for
 * `reports/q3.pdf` from reading `reports/q3-salaries.xlsx`.
 *
 *   a prefix, a container, a recursive copy   names under the prefix ("dir" recursive: "dir/...")
 *   a single blob                             that name; for a destination also its renamed
 *                                             copies ("q3_<suffix>.pdf", --overwrite rename)
 */
import { BlobferryError } from '../contracts/errors';

export type ScopeRole = 'source' | 'destination';

export type NameScope = { role: ScopeRole; prefix: string } | { role: ScopeRole; exact: string };

export function nameScope(path: string, role: ScopeRole, recursive: boolean): NameScope {
  if (path === '' || path.endsWith('/')) return { role, prefix: path };
  return recursive ? { role, prefix: `${path}/` } : { role, exact: path };
}

/** `name` when it is within `scope`; SEAL_MISMATCH otherwise, before any request. */
export function inScope(name: string, scope: NameScope): string {
  const within = 'prefix' in scope ? name.startsWith(scope.prefix) : name === scope.exact || (scope.role === 'destination' && isRenamed(name, scope.exact));
  if (!within) {
    const given = 'prefix' in scope ? `under "${scope.prefix.slice(0, 200)}"` : `"${scope.exact.slice(0, 200)}"`;
    throw new BlobferryError('SEAL_MISMATCH', `The ${scope.role} name "${name.slice(0, 200)}" is not what this copy was given (${given}); nothing was read or written.`);
  }
  return name;
}

/** Shaped like `name` renamed by --overwrite rename: a suffix of a few characters before the extension, in the same folder. */
function isRenamed(candidate: string, name: string): boolean {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > slash + 1 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  if (!candidate.startsWith(`${stem}_`) || !candidate.endsWith(extension)) return false;
  const suffix = candidate.slice(stem.length + 1, candidate.length - extension.length);
  return /^[A-Za-z0-9]{1,16}$/.test(suffix);
}

/** A name with a "." or ".." segment, which a URL would resolve out of its folder (Azure Blob names only: S3 keys are literal). */
export function hasDotSegment(name: string): boolean {
  return name.split('/').some((part) => part === '.' || part === '..');
}
