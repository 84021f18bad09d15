/**
 * Sealing secrets (SAS tokens, presigned queries) for orchestration inputs, histories and
 * state: AES-256-GCM with the key in setting BLOBFERRY_SEAL_KEY (32 bytes, base64). Only
 * activities unseal, just before they call storage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobferryError } from '../contracts/errors';
import type { Location } from '../contracts/locations';

const PREFIX = 'sealed:v1:';

function sealKey(): Buffer {
  const text = process.env.BLOBFERRY_SEAL_KEY;
  if (!text) {
    throw new BlobferryError('CONFIG_INVALID', 'Setting BLOBFERRY_SEAL_KEY is not set; it seals SAS tokens in orchestration state. Generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"');
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new BlobferryError('CONFIG_INVALID', 'Setting BLOBFERRY_SEAL_KEY must be 32 bytes, base64-encoded.');
  return key;
}

export function seal(secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function unseal(sealed: string): string {
  if (!sealed.startsWith(PREFIX)) return sealed;
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new BlobferryError('CONFIG_INVALID', 'A sealed credential cannot be opened: BLOBFERRY_SEAL_KEY changed since the copy started. Start the copy again.');
  }
}

export function sealLocation<T extends Location>(location: T): T {
  return location.secret && !location.secret.startsWith(PREFIX) ? { ...location, secret: seal(location.secret) } : location;
}

export function unsealLocation<T extends Location>(location: T): T {
  return location.secret ? { ...location, secret: unseal(location.secret) } : location;
}

/**
 * For the local host and the CLI: use BLOBFERRY_SEAL_KEY, or a key kept in the state folder
 * (created once, readable by the owner only).
 */
export function ensureLocalSealKey(stateDir: string): void {
  if (process.env.BLOBFERRY_SEAL_KEY) return;
  const file = path.join(stateDir, 'seal.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(stateDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  process.env.BLOBFERRY_SEAL_KEY = fs.readFileSync(file, 'utf8').trim();
}
