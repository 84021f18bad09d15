/**
 * Local hosts for tests: an app folder of their own (host.json, no local.settings.json), the
 * test app's entry points, a temporary state folder, free ports. In-process for speed, or as a
 * child process for crash tests (killed with SIGKILL and started again on the same state).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LocalHost, type LocalHostOptions } from '../../src/local/host';
import { silentLogger } from '../../src/local/logger';
import { makeTempDir, removeDir } from './temp';

export const SAMPLES_ENTRY = path.join(__dirname, 'apps', 'durableSamples.js');

export interface TestAppDir {
  dir: string;
  stateDir: string;
  cleanup(): void;
}

/** An app folder with a host.json for the test app, and an empty state folder beside it. */
export function makeTestAppDir(durableTask: Record<string, unknown> = {}): TestAppDir {
  const dir = makeTempDir('blobferry-app-');
  fs.writeFileSync(
    path.join(dir, 'host.json'),
    JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: 'testhub', maxConcurrentActivityFunctions: 16, maxConcurrentOrchestratorFunctions: 8, ...durableTask } } }),
  );
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'test-app', main: SAMPLES_ENTRY }));
  return { dir, stateDir: path.join(dir, 'state'), cleanup: () => removeDir(dir) };
}

export async function startTestHost(options: Partial<LocalHostOptions> & { app?: TestAppDir } = {}): Promise<{ host: LocalHost; app: TestAppDir; stop(): Promise<void> }> {
  const app = options.app ?? makeTestAppDir();
  const host = await LocalHost.start({ appDir: app.dir, stateDir: app.stateDir, port: 0, entryPoints: [SAMPLES_ENTRY], logger: silentLogger, ...options });
  return {
    host,
    app,
    async stop() {
      await host.stop(2000);
      if (!options.app) app.cleanup();
    },
  };
}

export interface HostProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts test/support/hostMain.js as its own process and waits until it listens. */
export async function spawnTestHost(app: TestAppDir, env: Record<string, string> = {}): Promise<HostProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'hostMain.js'), app.dir, app.stateDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /host ready: (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
