/** The `blobferry` command as a test runs it: a child process. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { StorageProxy } from './storageProxy';

export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');

/**
 * Starts `blobferry copy` in a child process and kills it with SIGKILL once `reached()` says so;
 * resolves, once it has exited, with whether it was killed mid-copy (false: it ended on its own
 * first, or never reached the point within a minute).
 */
export async function killWhen(args: string[], env: NodeJS.ProcessEnv, reached: () => boolean): Promise<boolean> {
  const child = spawn(process.execPath, [CLI, 'copy', ...args], { env, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 60_000;
  while (!reached() && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const inTime = reached();
  child.kill('SIGKILL');
  return (await exited) === 'SIGKILL' && inTime;
}

/** Kills `blobferry copy` once `count` blocks in all went through the proxy. */
export async function killMidCopy(args: string[], env: NodeJS.ProcessEnv, proxy: StorageProxy, count: number): Promise<void> {
  if (!(await killWhen(args, env, () => proxy.stagedBlocks() >= count))) throw new Error('the copy was not killed while it staged blocks');
}

/** `blobferry copy` in a child process, asynchronously (a proxy in this process must keep answering): its exit status, stdout and stderr. */
export function copyInChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return cliInChild(['copy', ...args], env);
}

/** Any `blobferry` command in a child process, asynchronously: its exit status, stdout and stderr. */
export function cliInChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
