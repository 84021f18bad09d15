/** The copies API is `authLevel: function`, and the Event Grid webhook is keyed: with a function key configured, each wants it. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { LocalHost } from '../../src/local/host';
import { silentLogger } from '../../src/local/logger';
import { PRODUCT_ENTRY } from '../support/copyHost';
import { makeTestAppDir, type TestAppDir } from '../support/localHost';

let app: TestAppDir;
let host: LocalHost;
const key = randomBytes(16).toString('hex');

before(async () => {
  app = makeTestAppDir();
  process.env.BLOBFERRY_SEAL_KEY ??= randomBytes(32).toString('base64');
  host = await LocalHost.start({ appDir: app.dir, stateDir: path.join(app.dir, 'state'), port: 0, entryPoints: [PRODUCT_ENTRY], functionKey: key, logger: silentLogger });
});
after(async () => {
  await host.stop(1000);
  app.cleanup();
});

it('refuses every copies route without the function key, and serves them with it', async () => {
  const routes: Array<[string, string]> = [
    ['GET', '/api/copies'],
    ['POST', '/api/copies'],
    ['GET', '/api/copies/copy-x'],
    ['POST', '/api/copies/copy-x/cancel'],
  ];
  for (const [method, route] of routes) {
    const res = await fetch(`${host.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(res.status, 401, `${method} ${route} without a key`);
    const wrong = await fetch(`${host.url}${route}`, { method, headers: { 'x-functions-key': 'wrong' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(wrong.status, 401, `${method} ${route} with a wrong key`);
  }
  const eventGrid = `${host.url}/runtime/webhooks/eventgrid?functionName=blobCreated`;
  assert.equal((await fetch(eventGrid, { method: 'POST', headers: { 'aeg-event-type': 'SubscriptionValidation' }, body: '[]' })).status, 401, 'the Event Grid webhook wants the key too');
  const validated = await fetch(`${eventGrid}&code=${key}`, { method: 'POST', headers: { 'aeg-event-type': 'SubscriptionValidation' }, body: JSON.stringify([{ id: '1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'v' } }]) });
  assert.deepEqual(await validated.json(), { validationResponse: 'v' });
  const withHeader = await fetch(`${host.url}/api/copies`, { headers: { 'x-functions-key': key } });
  assert.equal(withHeader.status, 200);
  assert.deepEqual(await withHeader.json(), { copies: [] });
  assert.equal((await fetch(`${host.url}/api/copies?code=${key}`)).status, 200);
  assert.equal((await fetch(`${host.url}/api/copies/copy-x?code=${key}`)).status, 404);
});
