/**
 * The app's own storage account (AzureWebJobsStorage): its queues (copy jobs, their poison
 * queue) and the container for job summaries. A connection string, as in local.settings.json
 * and on the local host; identity-based connections (AzureWebJobsStorage__accountName) use
 * DefaultAzureCredential.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { BlobferryError } from '../contracts/errors';
import { defaultAzureCredential, parseConnectionString } from './azureBlob/credentials';

/** The container batch jobs write their summaries to (BLOBFERRY_RESULTS_CONTAINER). */
export function resultsContainer(env: NodeJS.ProcessEnv = process.env): string {
  return env.BLOBFERRY_RESULTS_CONTAINER || 'copy-results';
}

/**
 * The app storage's service endpoints, as its setting names them: the blob endpoint, and every
 * endpoint (blob, queue, table) for the network allow-list. None when the setting is absent.
 */
export function appStorageEndpoints(env: NodeJS.ProcessEnv = process.env): { blob?: string; all: string[] } {
  const text = env.AzureWebJobsStorage;
  if (text) {
    const c = parseConnectionString(text);
    if (/^true$/i.test(c.UseDevelopmentStorage ?? '')) {
      const proxy = (c.DevelopmentStorageProxyUri ?? 'http://127.0.0.1').replace(/\/+$/, '');
      const all = [10000, 10001, 10002].map((port) => `${proxy}:${port}/devstoreaccount1`);
      return { blob: all[0], all };
    }
    const suffix = c.EndpointSuffix ?? 'core.windows.net';
    const protocol = c.DefaultEndpointsProtocol ?? 'https';
    const named = (service: string) => c[`${service[0].toUpperCase()}${service.slice(1)}Endpoint`] ?? (c.AccountName ? `${protocol}://${c.AccountName}.${service}.${suffix}` : undefined);
    const all = ['blob', 'queue', 'table'].map(named).filter((u): u is string => u !== undefined && URL.canParse(u));
    return { blob: all.find((u) => u === named('blob')), all };
  }
  const account = env.AzureWebJobsStorage__accountName;
  const blob = env.AzureWebJobsStorage__blobServiceUri ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  const all = [blob, env.AzureWebJobsStorage__queueServiceUri ?? (account ? `https://${account}.queue.core.windows.net` : undefined)].filter((u): u is string => u !== undefined && URL.canParse(u));
  return { blob: blob && URL.canParse(blob) ? blob : undefined, all };
}

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
