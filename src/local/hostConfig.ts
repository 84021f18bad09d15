/**
 * What the local host reads from the app folder, as `func start` does: local.settings.json
 * (its Values become environment variables unless the environment already has them),
 * host.json (durableTask hub and concurrency, HTTP route prefix, queue settings), with
 * `%SETTING%` references resolved from the environment, and package.json's "main" (the app's
 * entry points, a file or a glob, expanded as Azure's Node worker expands it).
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { BlobferryError } from '../contracts/errors';
import { parseTimeSpan } from './timespan';

export interface QueueSettings {
  batchSize: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  /** How message bodies are encoded on the queue: base64 (the Functions default) or none. */
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  taskHub: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  routePrefix: string;
  queues: QueueSettings;
}

/** Loads local.settings.json Values into process.env (existing variables win). Returns the names set. */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = path.join(appDir, 'local.settings.json');
  if (!fs.existsSync(file)) return [];
  const settings = readJson(file) as { IsEncrypted?: boolean; Values?: Record<string, unknown> };
  if (settings.IsEncrypted) {
    throw new BlobferryError('CONFIG_INVALID', `${file} is encrypted; the local host reads plain settings only. Set "IsEncrypted": false.`);
  }
  const applied: string[] = [];
  for (const [name, value] of Object.entries(settings.Values ?? {})) {
    if (env[name] !== undefined) continue;
    if (value === null || typeof value === 'object') {
      throw new BlobferryError('CONFIG_INVALID', `Setting "${name}" in ${file} must be a string, number or boolean.`);
    }
    env[name] = String(value);
    applied.push(name);
  }
  return applied;
}

export function readHostConfig(appDir: string, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const file = path.join(appDir, 'host.json');
  const json = (fs.existsSync(file) ? readJson(file) : {}) as {
    extensions?: {
      durableTask?: { hubName?: string; maxConcurrentActivityFunctions?: unknown; maxConcurrentOrchestratorFunctions?: unknown };
      http?: { routePrefix?: string };
      queues?: { batchSize?: unknown; maxDequeueCount?: unknown; visibilityTimeout?: string; maxPollingInterval?: string; messageEncoding?: string };
    };
  };
  const durable = json.extensions?.durableTask ?? {};
  const queues = json.extensions?.queues ?? {};
  const taskHub = resolveSettingRefs(durable.hubName ?? 'TestHubName', env);
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(taskHub)) {
    throw new BlobferryError('CONFIG_INVALID', `Task hub name "${taskHub}" (host.json extensions.durableTask.hubName) must be 3-45 letters and digits, starting with a letter.`);
  }
  return {
    taskHub,
    maxConcurrentActivityFunctions: positiveInt(durable.maxConcurrentActivityFunctions, 10, 'extensions.durableTask.maxConcurrentActivityFunctions'),
    maxConcurrentOrchestratorFunctions: positiveInt(durable.maxConcurrentOrchestratorFunctions, 10, 'extensions.durableTask.maxConcurrentOrchestratorFunctions'),
    routePrefix: (json.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    queues: {
      batchSize: positiveInt(queues.batchSize, 16, 'extensions.queues.batchSize'),
      maxDequeueCount: positiveInt(queues.maxDequeueCount, 5, 'extensions.queues.maxDequeueCount'),
      visibilityTimeoutMs: queues.visibilityTimeout ? parseTimeSpan(queues.visibilityTimeout, 'extensions.queues.visibilityTimeout') : 0,
      maxPollingIntervalMs: queues.maxPollingInterval ? parseTimeSpan(queues.maxPollingInterval, 'extensions.queues.maxPollingInterval') : 60_000,
      messageEncoding: messageEncoding(queues.messageEncoding),
    },
  };
}

/**
 * The files the app's package.json "main" names, in the order Azure's Node worker loads them.
 * The worker (azure-functions-nodejs-worker, startApp.ts) keeps "main" only when it is a string,
 * expands it with globby 11 (fast-glob) in the app folder and requires each file in turn; no
 * match is an error ("Found zero files matching the supplied pattern", or "File does not exist"
 * for a plain path). Azure would start with no functions at all for a missing or non-string
 * "main"; here both are errors that say what to fix.
 */
