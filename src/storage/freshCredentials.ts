/**
 * Fresh credentials for a running copy: a SAS given again after the copy started (the same
 * command or request run again, or POST /api/copies/{id}/credentials), so a copy interrupted
 * until its tokens expired resumes with new ones. They are sealed like the copy's own (bound to
 * role and copy: registry.ts) and kept beside the durable state: in the local host's state folder
 * (BLOBFERRY_CREDENTIALS_DIR, which the local host sets), else in the app storage's
 * `blobferry-credentials` container. Activities open endpoints with the freshest.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { appContainer } from './appStorage';

export const CREDENTIALS_CONTAINER = 'blobferry-credentials';

/** Where a local host (and the CLI's in-process one) keeps them: beside its durable state. */
export function credentialsDirOf(stateDir: string): string {
  return path.join(stateDir, 'credentials');
}

/** Sealed secrets by role, and when they were given. */
export interface FreshSecrets {
  source?: string;
  destination?: string;
  given: string;
}

/** Read at most this often per copy and process (an activity opens endpoints several times). */
const CACHE_MS = 15_000;
const cache = new Map<string, { at: number; secrets: Promise<FreshSecrets | undefined> }>();

export function freshSecrets(fingerprint: string): Promise<FreshSecrets | undefined> {
  const hit = cache.get(fingerprint);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.secrets;
  const secrets = read(fingerprint);
  cache.set(fingerprint, { at: Date.now(), secrets });
  secrets.catch(() => cache.delete(fingerprint));
  return secrets;
}

export async function keepFreshSecrets(fingerprint: string, secrets: Omit<FreshSecrets, 'given'>): Promise<void> {
  const body = JSON.stringify({ ...secrets, given: new Date().toISOString() } satisfies FreshSecrets);
  const dir = process.env.BLOBFERRY_CREDENTIALS_DIR;
  if (dir) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${fingerprint}.json`);
    await fs.writeFile(`${file}.tmp`, body, { mode: 0o600 });
    await fs.rename(`${file}.tmp`, file);
  } else {
    const container = appContainer(CREDENTIALS_CONTAINER);
    await container.createIfNotExists();
    await container.getBlockBlobClient(`${fingerprint}.json`).upload(body, Buffer.byteLength(body));
  }
  cache.delete(fingerprint);
}

async function read(fingerprint: string): Promise<FreshSecrets | undefined> {
  const dir = process.env.BLOBFERRY_CREDENTIALS_DIR;
  // No state folder and no app storage (endpoints opened outside any host): nothing was given since.
  if (!dir && !process.env.AzureWebJobsStorage && !process.env.AzureWebJobsStorage__accountName) return undefined;
  try {
    const text = dir ? await fs.readFile(path.join(dir, `${fingerprint}.json`), 'utf8') : (await appContainer(CREDENTIALS_CONTAINER).getBlockBlobClient(`${fingerprint}.json`).downloadToBuffer()).toString('utf8');
    return JSON.parse(text) as FreshSecrets;
  } catch (err) {
    const e = err as { code?: string; statusCode?: number };
    if (e.code === 'ENOENT' || e.statusCode === 404) return undefined;
    throw err;
  }
}
