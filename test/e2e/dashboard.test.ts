/**
 * The dashboard (src/web/, served by src/functions/dashboard.ts) in headless Chromium, against a
 * real `blobferry host` process with a function key, real Azurite and the fault proxy (which
 * holds a server copy pending, as Azurite never does). It starts a 500-blob copy through the
 * page's form and watches it to 100%, shows a failing copy's failures, cancels a pending server
 * copy from the page, filters and pages the list, follows the URL `blobferry copy --host`
 * prints, and keeps going across a host restart. The screenshots in docs/ are taken here (shot).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestAzurite, type TestAzurite } from '../support/azurite';
import { cliInChild } from '../support/cli';
import { accessibilityViolations, chromiumMissing, launchChromium, scrollsSideways, watchProblems } from '../support/dashboardBrowser';
import { exited, spawnProductHost, type ProductHost } from '../support/productHost';
import { isCopyBlob, startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

const skip = chromiumMissing();
const BLOBS = 500;
const key = randomBytes(16).toString('hex');
// Made in before(), so a skipped run leaves none behind.
let temp: string;
// The screenshots in docs/ come from `BLOBFERRY_SCREENSHOTS=docs node --test dist/test/e2e/dashboard.test.js`;
// other runs take them into their temporary folder, so a test run leaves the work tree as it was.
const shot = (name: string) => path.join(process.env.BLOBFERRY_SCREENSHOTS ? path.resolve(process.env.BLOBFERRY_SCREENSHOTS) : temp, name);
let azurite: TestAzurite;
let proxy: StorageProxy;
let browser: Browser;
let host: ProductHost;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
    server.once('error', reject);
  });
}

/** The host on a fixed port, so a restarted one answers the page where the first one did. */
async function startHost(): Promise<ProductHost> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BLOBFERRY_FUNCTION_KEY: key,
    // The test's Azurite and the fault proxy are loopback endpoints the operator trusts.
    BLOBFERRY_TRUSTED_ENDPOINTS: '127.0.0.1',
    BLOBFERRY_POLL_INTERVAL: '100ms',
    BLOBFERRY_POLL_MAX_INTERVAL: '200ms',
  };
  delete env.AzureWebJobsStorage;
  return spawnProductHost(['--no-azurite', '--state-dir', path.join(temp, 'state'), '--log-level', 'warn', '--port', String(port)], env);
}

async function stopHost(): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  host.child.kill('SIGTERM');
  await exited(host.child);
}

