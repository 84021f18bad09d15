/**
 * Credentials for a blob location, in this order:
 *   1. a SAS in the URL;
 *   2. the account's key from settings: BLOBFERRY_ACCOUNT_KEY_<ACCOUNT> (the key) or
 *      BLOBFERRY_CONNECTION_STRING_<ACCOUNT> (a connection string), or AzureWebJobsStorage when it
 *      is that account; Azurite's public development key for devstoreaccount1 on loopback;
 *   3. Microsoft Entra ID through DefaultAzureCredential (managed identity in Azure, `az login`
 *      on a laptop), for real Azure accounts, and for Azurite over HTTPS (its OAuth mode).
 */
import type { TokenCredential } from '@azure/identity';
import { AnonymousCredential, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { BlobLocation } from '../../contracts/locations';

/** Azurite's well-known development account key (public, documented by Microsoft). */
export const AZURITE_DEV_ACCOUNT = 'devstoreaccount1';
export const AZURITE_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function accountKeyFor(account: string, emulator: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const suffix = account.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const direct = env[`BLOBFERRY_ACCOUNT_KEY_${suffix}`];
  if (direct) return direct;
  for (const connectionString of [env[`BLOBFERRY_CONNECTION_STRING_${suffix}`], env.AzureWebJobsStorage]) {
    const parsed = connectionString ? parseConnectionString(connectionString) : undefined;
    if (parsed?.AccountName === account && parsed.AccountKey) return parsed.AccountKey;
  }
  if (emulator && account === AZURITE_DEV_ACCOUNT) return AZURITE_DEV_KEY;
  return undefined;
}

export function parseConnectionString(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export type BlobAuth =
  | { kind: 'sas'; credential: AnonymousCredential; sas: string }
  | { kind: 'key'; credential: StorageSharedKeyCredential }
  | { kind: 'entra'; credential: TokenCredential }
  | { kind: 'none'; credential: AnonymousCredential };

let entra: TokenCredential | undefined;

/**
 * One DefaultAzureCredential for the process. @azure/identity is loaded on first use: it takes
 * ~30 ms to load, which every `blobferry copy` would pay even when keys or SAS sign everything.
 */
export function defaultAzureCredential(): TokenCredential {
  if (!entra) {
    const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
    entra = new DefaultAzureCredential();
  }
  return entra;
}

/**
 * The Entra ID credential the process uses instead of DefaultAzureCredential. Only the tests call
 * this, to sign requests to Azurite's OAuth mode with tokens Azurite accepts (Entra itself is
 * not reachable from a test).
 */
export function useEntraCredential(credential: TokenCredential): void {
  entra = credential;
}

export function authFor(location: BlobLocation): BlobAuth {
  if (location.secret) return { kind: 'sas', credential: new AnonymousCredential(), sas: location.secret };
  const key = accountKeyFor(location.account, location.emulator);
  if (key) return { kind: 'key', credential: new StorageSharedKeyCredential(location.account, key) };
  // Azurite takes bearer tokens only over HTTPS (--oauth basic); over plain http an unkeyed account is anonymous.
  if (location.emulator && !isHttps(location)) return { kind: 'none', credential: new AnonymousCredential() };
  return { kind: 'entra', credential: defaultAzureCredential() };
}

function isHttps(location: BlobLocation): boolean {
  return location.serviceUrl.startsWith('https:');
}
