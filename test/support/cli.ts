/** The `blobferry` command as a test runs it: a child process. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { StorageProxy } from './storageProxy';

export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');

/** Starts `blobferry copy` in a child process and kills it with SIGKILL once `count` blocks went through the proxy; resolves when it has exited. */
export async function killMidCopy(args: string[], env: NodeJS.ProcessEnv, proxy: StorageProxy, count: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'copy', ...args], { env, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (proxy.stagedBlocks() < count) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the copy did not start staging');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** `blobferry copy` in a child process, asynchronously (a proxy in this process must keep answering): its exit status and stderr. */
export function copyInChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'copy', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}