export function appEntryPoints(appDir: string): string[] {
  const file = path.join(appDir, 'package.json');
  const pkg = readAppPackage(appDir);
  if (!pkg) {
    throw new BlobferryError('CONFIG_INVALID', `${file} does not exist: the app folder needs a package.json whose "main" names the app's entry points (a file, or a glob such as "dist/src/functions/*.js").`);
  }
  if (pkg.main === undefined || pkg.main === '') {
    throw new BlobferryError('CONFIG_INVALID', `${file} has no "main" naming the app's entry points (a file, or a glob such as "dist/src/functions/*.js").`);
  }
  if (typeof pkg.main !== 'string') {
    throw new BlobferryError('CONFIG_INVALID', `"main" in ${file} must be a string: a file, or one glob such as "functions/*.js" ("{a,b}/*.js" for several places). Azure's Node worker ignores any other value and loads no functions.`);
  }
  const files = expandEntryPattern(appDir, pkg.main);
  if (files.length === 0) {
    const build = typeof pkg.scripts?.build === 'string' ? ' If the app is compiled, run "npm run build" first.' : '';
    const what = picomatch.scan(pkg.main).isGlob ? `No file in ${appDir} matches "main": "${pkg.main}" (${file}).` : `The app's entry point ${path.resolve(appDir, pkg.main)} ("main" in ${file}) does not exist.`;
    throw new BlobferryError('CONFIG_INVALID', `${what}${build}`);
  }
  return files;
}

export interface AppPackage {
  main?: unknown;
  type?: unknown;
  scripts?: Record<string, unknown>;
}

/** The app folder's package.json, if it has one. */
export function readAppPackage(appDir: string): AppPackage | undefined {
  const file = path.join(appDir, 'package.json');
  return fs.existsSync(file) ? (readJson(file) as AppPackage) : undefined;
}

/**
 * Expands an entry point pattern as globby 11 does with its defaults: a plain path is that
 * file, or everything under it when it is a folder (expandDirectories); otherwise files only
 * (no folders), names starting with "." not matched by wildcards, case-sensitive, symbolic
 * links followed, braces and extglobs as picomatch reads them. Order: a folder's files in byte
 * order of their names, then its sub-folders' (fast-glob reads folders breadth first; where
 * its order depends on which read finishes first, this one takes folders in name order).
 */
export function expandEntryPattern(appDir: string, pattern: string): string[] {
  const scan = picomatch.scan(pattern);
  if (scan.negated) return [];
  if (!scan.isGlob) {
    const target = path.resolve(appDir, pattern);
    const stat = fs.statSync(target, { throwIfNoEntry: false });
    if (stat?.isFile()) return [target];
    return stat?.isDirectory() ? walkMatching(target, picomatch('**'), Infinity) : [];
  }
  // Without "**" a match lies at most as many folders down as the glob has slashes (braces included).
  const maxDepth = scan.glob.includes('**') ? Infinity : scan.glob.split('/').length;
  return walkMatching(path.resolve(appDir, scan.base), picomatch(scan.glob), maxDepth);
}

/** Files under `baseDir` whose path relative to it (with "/") matches, breadth first, each folder's entries in byte order. */
function walkMatching(baseDir: string, isMatch: (relative: string) => boolean, maxDepth: number): string[] {
  const found: string[] = [];
  // Each folder with the real paths of the folders above it: a link back up the tree is not read again.
  let folders = [{ folder: baseDir, above: [] as string[] }];
  for (let depth = 1; folders.length > 0 && depth <= maxDepth; depth++) {
    const next: typeof folders = [];
    for (const { folder, above } of folders) {
      const real = realpathOf(folder);
      if (real === undefined || above.includes(real)) continue;
      for (const name of namesIn(real)) {
        const full = path.join(folder, name);
        const stat = fs.statSync(full, { throwIfNoEntry: false }); // follows links; a broken one is skipped
        if (stat?.isDirectory()) next.push({ folder: full, above: [...above, real] });
        else if (stat?.isFile() && isMatch(path.relative(baseDir, full).split(path.sep).join('/'))) found.push(full);
      }
    }
    folders = next;
  }
  return found;
}

function realpathOf(folder: string): string | undefined {
  try {
    return fs.realpathSync(folder);
  } catch {
    return undefined; // gone: nothing to match there
  }
}

/** A folder's names in byte order (none when it is not a folder). */
function namesIn(folder: string): string[] {
  try {
    return fs.readdirSync(folder).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return [];
  }
}

function messageEncoding(value: string | undefined): 'base64' | 'none' {
  const encoding = (value ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') throw new BlobferryError('CONFIG_INVALID', `extensions.queues.messageEncoding must be "base64" or "none", not "${value}".`);
  return encoding;
}

/** Replaces `%NAME%` with the setting's value, as the Functions host does in host.json and bindings. */
export function resolveSettingRefs(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new BlobferryError('CONFIG_INVALID', `Setting "${name}", referenced as %${name}%, is not set.`);
    return value;
  });
}

function positiveInt(value: unknown, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BlobferryError('CONFIG_INVALID', `host.json ${setting} must be a positive integer, not ${JSON.stringify(value)}.`);
  return n;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BlobferryError('CONFIG_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
  }
}
