/** Storage connections as the Functions host resolves them, for queue triggers and blob and queue outputs alike. */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { BlobferryError } from '../../contracts/errors';

/**
 * The connection string a trigger's or binding's `connection` names, looked up as the WebJobs SDK does:
 * the setting itself, then AzureWebJobs<name>; no name means AzureWebJobsStorage.
 */
export function storageConnection(type: 'blob' | 'queue', connection: unknown, env: NodeJS.ProcessEnv): string {
  const name = typeof connection === 'string' && connection.trim() ? connection.trim() : 'Storage';
  for (const setting of [name, `AzureWebJobs${name}`]) {
    const value = env[setting];
    if (value) {
      try {
        if (type === 'blob') BlobServiceClient.fromConnectionString(value);
        else QueueServiceClient.fromConnectionString(value);
      } catch {
        // The SDK's message could quote the value, which holds a key: name the setting only.
        throw new BlobferryError('CONFIG_INVALID', `the setting ${setting} is not a storage connection string (AccountName=...;AccountKey=...;${type === 'blob' ? 'BlobEndpoint' : 'QueueEndpoint'}=... or UseDevelopmentStorage=true).`);
      }
      return value;
    }
  }
  const identity = Object.keys(env).find((k) => k.toLowerCase().startsWith(`${name.toLowerCase()}__`));
  if (identity) throw new BlobferryError('NOT_SUPPORTED', `the connection "${name}" is identity-based (${identity}), which the local host does not support; set ${name} to a connection string.`);
  throw new BlobferryError('CONFIG_INVALID', `its connection setting ${name === 'Storage' ? 'AzureWebJobsStorage' : `${name} (or AzureWebJobs${name})`} is not set; set it to the storage account's connection string.`);
}
