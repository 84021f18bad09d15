/** `blobferry host` (what `npm start` runs) as a child process, for tests that kill it or read its log. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from './cli';

export { CLI };

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
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // nobody else holds it: it must not outlive the failed start
      reject(new Error(`no ready line:\n${log}`));
    }, 60_000);
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

/** The environment without the settings a test's host must not inherit (its storage, key, port, state). */
export function hostEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['AzureWebJobsStorage', 'BLOBFERRY_FUNCTION_KEY', 'PORT', 'BLOBFERRY_STATE_DIR']) delete env[name];
  return env;
}

/** Processes whose command line names `text` as one of its arguments (Azurite's child names its data folder). */
export function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(text)) found.push(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Waits until no process names `azuriteDir` (the embedded Azurite's data folder) any more.
 * Asking Azurite's port instead would race other test files: once freed, the default port
 * 10000 is soon taken by another test's embedded Azurite.
 */
export async function azuriteGone(azuriteDir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesNaming(azuriteDir).length > 0) {
    if (Date.now() > deadline) assert.fail(`Azurite (${azuriteDir}) outlived its host`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts `blobferry host` on an app in `appDir` that must not start, with embedded Azurite in
 * `workDir`: it starts Azurite first, exits 2 without a ready line, and leaves no Azurite
 * process and nothing listening where Azurite did. Its stderr, for what it said. (A host that
 * starts after all is killed by the timeout, and the test fails.)
 */
export async function failedStart(appDir: string, workDir = appDir): Promise<string> {
  const azuriteDir = path.join(workDir, 'azurite');
  const run = spawnSync(process.execPath, [CLI, 'host', '--port', '0', '--app-dir', appDir, '--state-dir', path.join(workDir, 'state'), '--azurite-dir', azuriteDir], { env: hostEnv(), encoding: 'utf8', timeout: 90_000 });
  assert.match(run.stderr, /Embedded Azurite: blob \S+,/, 'the host started its embedded Azurite first');
  assert.equal(run.status, 2, run.stderr);
  assert.doesNotMatch(run.stdout, /host ready/);
  assert.deepEqual(processesNaming(azuriteDir), [], 'no Azurite process is left');
  return run.stderr;
}
