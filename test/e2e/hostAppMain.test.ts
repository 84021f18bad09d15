/**
 * `blobferry host --app-dir` with a foreign Durable Functions v4 app whose package.json "main"
 * is a glob (as the durable-functions samples have it), and the host's start errors: a "main"
 * that names nothing, a missing build, an entry point that throws. Each error stops the
 * embedded Azurite the host started, exits 2 and says what to run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { exited, failedStart, hostEnv, spawnProductHost } from '../support/productHost';
import { makeTempDir, removeDir } from '../support/temp';

const ROOT = path.join(__dirname, '..', '..', '..');
const COMPILED_APP = path.join(__dirname, '..', 'support', 'apps', 'globApp');
const ESM_FILE = path.join(ROOT, 'test', 'support', 'apps', 'globApp', 'ping.mjs');

const temp = makeTempDir('blobferry-glob-app-');
after(() => removeDir(temp));

/** The sample app in a folder of its own: functions/*.js (+ .mjs), its package.json and host.json; node_modules linked to the project's. */
function makeApp(name: string, pkg: Record<string, unknown>, extraFiles: Record<string, string> = {}): string {
  const dir = path.join(temp, name);
  fs.mkdirSync(path.join(dir, 'functions'), { recursive: true });
  for (const file of fs.readdirSync(COMPILED_APP).filter((f) => f.endsWith('.js'))) fs.copyFileSync(path.join(COMPILED_APP, file), path.join(dir, 'functions', file));
  fs.copyFileSync(ESM_FILE, path.join(dir, 'functions', 'ping.mjs'));
  for (const [file, text] of Object.entries(extraFiles)) fs.writeFileSync(path.join(dir, file), text);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: 'globapp' } } }));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `sample-${name}`, version: '1.0.0', ...pkg }));
  return dir;
}

async function pollUntilDone(url: string): Promise<{ runtimeStatus: string; output: unknown }> {
  for (let i = 0; i < 1000; i++) {
    const res = await fetch(url);
    if (res.status !== 202) {
      assert.equal(res.status, 200);
      return (await res.json()) as { runtimeStatus: string; output: unknown };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`still running: ${url}`);
}

/** The functions a host listed at start, in order ("Functions:" block of its log). */
const listedFunctions = (log: string) => [...log.matchAll(/^\s+(\w+): (?:\[|\w+Trigger)/gm)].map((m) => m[1]);

describe('a foreign v4 app whose "main" is a glob', () => {
  it('loads every matching file in order and runs its HTTP-started orchestration to completion', async () => {
    const dir = makeApp('cjs', { main: 'functions/*.js' });
    const { child, url, log } = await spawnProductHost(['--app-dir', dir, '--state-dir', path.join(dir, 'state'), '--no-azurite'], hostEnv());
    try {
      // helloSequence.js before httpStart.js; ping.mjs is not "*.js".
      assert.deepEqual(listedFunctions(log()), ['sayHello', 'helloSequence', 'durableHttpStart'], log());
      const res = await fetch(`${url}/api/orchestrators/helloSequence`, { method: 'POST', body: JSON.stringify(['Oslo', 'Lima']) });
      assert.equal(res.status, 202);
      const { id, statusQueryGetUri } = (await res.json()) as { id: string; statusQueryGetUri: string };
      assert.ok(statusQueryGetUri.startsWith(`${url}/runtime/webhooks/durabletask/instances/${id}`), statusQueryGetUri);
      const done = await pollUntilDone(statusQueryGetUri);
      assert.equal(done.runtimeStatus, 'Completed');
      assert.deepEqual(done.output, ['Hello Oslo', 'Hello Lima']);
      assert.equal((await fetch(`${url}/api/ping`)).status, 404);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0, log());
    }
  });

  it('loads ES modules among them with import(), as the Node worker does for .mjs files', async () => {
    const dir = makeApp('esm', { main: 'functions/*.{js,mjs}' });
    const { child, url, log } = await spawnProductHost(['--app-dir', dir, '--state-dir', path.join(dir, 'state'), '--no-azurite'], hostEnv());
    try {
      assert.deepEqual(listedFunctions(log()), ['sayHello', 'helloSequence', 'durableHttpStart', 'ping'], log());
      const res = await fetch(`${url}/api/ping`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { pong: true, module: 'esm' });
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0, log());
    }
  });
});

describe('start errors of an app that cannot load', () => {
  it('a "main" glob that matches nothing', async () => {
    const stderr = await failedStart(makeApp('no-match', { main: 'dist/functions/*.js', scripts: { build: 'tsc' } }));
    assert.match(stderr, /blobferry: CONFIG_INVALID: No file in \S+ matches "main": "dist\/functions\/\*\.js" \(\S+package\.json\)\. If the app is compiled, run "npm run build" first\./);
  });

  it('a missing build', async () => {
    const stderr = await failedStart(makeApp('not-built', { main: 'dist/src/functions/index.js', scripts: { build: 'tsc' } }));
    assert.match(stderr, /CONFIG_INVALID: The app's entry point \S+dist\/src\/functions\/index\.js \("main" in \S+\) does not exist\. If the app is compiled, run "npm run build" first\./);
  });

  it('an entry point that throws while it loads, after others registered functions', async () => {
    const dir = makeApp('throws', { main: 'functions/*.js' });
    fs.writeFileSync(path.join(dir, 'functions', 'zz-broken.js'), "throw new Error('BROKEN_SETTING is not set.');\n");
    const stderr = await failedStart(dir);
    assert.match(stderr, /CONFIG_INVALID: The app entry point \S+functions\/zz-broken\.js failed to load: BROKEN_SETTING is not set\. Fix it \(or rebuild the app: "npm run build"\) and start again\./);
  });
});
