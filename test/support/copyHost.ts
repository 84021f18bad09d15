/**
 * The product app on an in-process local host, for copy tests: its own app folder and state,
 * a seal key, and helpers to run a copy request to the end and read it as the CLI does.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import type { CopyView } from '../../src/durable/copyStatus';
import { copyView } from '../../src/durable/copyStatus';
import { prepareTransfer } from '../../src/durable/startTransfer';
import { transfer } from '../../src/durable/orchestrators/transfer';
import { LocalHost } from '../../src/local/host';
import { actForLocalUser } from '../../src/storage/registry';
import { silentLogger, type Logger } from '../../src/local/logger';
import { makeTempDir, removeDir } from './temp';

export const PRODUCT_ENTRY = path.join(__dirname, '..', '..', 'src', 'functions', 'index.js');

export interface CopyRequestLike {
  source: string;
  destination: string;
  options?: Record<string, unknown>;
}

export interface CopyHost {
  host: LocalHost;
  /** Runs a copy request to its end; resolves with what the CLI would report. */
  copy(request: CopyRequestLike): Promise<CopyView>;
  /** Starts a copy request; its instance id. */
  start(request: CopyRequestLike): string;
  /** Waits for a started copy to end. */
  finish(instanceId: string): Promise<CopyView>;
  view(instanceId: string): CopyView;
  stop(): Promise<void>;
}

/** `queues`: host.json extensions.queues (the host polls queues when AzureWebJobsStorage is set). */
export async function startCopyHost(options: { queues?: Record<string, unknown>; logger?: Logger } = {}): Promise<CopyHost> {
  const dir = makeTempDir('blobferry-copyhost-');
  const extensions = { durableTask: { hubName: 'copytests', maxConcurrentActivityFunctions: 32, maxConcurrentOrchestratorFunctions: 8 }, ...(options.queues ? { queues: options.queues } : {}) };
  fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions }));
  process.env.BLOBFERRY_SEAL_KEY ??= randomBytes(32).toString('base64');
  // The test acts as the CLI does for its user (start(); the HTTP API stays a remote caller).
  actForLocalUser();
  const host = await LocalHost.start({ appDir: dir, stateDir: path.join(dir, 'state'), port: 0, entryPoints: [PRODUCT_ENTRY], logger: options.logger ?? silentLogger });
  const view = (instanceId: string): CopyView => {
    const status = host.engine.getStatus(instanceId)!;
    const child = (status.customStatus as { child?: string } | null)?.child;
    return copyView(status, child ? host.engine.getStatus(child) : undefined);
  };
  const start = (request: CopyRequestLike): string => {
    const { instanceId, input } = prepareTransfer({ ...request, options: request.options ?? {} }, 'user');
    host.engine.startNew(transfer.name, { instanceId, input });
    return instanceId;
  };
  const finish = async (instanceId: string): Promise<CopyView> => {
    await host.engine.waitForCompletion(instanceId, { timeoutMs: 300_000 });
    return view(instanceId);
  };
  return {
    host,
    view,
    start,
    finish,
    copy: (request) => finish(start(request)),
    async stop() {
      await host.stop(2000);
      removeDir(dir);
    },
  };
}
