/**
 * Starts Azurite (blob, queue, table) from the project's own dependencies as a child process,
 * in a data folder, on the ports asked for (0 = any free port), and reports where it listens.
 * Used by `npm start` when no storage is configured, by the tests, and by the benchmarks.
 * Telemetry is always off: nothing leaves the machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BlobferryError } from '../contracts/errors';
import { AZURITE_DEV_ACCOUNT, AZURITE_DEV_KEY } from '../storage/azureBlob/credentials';

/** Azurite's well-known development account; its key is public and fine to commit. */
export const DEV_ACCOUNT = { name: AZURITE_DEV_ACCOUNT, key: AZURITE_DEV_KEY };

export interface StorageAccount {
  name: string;
  key: string;
}

export interface AzuriteOptions {
  location: string;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Accounts besides the development account (AZURITE_ACCOUNTS). */
  extraAccounts?: StorageAccount[];
  inMemory?: boolean;
  startTimeoutMs?: number;
  /** Node options for Azurite's process (the benchmarks profile it with --cpu-prof). */
  execArgv?: string[];
  /**
   * Serve HTTPS with this certificate and key (PEM files) and accept Microsoft Entra ID bearer
   * tokens (`--oauth basic`: Azurite checks audience, issuer and lifetime, not signatures).
   * Azurite trusts the certificate itself, for the copy sources it checks by URL.
   */
  oauth?: { cert: string; key: string };
}

export interface RunningAzurite {
  /** The Azurite process (benchmarks read its CPU time from /proc). */
  pid: number;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  accounts: StorageAccount[];
  blobEndpoint(account?: string): string;
  queueEndpoint(account?: string): string;
  tableEndpoint(account?: string): string;
  connectionString(account?: string): string;
  stop(): Promise<void>;
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:]+:(\d+)/;

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  fs.mkdirSync(options.location, { recursive: true });
  const accounts = [DEV_ACCOUNT, ...(options.extraAccounts ?? [])];
  const args = [
    '--location', options.location,
    '--blobPort', String(options.blobPort ?? 0),
    '--queuePort', String(options.queuePort ?? 0),
    '--tablePort', String(options.tablePort ?? 0),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    ...(options.inMemory ? ['--inMemoryPersistence'] : []),
    ...(options.oauth ? ['--oauth', 'basic', '--cert', options.oauth.cert, '--key', options.oauth.key] : []),
  ];
  const child = fork(path.join(__dirname, 'azuriteChild.js'), args, {
    execArgv: options.execArgv,
    env: { ...process.env, AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(';'), ...(options.oauth ? { NODE_EXTRA_CA_CERTS: options.oauth.cert } : {}) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const ports = await waitForPorts(child, options.startTimeoutMs ?? 30_000);
  const scheme = options.oauth ? 'https' : 'http';
  const endpoint = (port: number) => (account = DEV_ACCOUNT.name) => `${scheme}://127.0.0.1:${port}/${account}`;
  const blobEndpoint = endpoint(ports.Blob);
  const queueEndpoint = endpoint(ports.Queue);
  const tableEndpoint = endpoint(ports.Table);
  return {
    pid: child.pid!,
    blobPort: ports.Blob,
    queuePort: ports.Queue,
    tablePort: ports.Table,
    accounts,
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString(account = DEV_ACCOUNT.name) {
      const found = accounts.find((a) => a.name === account);
      if (!found) throw new BlobferryError('CONFIG_INVALID', `Azurite has no account "${account}".`);
      return `DefaultEndpointsProtocol=${scheme};AccountName=${found.name};AccountKey=${found.key};BlobEndpoint=${blobEndpoint(account)};QueueEndpoint=${queueEndpoint(account)};TableEndpoint=${tableEndpoint(account)};`;
    },
    stop: () => stopChild(child),
  };
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<Record<'Blob' | 'Queue' | 'Table', number>> {
  return new Promise((resolve, reject) => {
    const ports: Partial<Record<'Blob' | 'Queue' | 'Table', number>> = {};
    let output = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new BlobferryError('AZURITE_START_FAILED', `Azurite did not start: ${why}${output ? `\n${output.trim().slice(-2000)}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const m = LISTENING.exec(line);
        if (m) ports[m[1] as 'Blob' | 'Queue' | 'Table'] = Number(m[2]);
      }
      if (ports.Blob && ports.Queue && ports.Table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve(ports as Record<'Blob' | 'Queue' | 'Table', number>);
      }
    };
    const onExit = (code: number | null) => fail(`it exited with code ${code}`);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
