/**
 * What the local host reads from the app folder, as `func start` does: local.settings.json
 * (its Values become environment variables unless the environment already has them) and
 * host.json (durableTask hub and concurrency, HTTP route prefix, queue settings), with
 * `%SETTING%` references resolved from the environment.
 */
import fs from 'node:fs';
import path from 'node:path';
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
