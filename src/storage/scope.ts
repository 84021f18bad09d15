/**
 * The names an endpoint may touch: those under the path its location was given for, which is
 * also what its sealed secret is bound to (registry.ts). A hand-made orchestration input can name
 * any blob in an activity's arguments; this keeps a sealed grant for `reports/q3.pdf` from
 * reading `reports/salaries.xlsx`. A destination may write beside its path (a renamed copy,
 * `q3 (1).pdf`), so its scope is the path's virtual directory.
 */
import { BlobferryError } from '../contracts/errors';

export type ScopeRole = 'source' | 'destination';

export function nameScope(path: string, role: ScopeRole): string {
  return role === 'source' ? path : path.slice(0, path.lastIndexOf('/') + 1);
}

/** `name` when it is within `scope`; SEAL_MISMATCH otherwise, before any request. */
export function inScope(name: string, scope: string, role: ScopeRole): string {
  if (!name.startsWith(scope)) {
    throw new BlobferryError('SEAL_MISMATCH', `The ${role} name "${name.slice(0, 200)}" is outside the path this copy was given ("${scope.slice(0, 200)}"); nothing was read or written.`);
  }
  return name;
}
