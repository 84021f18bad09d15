/**
 * `blobferry host` with an app whose function has an output binding the local host does not
 * implement: the host refuses to start, naming the function and the binding, and the embedded
 * Azurite it started first is gone when it exits.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { after, it } from 'node:test';
import { CLI } from '../support/cli';
import { makeTempDir, removeDir } from '../support/temp';

const dir = makeTempDir('blobferry-unsupported-');
after(() => removeDir(dir));

/**
 * Runs `blobferry host` to its exit. Should it start after all (the bug this test guards
 * against), it is stopped at once so the test fails instead of waiting forever.
 */
function runHost(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'host', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('host ready')) child.kill('SIGTERM');
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Processes whose command line mentions `text` (the embedded Azurite names its data folder). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

it('refuses to start with an output binding it would drop, names function and binding, and leaves no Azurite behind', async () => {
  const appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir);
  fs.writeFileSync(path.join(appDir, 'host.json'), JSON.stringify({ version: '2.0' }));
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'unsupported', main: path.join(__dirname, '..', 'support', 'apps', 'unsupportedBinding.js') }));
  const azuriteDir = path.join(dir, 'azurite-data');
  const env = { ...process.env };
  delete env.AzureWebJobsStorage;
  const { status, stdout, stderr } = await runHost(['--app-dir', appDir, '--port', '0', '--state-dir', path.join(dir, 'state'), '--azurite-dir', azuriteDir], env);
  assert.notEqual(status, 0, stdout + stderr);
  assert.doesNotMatch(stdout, /host ready/);
  assert.match(stderr, /Embedded Azurite/, 'Azurite was started first');
  assert.match(stderr, /Function "notifyOrders", binding "serviceBusOutput[0-9a-f]+" \(out serviceBus\)/);
  assert.match(stderr, /silently dropped/);
  assert.deepEqual(processesMentioning(azuriteDir), [], 'no Azurite left running');
});
