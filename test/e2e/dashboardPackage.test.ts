/**
 * The dashboard from an app laid out as a deployment is: the compiled dist/ and the page's files
 * (src/web/), without the TypeScript sources. The page and every file it loads are served; and
 * a package that left src/web/ out answers with what is missing, in its log too, rather than a
 * bare 500 or a misleading 404.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { exited, spawnProductHost, type ProductHost } from '../support/productHost';
import { makeTempDir, removeDir } from '../support/temp';

const REPO = path.join(__dirname, '..', '..', '..');
let temp: string;
const hosts: ProductHost[] = [];

before(() => {
  temp = makeTempDir('blobferry-dashboard-package-');
});
after(async () => {
  for (const host of hosts) {
    if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGTERM');
    await exited(host.child).catch(() => undefined);
  }
  removeDir(temp);
});

/** An app folder with dist/src, package.json, host.json and node_modules (linked), and src/web/ only when asked. */
function packagedApp(name: string, withWeb: boolean): string {
  const dir = path.join(temp, name);
  fs.cpSync(path.join(REPO, 'dist', 'src'), path.join(dir, 'dist', 'src'), { recursive: true });
  for (const file of ['package.json', 'host.json']) fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  if (withWeb) fs.cpSync(path.join(REPO, 'src', 'web'), path.join(dir, 'src', 'web'), { recursive: true });
  return dir;
}

async function startPackaged(dir: string): Promise<ProductHost> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.AzureWebJobsStorage;
  delete env.BLOBFERRY_FUNCTION_KEY;
  // The host loads the app's functions from the package (its package.json "main"), so every path they compute is the package's.
  const host = await spawnProductHost(['--app-dir', dir, '--no-azurite', '--state-dir', path.join(dir, 'state'), '--log-level', 'warn'], env);
  hosts.push(host);
  return host;
}

it('serves the page and every file it loads from dist/ and src/web/ alone', async () => {
  const host = await startPackaged(packagedApp('with-web', true));
  const page = await fetch(`${host.url}/api/dashboard/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const loaded = [...html.matchAll(/(?:href|src)="(assets\/[^"]+)"|"\.\/(assets\/[^"]+)"/g)].map((m) => m[1] ?? m[2]);
  assert.ok(loaded.length >= 6, `the page loads its files: ${loaded.join(', ')}`);
  const modules = fs.readdirSync(path.join(REPO, 'src', 'web')).filter((f) => f.endsWith('.mjs')).map((f) => `assets/${f}`);
  for (const file of new Set([...loaded, ...modules])) assert.equal((await fetch(`${host.url}/api/dashboard/${file}`)).status, 200, file);
});

it('says the files are missing when a package left src/web/ out', async () => {
  const host = await startPackaged(packagedApp('without-web', false));
  for (const route of ['/api/dashboard/', '/api/dashboard/assets/app.mjs', '/api/dashboard/assets/preact.mjs']) {
    const res = await fetch(`${host.url}${route}`);
    assert.equal(res.status, 500, route);
    assert.deepEqual(await res.json(), { code: 'INTERNAL', message: "The dashboard's files are not in this deployment: it needs src/web/ and the preact, htm and uplot packages beside the app." });
  }
  assert.match(host.log(), /The dashboard cannot serve its files: .*src\/web does not exist/);
});
