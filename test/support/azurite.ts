/**
 * Azurite for tests: started on free ports in a temporary folder, with a second account for
 * cross-account tests (its key is random per run), removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters, BlobSASPermissions } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite, DEV_ACCOUNT } from '../../src/local/azurite';
import { makeTempDir, removeDir } from './temp';

export const SECOND_ACCOUNT = 'blobferrysecond';

export interface TestAzurite extends RunningAzurite {
  dir: string;
  /** A SharedKey client for an account. */
  blobService(account?: string): BlobServiceClient;
  /** A container SAS URL (read, add, create, write, delete, list) valid for an hour. */
  containerSasUrl(container: string, account?: string, permissions?: string): string;
  /** A blob SAS URL valid for an hour. */
  blobSasUrl(container: string, blob: string, account?: string, permissions?: string): string;
  cleanup(): Promise<void>;
}

export async function startTestAzurite(): Promise<TestAzurite> {
  const dir = makeTempDir('blobferry-azurite-');
  const second = { name: SECOND_ACCOUNT, key: randomBytes(64).toString('base64') };
  let azurite: RunningAzurite;
  try {
    azurite = await startAzurite({ location: path.join(dir, 'data'), extraAccounts: [second] });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const credential = (account: string) => {
    const found = azurite.accounts.find((a) => a.name === account);
    if (!found) throw new Error(`no account ${account}`);
    return new StorageSharedKeyCredential(found.name, found.key);
  };
  const sas = (params: Parameters<typeof generateBlobSASQueryParameters>[0], account: string) =>
    generateBlobSASQueryParameters(params, credential(account)).toString();
  const expiresOn = () => new Date(Date.now() + 3600_000);
  return {
    ...azurite,
    dir,
    blobService: (account = DEV_ACCOUNT.name) => new BlobServiceClient(azurite.blobEndpoint(account), credential(account)),
    containerSasUrl: (container, account = DEV_ACCOUNT.name, permissions = 'racwdl') =>
      `${azurite.blobEndpoint(account)}/${container}?${sas({ containerName: container, permissions: ContainerSASPermissions.parse(permissions), expiresOn: expiresOn() }, account)}`,
    blobSasUrl: (container, blob, account = DEV_ACCOUNT.name, permissions = 'r') =>
      `${azurite.blobEndpoint(account)}/${container}/${blob.split('/').map(encodeURIComponent).join('/')}?${sas({ containerName: container, blobName: blob, permissions: BlobSASPermissions.parse(permissions), expiresOn: expiresOn() }, account)}`,
    async cleanup() {
      await azurite.stop();
      removeDir(dir);
    },
  };
}
