/** `blobferry host` (what `npm start` runs) as a child process, for tests that kill it or read its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');

export interface ProductHost {
  child: ChildProcess;
  url: string;
  log: () => string;
}

/** Starts `blobferry host --port 0 <args>`; resolves once it prints its ready line. */
export function spawnProductHost(args: string[], env: NodeJS.ProcessEnv): Promise<ProductHost> {
  const child = spawn(process.execPath, [CLI, 'host', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line:\n${log}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      const m = /blobferry host ready: (\S+)/.exec(c.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], log: () => log });
      }
    });
    child.once('exit', (code) => reject(new Error(`host exited ${code}:\n${log}`)));
  });
}

export const exited = (child: ChildProcess) => new Promise<number | string | null>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));
