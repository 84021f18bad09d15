/**
 * The deployable artifact, built the way azd builds it: the built tree less what .funcignore
 * excludes, then production dependencies only (`npm ci --omit=dev`), in a folder of its own.
 * And the two readings of .funcignore that matter: azd's (gitignore rules) and the Functions
 * Core Tools' (each pattern a prefix of the path: `*` within a segment, `**` across them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import picomatch from 'picomatch';

export interface IgnoreRules {
  /** azd: gitignore rules (a path is excluded when it or a folder above it matches). */
  gitignore(relative: string): boolean;
  /** `func azure functionapp publish`: every file's relative path against each pattern, as a prefix. */
  coreTools(relative: string): boolean;
}

export function readIgnoreRules(text: string): IgnoreRules {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const negated = patterns.find((p) => p.startsWith('!'));
  // Core Tools apply every "!" pattern after all others, gitignore in file order: keep them out.
  if (negated) throw new Error(`.funcignore: "${negated}": "!" patterns mean different things to azd and the Core Tools`);
  const gitRules = patterns.map((p) => {
    const dirOnly = p.endsWith('/');
    const body = dirOnly ? p.slice(0, -1) : p;
    const anchored = body.includes('/');
    return { dirOnly, isMatch: picomatch(anchored ? body.replace(/^\//, '') : `**/${body}`, { dot: true }) };
  });
  const coreRules = patterns.map((p) => {
    const escaped = p.replace(/^\//, '').replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&');
    return new RegExp(`^${escaped.replace(/\*\*/g, '(.+)').replace(/\*/g, '([^\\/]+)')}`);
  });
  return {
    gitignore(relative) {
      const parts = relative.split('/');
      return parts.some((_, i) => {
        const sub = parts.slice(0, i + 1).join('/');
        const isFolder = i < parts.length - 1;
        return gitRules.some((r) => (isFolder || !r.dirOnly) && r.isMatch(sub));
      });
    },
    coreTools: (relative) => coreRules.some((r) => r.test(relative)),
  };
}

/** Every file under `root` with its path relative to it ("/"-separated), leaving out node_modules and .git. */
export function treeFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (dir === root && (entry.name === 'node_modules' || entry.name === '.git')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return files.sort();
}

export interface Artifact {
  dir: string;
  /** Files copied from the built tree. */
  shipped: string[];
  /** What `npm ci --omit=dev` printed, and how long it took. */
  installLog: string;
  installMs: number;
}

/** Copies what .funcignore lets through and installs production dependencies into `dir`. */
export function buildArtifact(root: string, dir: string): Artifact {
  const rules = readIgnoreRules(fs.readFileSync(path.join(root, '.funcignore'), 'utf8'));
  const shipped = treeFiles(root).filter((file) => !rules.gitignore(file));
  for (const file of shipped) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  const started = Date.now();
  // Under `npm test` the npm_* variables describe this project: the install must not see them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const npm = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  const installLog = `${npm.stdout}${npm.stderr}`;
  if (npm.status !== 0) throw new Error(`npm ci --omit=dev failed in the artifact (${npm.status ?? npm.signal}):\n${installLog}`);
  return { dir, shipped, installLog, installMs: Date.now() - started };
}

export interface RequireEdge {
  from: string;
  request: string;
  /** The resolved file, or undefined when it does not resolve. */
  resolved?: string;
}

/**
 * Every `require("...")` (and `import("...")`) reachable from `entryPoints` through the
 * artifact's own files, resolved from inside the artifact. Packages are not followed: npm
 * installed them with their own production dependencies.
 */
export function reachableRequires(entryPoints: string[]): RequireEdge[] {
  const edges: RequireEdge[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith('.js')) return; // JSON
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)) {
      const request = match[1];
      if (request.startsWith('node:') || builtinModules.includes(request)) continue;
      let resolved: string | undefined;
      try {
        resolved = createRequire(file).resolve(request);
      } catch {
        resolved = undefined;
      }
      edges.push({ from: file, request, resolved });
      if (resolved && (request.startsWith('.') || request.startsWith('/'))) visit(resolved);
    }
  };
  for (const file of entryPoints) visit(file);
  return edges;
}

/** The package a bare request names ("@scope/name/sub" -> "@scope/name"). */
export function packageOf(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
