/**
 * Local paths for remote callers: never, unless BLOBFERRY_LOCAL_ROOTS names directories the
 * host may serve (`/srv/exports:/srv/imports`, path-delimiter separated), and then only inside
 * them: the path as resolved (no "..") and as the disk resolves it (no symbolic link out of a
 * root). The CLI's user is not asked: their disk is theirs.
 */
import fs from 'node:fs';
import path from 'node:path';

export function localRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.BLOBFERRY_LOCAL_ROOTS ?? '')
    .split(path.delimiter)
    .filter((root) => root.trim() !== '')
    .map((root) => path.resolve(root));
}

/** Is this absolute path inside a served root, lexically and once links are followed? */
export function servedLocally(target: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return localRoots(env).some((root) => inside(root, target) && inside(realPathOrNearest(root), realPathOrNearest(target)));
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (a file yet to be written). */
export function realPathOrNearest(p: string): string {
  let existing = p;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return p;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(fs.realpathSync(existing), ...rest);
}
