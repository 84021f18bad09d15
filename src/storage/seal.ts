/**
 * Sealing secrets (SAS tokens, presigned queries) and grants for orchestration inputs, histories
 * and state: AES-256-GCM, and what a sealed value is for (its binding: role, place, copy) is the
 * authenticated data, so a value opened for anything else fails SEAL_MISMATCH and nothing is read
 * or written. Only activities open sealed values, just before they call storage.
 *
 * Keys: BLOBFERRY_SEAL_KEY (32 bytes, base64) seals; it and BLOBFERRY_SEAL_KEYS_PREVIOUS (a
 * comma-separated list) open. Each sealed text names its key by id, so keys can rotate while
 * copies run: add the new key, move the old one to the previous list, drop it when those copies end.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobferryError } from '../contracts/errors';

const PREFIX = 'sealed:v2:';

interface SealKey {
  id: string;
  key: Buffer;
}

function parseKey(text: string, setting: string): SealKey {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new BlobferryError('CONFIG_INVALID', `Every key in setting ${setting} must be 32 bytes, base64-encoded.`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/** The sealing key first, then the keys that still open older values. */
function keyRing(env: NodeJS.ProcessEnv = process.env): SealKey[] {
  const current = env.BLOBFERRY_SEAL_KEY;
  if (!current) {
    throw new BlobferryError('CONFIG_INVALID', 'Setting BLOBFERRY_SEAL_KEY is not set; it seals SAS tokens in orchestration state. Generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"');
  }
  const previous = (env.BLOBFERRY_SEAL_KEYS_PREVIOUS ?? '').split(',').filter((k) => k.trim());
  return [parseKey(current, 'BLOBFERRY_SEAL_KEY'), ...previous.map((k) => parseKey(k, 'BLOBFERRY_SEAL_KEYS_PREVIOUS'))];
}

export function isSealed(text: string | undefined): boolean {
  return text?.startsWith(PREFIX) ?? false;
}

/** Seals `secret` for one use, described by `binding` (it must be given again to open it). */
export function seal(secret: string, binding: string): string {
  const { id, key } = keyRing()[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(binding, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${PREFIX}${id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** Opens a value sealed for `binding`; SEAL_MISMATCH when it was sealed for anything else, or not by this app. */
export function unseal(sealed: string, binding: string): string {
  const match = /^sealed:v2:([0-9a-f]{8}):([A-Za-z0-9_-]+)$/.exec(sealed);
  if (!match) throw new BlobferryError('SEAL_MISMATCH', 'A credential in this copy\'s input was not sealed by this app (or by an older version without binding); nothing was read or written. Start the copy again.');
  const key = keyRing().find((k) => k.id === match[1]);
  if (!key) {
    throw new BlobferryError('CONFIG_INVALID', `A sealed credential names seal key ${match[1]}, which is neither BLOBFERRY_SEAL_KEY nor in BLOBFERRY_SEAL_KEYS_PREVIOUS: add the key it was sealed with to BLOBFERRY_SEAL_KEYS_PREVIOUS, or start the copy again.`);
  }
  const raw = Buffer.from(match[2], 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(binding, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new BlobferryError('SEAL_MISMATCH', 'A sealed credential was opened for another role, place or copy than the one it was given for; nothing was read or written.');
  }
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
