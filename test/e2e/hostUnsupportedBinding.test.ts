/**
 * `blobferry host` with an app whose function has an output binding the local host does not
 * implement: the host refuses to start, naming the function and the binding, and the embedded
 * Azurite it started first is gone when it exits.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, it } from 'node:test';
import { failedStart } from '../support/productHost';
import { makeTempDir, removeDir } from '../support/temp';

const dir = makeTempDir('blobferry-unsupported-');
after(() => removeDir(dir));

it('refuses to start with an output binding it would drop, names function and binding, and leaves no Azurite behind', async () => {
  const appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir);
  fs.writeFileSync(path.join(appDir, 'host.json'), JSON.stringify({ version: '2.0' }));
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'unsupported', main: path.join(__dirname, '..', 'support', 'apps', 'unsupportedBinding.js') }));
  const stderr = await failedStart(appDir, dir);
  assert.match(stderr, /Function "notifyOrders", binding "serviceBusOutput[0-9a-f]+" \(out serviceBus\)/);
  assert.match(stderr, /silently dropped/);
});