/** The copies API with the key, as scripts call it. */
async function api<T>(route: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${host.url}/api/copies${route}`, { ...init, headers: { 'content-type': 'application/json', 'x-functions-key': key } });
  return { status: res.status, body: (await res.json()) as T };
}

interface View {
  instanceId: string;
  runtimeStatus: string;
  phase: string;
  blobs: { total: number; copied: number; failed: number };
  failures: Array<{ code: string }>;
}

async function startCopy(request: unknown): Promise<string> {
  const started = await api<{ id: string }>('', { method: 'POST', body: JSON.stringify(request) });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return started.body.id;
}

async function ended(id: string): Promise<View> {
  for (let i = 0; i < 1200; i++) {
    const { body } = await api<View>(`/${encodeURIComponent(id)}`);
    if (['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus)) return body;
    await sleep(100);
  }
  throw new Error(`copy ${id} did not end`);
}

/** A prefix of a container, with the container's SAS. */
const prefixUrl = (container: string, prefix: string) => azurite.containerSasUrl(container).replace(`/${container}?`, `/${container}/${prefix}?`);

/** A page of the dashboard, the function key entered when it asks. */
async function openDashboard(hash = '', viewport = { width: 1200, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems = watchProblems(page);
  await page.goto(`${host.url}/api/dashboard/`);
  await page.getByLabel('Function key').fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('heading', { name: 'Function key' }).waitFor({ state: 'detached' });
  if (hash) await page.goto(`${host.url}/api/dashboard/${hash}`);
  return { page, problems };
}

/** The ids of the copy cards the list shows now. */
const cardIds = (page: Page) => page.locator('ol.copies > li h2').allTextContents();

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the dashboard in Chromium', { skip }, () => {
  before(async () => {
    temp = makeTempDir('blobferry-dashboard-');
    azurite = await startTestAzurite();
    proxy = await startStorageProxy(azurite.blobPort, { accounts: azurite.accounts });
    const service = azurite.blobService();
    await Promise.all(['source', 'target'].map((c) => service.getContainerClient(c).create()));
    const source = service.getContainerClient('source');
    for (let i = 0; i < BLOBS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => source.getBlockBlobClient(`many/${String(i + j).padStart(4, '0')}.bin`).uploadData(randomBytes(4096))));
    }
    // One blob whose declared Content-MD5 is not its bytes' MD5: verify md5 fails it.
    await source.getBlockBlobClient('checked/fine.txt').upload('fine', 4);
    await source.getBlockBlobClient('checked/lying.bin').upload('not what it claims', 18);
    await source.getBlobClient('checked/lying.bin').setHTTPHeaders({ blobContentMD5: Buffer.alloc(16, 7) });
    await source.getBlockBlobClient('restore/new.bin').uploadData(randomBytes(64 * 1024));
    await service.getContainerClient('target').getBlockBlobClient('restore/kept.bin').upload('kept', 4);
    port = await freePort();
    host = await startHost();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (host) await stopHost();
    await proxy?.close();
    await azurite?.cleanup();
    if (temp) removeDir(temp);
  });

  it('serves the page and its files without the key, and asks for the key before it shows any copy', async () => {
    const bare = await fetch(`${host.url}/api/dashboard?x=1`, { redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/api/dashboard/?x=1', 'relative URLs need the trailing slash');
    const page = await fetch(`${host.url}/api/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'; style-src 'self'/);
    const again = await fetch(`${host.url}/api/dashboard/`, { headers: { 'if-none-match': page.headers.get('etag')! } });
    assert.equal(again.status, 304);
    for (const file of ['app.mjs', 'copyList.mjs', 'dashboard.css', 'preact.mjs', 'hooks.mjs', 'htm.mjs', 'uPlot.esm.js', 'uPlot.min.css']) {
      const res = await fetch(`${host.url}/api/dashboard/assets/${file}`);
      assert.equal(res.status, 200, file);
      assert.ok((await res.text()).length > 100, `${file} has content`);
    }
    for (const other of ['assets/..%2F..%2Fpackage.json', 'assets/index.html', 'assets/nope.mjs', 'elsewhere']) {
      assert.equal((await fetch(`${host.url}/api/dashboard/${other}`)).status, 404, other);
    }
    assert.equal((await fetch(`${host.url}/api/copies`)).status, 401, 'the data stays behind the key');

    const browserPage = await browser.newPage();
    const problems = watchProblems(browserPage);
    const requests: Array<{ url: string; key?: string }> = [];
    browserPage.on('request', (r) => requests.push({ url: r.url(), key: r.headers()['x-functions-key'] }));
    await browserPage.goto(`${host.url}/api/dashboard`);
    await browserPage.getByRole('heading', { name: 'Function key' }).waitFor();
    assert.deepEqual(await accessibilityViolations(browserPage), []);
    await browserPage.getByLabel('Function key').fill('wrong');
    await browserPage.getByRole('button', { name: 'Use this key' }).click();
    await browserPage.getByText('The host refused this key.').waitFor();
    await browserPage.getByLabel('Function key').fill(key);
    await browserPage.getByRole('button', { name: 'Use this key' }).click();
    await browserPage.getByText('No copies yet.').waitFor();
    assert.equal(await browserPage.evaluate('sessionStorage.length'), 1, 'the key is kept for this tab');
    assert.deepEqual(requests.filter((r) => r.url.includes(key) || /[?&]code=/.test(r.url)).map((r) => r.url), [], 'the key is in no URL');
    assert.ok(requests.some((r) => r.url.includes('/api/copies') && r.key === key), 'the API calls carry it in x-functions-key');
    assert.deepEqual(await accessibilityViolations(browserPage), []);
    assert.deepEqual(problems, []);
    await browserPage.close();

    // Azure's host refuses a missing key with a bare 401, no body: the page asks for the key all the same.
    const azureLike = await browser.newPage();
    await azureLike.route('**/api/copies**', (route) => route.fulfill({ status: 401, body: '' }));
    await azureLike.goto(`${host.url}/api/dashboard/`);
    await azureLike.getByRole('heading', { name: 'Function key' }).waitFor();
    await azureLike.close();
  });

  it(`starts a ${BLOBS}-blob prefix copy through the form, with the API's own messages for bad input, and watches it reach 100%`, async () => {
    const { page, problems } = await openDashboard('#/new');
    await page.getByLabel('Destination', { exact: true }).fill('not a url');
    await page.getByLabel('Concurrency').fill('0');
    await page.getByLabel('Timeout per blob').fill('soon');
    await page.getByRole('button', { name: 'Start the copy' }).click();
    const alert = page.locator('[role=alert].error');
    await alert.waitFor();
    const direct = await api<{ code: string; message: string; details: { errors: Array<{ field: string; message: string }> } }>('', {
      method: 'POST',
      body: JSON.stringify({ source: '', destination: 'not a url', options: { concurrency: 0, timeout: 'soon' } }),
    });
    assert.equal(direct.status, 400);
    assert.equal(await alert.textContent(), `${direct.body.code}: ${direct.body.message}`, 'the same message as the API gives');
    const timeoutError = direct.body.details.errors.find((e) => e.field === 'options.timeout')!;
    assert.equal(await page.locator('[id="error-options.timeout"]').textContent(), timeoutError.message);
    assert.equal(await page.getByLabel('Timeout per blob').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Timeout per blob').inputValue(), 'soon', 'what was typed stays');
    assert.deepEqual(await accessibilityViolations(page), []);

    await page.getByLabel('Source', { exact: true }).fill(prefixUrl('source', 'many/'));
    await page.getByLabel('Destination', { exact: true }).fill(prefixUrl('target', 'many/'));
    await page.getByLabel('Recursive').check();
    await page.getByLabel('Concurrency').fill('4');
    await page.getByLabel('Timeout per blob').fill('');
    await page.getByRole('button', { name: 'Start the copy' }).click();
    await page.waitForURL(/#\/copies\/copy-/);
    const id = decodeURIComponent(page.url().split('#/copies/')[1]);
    await page.getByRole('heading', { name: `Copy ${id}` }).waitFor();

    const bytesBar = page.getByRole('progressbar', { name: 'Bytes' });
    const seen = new Set<string>();
    // The list gives a running copy's throughput too (for its rate and ETA).
    let listedRate = 0;
    await waitFor('the copy to complete on the page', async () => {
      const status = (await page.locator('.summary').textContent().catch(() => '')) ?? '';
      const value = await bytesBar.getAttribute('value').catch(() => null);
      if (value !== null) seen.add(`${status.split(',')[0]}:${value}`);
      const listed = (await api<{ copies: Array<{ id: string; rateBytesPerSec?: number }> }>('?status=running')).body.copies.find((c) => c.id === id);
      listedRate = Math.max(listedRate, listed?.rateBytesPerSec ?? 0);
      return status.startsWith('Completed');
    }, 120_000);
    assert.ok(listedRate > 0, 'the list gave a throughput while the copy ran');
    assert.equal(await bytesBar.getAttribute('value'), '100');
    assert.equal(await page.getByRole('progressbar', { name: 'Blobs' }).getAttribute('value'), '100');
    assert.ok([...seen].some((s) => s.startsWith('Running') && !s.endsWith(':100')), `the bar moved while it ran: ${[...seen].join(' ')}`);
    assert.match((await page.locator('.bars').textContent()) ?? '', new RegExp(`${BLOBS} of ${BLOBS}`));
    const view = await ended(id);
    assert.deepEqual(view.blobs, { total: BLOBS, copied: BLOBS, skipped: 0, failed: 0 });
    let copied = 0;
    for await (const _ of azurite.blobService().getContainerClient('target').listBlobsFlat({ prefix: 'many/' })) copied++;
    assert.equal(copied, BLOBS);
    assert.equal(await page.locator('.chart canvas').count(), 1, 'the throughput chart is drawn from the samples taken while it ran');
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.screenshot({ path: shot('dashboard-copy.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the failures of a failing copy in the list and on its page, and why a copy could not start', async () => {
    const failing = await startCopy({ source: prefixUrl('source', 'checked/'), destination: prefixUrl('target', 'checked/'), options: { recursive: true, strategy: 'block-copy', verify: 'md5' } });
    assert.equal((await ended(failing)).failures[0]?.code, 'MD5_MISMATCH');
    const unstartable = await startCopy({ source: prefixUrl('nosuch', 'x/'), destination: prefixUrl('target', 'x/'), options: { recursive: true } });
    const refused = await ended(unstartable);

    const { page, problems } = await openDashboard();
    const card = page.locator('ol.copies > li', { has: page.getByRole('heading', { name: failing }) });
    await card.getByText('Show the 1 failure(s)').click();
    const row = card.locator('table.failures tbody tr');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /checked\/lying\.bin.*MD5_MISMATCH/);
    const refusedCard = page.locator('ol.copies > li', { has: page.getByRole('heading', { name: unstartable }) });
    assert.match((await refusedCard.locator('.error').textContent()) ?? '', new RegExp(`^${(refused as unknown as { error: { code: string } }).error.code}: `));
    assert.equal(await refusedCard.getByRole('progressbar', { name: 'Bytes' }).getAttribute('value'), '0', 'a copy that never started is not shown done');
    assert.doesNotMatch((await page.content()) ?? '', /sig=/, 'no SAS on the page');

    await card.getByRole('link', { name: failing }).click();
    await page.getByRole('heading', { name: `Copy ${failing}` }).waitFor();
    const failures = page.locator('table.failures tbody tr');
    await failures.first().waitFor();
    assert.equal(await failures.count(), 1);
    assert.match((await failures.textContent()) ?? '', /lying\.bin.*MD5_MISMATCH/);
    assert.doesNotMatch((await page.content()) ?? '', /sig=/, 'no SAS on the page');
    assert.deepEqual(await accessibilityViolations(page), []);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('cancels a running server copy from the page after a confirmation, and the destination is restored', async () => {
    proxy.rules.push({ match: isCopyBlob, pendingCopy: { polls: 100_000, then: 'success' }, times: 1 });
    // No SAS: the host signs for Azurite's development account with its public key (a container
    // SAS cannot look for the snapshot that puts the old destination back).
    const destination = `${proxy.origin}/${azurite.accounts[0].name}/target/restore/kept.bin`;
    const id = await startCopy({ source: azurite.blobSasUrl('source', 'restore/new.bin'), destination, options: { strategy: 'server-copy', overwrite: 'always' } });
    await waitFor('the server copy to be pending', async () => (proxy.copies()[0]?.polls ?? 0) >= 2);

    const list = await openDashboard();
    await list.page.getByRole('heading', { name: id }).waitFor();
    await list.page.screenshot({ path: shot('dashboard-list.png'), fullPage: true });
    await list.page.close();

    const { page, problems } = await openDashboard(`#/copies/${encodeURIComponent(id)}`);
    await page.getByText(/^pending, polled \d+ time/).waitFor();
    // By keyboard: the dialog opens on "Keep it running", and Escape keeps it running.
    const cancel = page.getByRole('button', { name: 'Cancel this copy' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Cancel ${id}?` });
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Keep it running');
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api<View>(`/${id}`)).body.runtimeStatus, 'Running', 'Escape cancels nothing');

    await cancel.click();
    await dialog.getByRole('button', { name: 'Cancel the copy' }).click();
    await page.locator('.summary', { hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
    assert.equal(proxy.copies()[0].status, 'aborted');
    const kept = await azurite.blobService().getContainerClient('target').getBlobClient('restore/kept.bin').downloadToBuffer();
    assert.equal(kept.toString(), 'kept', `the destination is back as it was: ${JSON.stringify((await api<View>(`/${id}`)).body)}`);
    assert.match((await page.locator('table.failures').textContent()) ?? '', /CANCELLED/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('filters the list by status and pages it as the API pages, at laptop and phone widths', async () => {
    for (let i = 0; i < 3; i++) await ended(await startCopy({ source: azurite.blobSasUrl('source', `many/000${i}.bin`), destination: azurite.blobSasUrl('target', `single/${i}.bin`, undefined, 'racw') }));
    const apiIds = async (query: string) => (await api<{ copies: Array<{ id: string }>; continuationToken?: string }>(query)).body;

    const { page, problems } = await openDashboard('', { width: 390, height: 844 });
    await page.getByLabel('Status').selectOption('Failed');
    const failed = await apiIds('?status=failed');
    assert.equal(failed.copies.length, 1, 'the copy that could not start');
    await waitFor('the failed copies only', async () => JSON.stringify(await cardIds(page)) === JSON.stringify(failed.copies.map((c) => c.id)));
    assert.match(page.url(), /#\/\?status=failed$/, 'the filter is in the address');

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Copies per page').selectOption('5');
    const first = await apiIds('?top=5');
    assert.ok(first.continuationToken, 'more than one page');
    await waitFor('the first page', async () => JSON.stringify(await cardIds(page)) === JSON.stringify(first.copies.map((c) => c.id)));
    assert.equal(await scrollsSideways(page), false, 'a phone does not scroll sideways');
    assert.deepEqual(await accessibilityViolations(page), []);
    const older = page.getByRole('button', { name: 'Older' });
    await older.click();
    const second = await apiIds(`?top=5&continuationToken=${first.continuationToken}`);
    await waitFor('the second page', async () => JSON.stringify(await cardIds(page)) === JSON.stringify(second.copies.map((c) => c.id)));
    assert.equal(await older.isDisabled(), !second.continuationToken);
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitFor('the first page again', async () => JSON.stringify(await cardIds(page)) === JSON.stringify(first.copies.map((c) => c.id)));

    await page.getByRole('link', { name: first.copies[0].id }).click();
    await page.getByRole('heading', { name: `Copy ${first.copies[0].id}` }).waitFor();
    assert.equal(await scrollsSideways(page), false, 'nor on a copy page');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('`blobferry copy --host` prints the dashboard URL of its copy, without the key, and the page shows that copy', async () => {
    const run = await cliInChild(['copy', azurite.blobSasUrl('source', 'many/0100.bin'), azurite.blobSasUrl('target', 'via-cli/0100.bin', undefined, 'racw'), '--host', host.url], { ...process.env, BLOBFERRY_FUNCTION_KEY: key });
    assert.equal(run.status, 0, run.stderr);
    const printed = new RegExp(`Follow it in the dashboard: (${host.url.replace(/[.]/g, '\\.')}/api/dashboard/#/copies/(copy-[\\w.:-]+))\\n`).exec(run.stderr);
    assert.ok(printed, run.stderr);
    assert.ok(!run.stderr.includes(key), 'the key is not printed');
    const { page, problems } = await openDashboard();
    await page.goto(printed[1]);
    await page.getByRole('heading', { name: `Copy ${printed[2]}` }).waitFor();
    await page.locator('.summary', { hasText: 'Completed' }).waitFor();
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('says when the host is away, and carries on by itself once it is back', async () => {
    const { page, problems } = await openDashboard();
    await page.locator('ol.copies > li').first().waitFor();
    const before = await cardIds(page);
    await stopHost();
    await page.getByText(/Lost contact with the blobferry host/).waitFor({ timeout: 30_000 });
    assert.deepEqual(await cardIds(page), before, 'what was last seen stays');
    host = await startHost();
    const id = await startCopy({ source: azurite.blobSasUrl('source', 'many/0200.bin'), destination: azurite.blobSasUrl('target', 'after-restart/0200.bin', undefined, 'racw') });
    await page.getByRole('heading', { name: id }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByText(/Lost contact/).count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
