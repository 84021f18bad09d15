/**
 * `blobferry host` (what `npm start` runs): with no storage configured it starts an embedded
 * Azurite, serves the app's functions, prints where it listens, and stops everything on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestAzurite } from '../support/azurite';
import { azuriteGone, CLI, exited, processesNaming, spawnProductHost } from '../support/productHost';
import { makeTempDir, removeDir } from '../support/temp';

const temp = makeTempDir('blobferry-cli-');
after(() => removeDir(temp));
const startHost = spawnProductHost;

const withoutStorage = () => {
  const env = { ...process.env };
  delete env.AzureWebJobsStorage;
  delete env.BLOBFERRY_FUNCTION_KEY;
  delete env.PORT;
  return env;
};

describe('blobferry host', () => {
  it('starts an embedded Azurite when no storage is configured, serves the app, and stops both on SIGTERM', async () => {
    const azuriteDir = path.join(temp, 'azurite');
    const { child, url, log } = await startHost(['--state-dir', path.join(temp, 'state'), '--azurite-dir', azuriteDir], withoutStorage());
    const health = await fetch(`${url}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const azuriteUrl = /Embedded Azurite: blob (\S+),/.exec(log())?.[1];
    assert.ok(azuriteUrl, log());
    assert.ok((await fetch(`${azuriteUrl}?comp=list`)).status > 0, 'Azurite answers');
    assert.match(log(), /Function keys are not enforced/);
    // The connection string queue clients need, whole (its key is Azurite's published one), naming where Azurite really listens.
    const printed = /App storage connection string: (\S+)/.exec(log())?.[1] ?? '';
    assert.match(printed, /AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq\/K1SZFPTOtr\/KBHBeksoGMGw==/);
    assert.ok(printed.includes(`BlobEndpoint=${azuriteUrl};`), printed);
    if (!azuriteUrl.includes(':10000/')) assert.match(log(), /Ports 10000-10002 are taken/, 'a moved Azurite says so');
    child.kill('SIGTERM');
    assert.equal(await exited(child), 0);
    assert.deepEqual(processesNaming(azuriteDir), [], 'the embedded Azurite stopped with the host');
  });

  it('takes its embedded Azurite down even when it is killed with SIGKILL', async () => {
    const azuriteDir = path.join(temp, 'azurite-kill');
    const { child } = await startHost(['--state-dir', path.join(temp, 'state-kill'), '--azurite-dir', azuriteDir], withoutStorage());
    const azurites = processesNaming(azuriteDir).filter((pid) => pid !== child.pid);
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(azurites.length, 1, 'the host started one Azurite');
    await azuriteGone(azuriteDir);
  });

  it('uses configured storage instead, never printing its key', async () => {
    const azurite = await startTestAzurite();
    try {
      const { child, log } = await startHost(['--state-dir', path.join(temp, 'state2')], { ...withoutStorage(), AzureWebJobsStorage: azurite.connectionString() });
      assert.doesNotMatch(log(), /Embedded Azurite/);
      assert.match(log(), /AccountKey=REDACTED/);
      assert.ok(!log().includes(azurite.accounts[0].key));
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0, log());
    } finally {
      await azurite.cleanup();
    }
  });

  it('requires the function key when BLOBFERRY_FUNCTION_KEY is set', async () => {
    const { child, url, log } = await startHost(['--state-dir', path.join(temp, 'state3'), '--no-azurite'], { ...withoutStorage(), BLOBFERRY_FUNCTION_KEY: 'k-123' });
    assert.doesNotMatch(log(), /not enforced/);
    assert.equal((await fetch(`${url}/runtime/webhooks/durabletask/instances/x`)).status, 401);
    assert.equal((await fetch(`${url}/runtime/webhooks/durabletask/instances/x?code=k-123`)).status, 404);
    child.kill('SIGTERM');
    await exited(child);
  });

  it('explains usage errors with exit code 2', () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /host/);
    const bad = spawnSync(process.execPath, [CLI, 'host', '--port', 'seventy'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--port must be a number/);
    assert.equal(spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' }).status, 2);
  });
});
