/**
 * The app's own storage account (AzureWebJobsStorage): its queues (copy jobs, their poison
 * queue) and the container for job summaries. A connection string, as in local.settings.json
 * and on the local host; identity-based connections (AzureWebJobsStorage__accountName) use
 * DefaultAzureCredential.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { BlobferryError } from '../contracts/errors';
import { defaultAzureCredential } from './azureBlob/credentials';

function setting(env: NodeJS.ProcessEnv): { connectionString?: string; account?: string } {
  const connectionString = env.AzureWebJobsStorage;
  if (connectionString) return { connectionString };
  const account = env.AzureWebJobsStorage__accountName;
  if (account) return { account };
  throw new BlobferryError('CONFIG_INVALID', 'The app storage is not configured: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName.');
}

export function appQueue(name: string, env: NodeJS.ProcessEnv = process.env): QueueClient {
  const s = setting(env);
  const service = s.connectionString ? QueueServiceClient.fromConnectionString(s.connectionString) : new QueueServiceClient(`https://${s.account}.queue.core.windows.net`, defaultAzureCredential());
  return service.getQueueClient(name);
}

export function appContainer(name: string, env: NodeJS.ProcessEnv = process.env): ContainerClient {
  const s = setting(env);
  const service = s.connectionString ? BlobServiceClient.fromConnectionString(s.connectionString) : new BlobServiceClient(`https://${s.account}.blob.core.windows.net`, defaultAzureCredential());
  return service.getContainerClient(name);
}
