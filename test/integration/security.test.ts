/**
 * The attacks of the security review, replayed through the real HTTP API and Durable webhook of
 * a local host (loopback only): request forgery to loopback services in every spelling, a
 * redirect to one, the app's working storage, the app's own key lent to a caller, a sealed SAS
 * reused by a hand-made orchestration, oversized input. The CLI's user may do what remote
 * callers may not. Each case also checks that nothing was fetched or written.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { LocalHost } from '../../src/local/host';
import { silentLogger } from '../../src/local/logger';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { startCopyHost, PRODUCT_ENTRY, type CopyHost } from '../support/copyHost';
import { startFileServer, type FileServer } from '../support/httpFileServer';
import { makeTestAppDir } from '../support/localHost';
import { makeTempDir, removeDir } from '../support/temp';

let azurite: TestAzurite;
let copies: CopyHost;
let secret: FileServer;
let landing: ContainerClient;
const SECRET = Buffer.from('loopback-only: the internal service answer');
const saved = { ...process.env };

before(async () => {
  azurite = await startTestAzurite();
  // As on a developer's machine: Azurite is the app's storage (trusted, its working containers not).
  process.env.AzureWebJobsStorage = azurite.connectionString();
  process.env[`BLOBFERRY_ACCOUNT_KEY_${SECOND_ACCOUNT.toUpperCase()}`] = azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!.key;
  secret = await startFileServer();
  secret.put('/secret', SECRET);
  copies = await startCopyHost();
  landing = azurite.blobService().getContainerClient('landing');
  const vault = azurite.blobService(SECOND_ACCOUNT).getContainerClient('vault');
  const results = azurite.blobService().getContainerClient('copy-results');
  await Promise.all([landing.create(), vault.create(), results.create(), azurite.blobService().getContainerClient('azure-webjobs-secrets').create()]);
  await Promise.all([
    vault.getBlockBlobClient('shared/report.txt').upload('shared', 6),
    vault.getBlockBlobClient('private/salaries.txt').upload('private', 7),
    vault.getBlockBlobClient('private/other.txt').upload('other!', 6),
    results.getBlockBlobClient('mig-7.json').upload('{}', 2),
  ]);
});
after(async () => {
  await copies.stop();
  await secret.close();
  await azurite.cleanup();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

const blob = (container: string, name: string, account?: string) => `${azurite.blobEndpoint(account)}/${container}/${name}`;

async function post(body: unknown, route = '/api/copies'): Promise<{ status: number; body: { code?: string; message?: string; id?: string; details?: { errors?: Array<{ field: string }> } } }> {
  const res = await fetch(`${copies.host.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as never };
}

async function landed(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of landing.listBlobsFlat({ prefix })) names.push(b.name);
  return names;
}

describe('request forgery', () => {
  it('refuses a source on another loopback port through the API, and copies it for the CLI\'s user', async () => {
    const source = `${secret.origin}/secret`;
    const refused = await post({ source, destination: blob('landing', 'ssrf/secret.txt') });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'SOURCE_NOT_ALLOWED');
    assert.match(refused.body.message ?? '', /BLOBFERRY_TRUSTED_ENDPOINTS/);
    assert.equal(secret.requests.length, 0, 'the loopback service was never asked');
    assert.deepEqual(await landed('ssrf/'), []);

    const asUser = await copies.copy({ source, destination: blob('landing', 'cli/secret.txt') });
    assert.equal(asUser.blobs.copied, 1, JSON.stringify(asUser));
    assert.ok(secret.requests.length > 0);
    secret.requests.length = 0;
  });

  it('refuses loopback, link-local and private addresses in every spelling', async () => {
    const port = new URL(secret.origin).port;
    const spellings = [
      `http://2130706433:${port}/secret`,
      `http://0177.0.0.1:${port}/secret`,
      `http://0x7f000001:${port}/secret`,
      `http://[::ffff:127.0.0.1]:${port}/secret`,
      `http://[::1]:${port}/secret`,
      `http://localhost:${port}/secret`,
      `http://localhost.:${port}/secret`,
      `http://127.1:${port}/secret`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://10.0.0.1/internal',
    ];
    for (const source of spellings) {
      const refused = await post({ source, destination: blob('landing', 'forms/x') });
      assert.equal(refused.status, 403, source);
      assert.equal(refused.body.code, 'SOURCE_NOT_ALLOWED', source);
    }
    assert.equal(secret.requests.length, 0);
    assert.deepEqual(await landed('forms/'), []);
  });

  it('follows a trusted endpoint\'s redirect only where a remote caller may go: not to loopback', async () => {
    const redirector = http.createServer((_req, res) => res.writeHead(302, { location: `${secret.origin}/secret` }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const port = (redirector.address() as AddressInfo).port;
    process.env.BLOBFERRY_TRUSTED_ENDPOINTS = `127.0.0.1:${port}`;
    try {
      const started = await post({ source: `http://127.0.0.1:${port}/report.txt`, destination: blob('landing', 'redirect/x') });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const view = await copies.finish(started.body.id!);
      assert.match(JSON.stringify(view), /SOURCE_NOT_ALLOWED/);
      assert.equal(secret.requests.length, 0, 'the redirect target was never asked');
      assert.deepEqual(await landed('redirect/'), []);
    } finally {
      delete process.env.BLOBFERRY_TRUSTED_ENDPOINTS;
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });
});

describe('the app\'s identity and storage', () => {
  it('never reads or writes the app\'s working storage for a remote caller, even with a SAS', async () => {
    const cases: Array<[string, string, string]> = [
      [blob('copy-results', 'mig-7.json'), blob('landing', 'steal/mig-7.json'), 'SOURCE_NOT_ALLOWED'],
      [azurite.blobSasUrl('copy-results', 'mig-7.json'), blob('landing', 'steal/mig-7-sas.json'), 'SOURCE_NOT_ALLOWED'],
      [blob('landing', 'any.txt'), blob('azure-webjobs-secrets', 'host.json'), 'DESTINATION_NOT_ALLOWED'],
      [blob('landing', 'any.txt'), azurite.containerSasUrl('azure-webjobs-secrets').replace('?', '/host.json?'), 'DESTINATION_NOT_ALLOWED'],
    ];
    for (const [source, destination, code] of cases) {
      const refused = await post({ source, destination });
      assert.equal(refused.status, 403, `${source} -> ${destination}`);
      assert.equal(refused.body.code, code);
      assert.doesNotMatch(refused.body.message ?? '', /sig=[^R]/, 'no SAS in the message');
    }
    assert.deepEqual(await landed('steal/'), []);
  });

  it('lends the app\'s key for another account only where the access policy allows: that container and prefix, that role', async () => {
    const shared = blob('vault', 'shared/report.txt', SECOND_ACCOUNT);
    const refused = await post({ source: shared, destination: blob('landing', 'policy/report.txt') });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'SOURCE_NOT_ALLOWED');
    assert.match(refused.body.message ?? '', /BLOBFERRY_ACCESS_POLICY/);

    process.env.BLOBFERRY_ACCESS_POLICY = JSON.stringify([{ read: `${azurite.blobEndpoint(SECOND_ACCOUNT)}/vault/shared/` }]);
    try {
      const allowed = await post({ source: shared, destination: blob('landing', 'policy/report.txt') });
      assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
      assert.equal((await copies.finish(allowed.body.id!)).blobs.copied, 1);
      const outside = await post({ source: blob('vault', 'private/salaries.txt', SECOND_ACCOUNT), destination: blob('landing', 'policy/salaries.txt') });
      assert.equal(outside.body.code, 'SOURCE_NOT_ALLOWED', 'another prefix of the same container');
      const asDestination = await post({ source: blob('landing', 'policy/report.txt'), destination: blob('vault', 'shared/overwritten.txt', SECOND_ACCOUNT) });
      assert.equal(asDestination.body.code, 'DESTINATION_NOT_ALLOWED', 'read is not write');
    } finally {
      delete process.env.BLOBFERRY_ACCESS_POLICY;
    }
    assert.deepEqual(await landed('policy/'), ['policy/report.txt']);
  });
});

describe('local paths', () => {
  it('serves a remote caller only the directories BLOBFERRY_LOCAL_ROOTS names, and nothing through a link out of them', async () => {
    const base = makeTempDir('blobferry-served-');
    const served = path.join(base, 'served');
    fs.mkdirSync(path.join(served, 'exports'), { recursive: true });
    fs.mkdirSync(path.join(base, 'private'));
    fs.writeFileSync(path.join(served, 'exports', 'report.csv'), 'a,b\n');
    fs.writeFileSync(path.join(base, 'private', 'key.pem'), 'secret');
    fs.symlinkSync(path.join(base, 'private'), path.join(served, 'link-out'));
    try {
      const up = { source: path.join(served, 'exports'), destination: blob('landing', 'served/'), options: { recursive: true } };
      assert.equal((await post(up)).body.code, 'LOCAL_PATH_NOT_ALLOWED', 'no roots: no local path');
      process.env.BLOBFERRY_LOCAL_ROOTS = served;
      const allowed = await post(up);
      assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
      assert.equal((await copies.finish(allowed.body.id!)).blobs.copied, 1);
      for (const source of [path.join(served, '..', 'private', 'key.pem'), path.join(served, 'link-out', 'key.pem'), path.join(base, 'private'), `file://${path.join(served, 'link-out')}`]) {
        const refused = await post({ source, destination: blob('landing', 'served/stolen.pem') });
        assert.equal(refused.status, 403, source);
        assert.equal(refused.body.code, 'LOCAL_PATH_NOT_ALLOWED', source);
      }
      const down = await post({ source: blob('landing', 'served/report.csv'), destination: `${path.join(served, 'imports')}/` });
      assert.equal(down.status, 202, JSON.stringify(down.body));
      assert.equal((await copies.finish(down.body.id!)).blobs.copied, 1);
      assert.equal(fs.readFileSync(path.join(served, 'imports', 'report.csv'), 'utf8'), 'a,b\n');
      const outward = await post({ source: blob('landing', 'served/report.csv'), destination: `${path.join(served, 'link-out')}/` });
      assert.equal(outward.body.code, 'LOCAL_PATH_NOT_ALLOWED', 'a download through a link out of the root');
      assert.deepEqual(fs.readdirSync(path.join(base, 'private')), ['key.pem'], 'nothing written outside');
    } finally {
      delete process.env.BLOBFERRY_LOCAL_ROOTS;
      removeDir(base);
    }
    assert.deepEqual(await landed('served/'), ['served/report.csv']);
  });
});

describe('sealed secrets bound to their copy', () => {
  const webhook = () => `${copies.host.url}/runtime/webhooks/durabletask`;
  let victimInput: Record<string, unknown>;

  before(async () => {
    // A caller copies a private blob with their own read SAS; its input (sealed) is visible to whoever can read instances.
    const started = await post({ source: azurite.blobSasUrl('vault', 'private/salaries.txt', SECOND_ACCOUNT, 'r'), destination: blob('landing', 'victim/salaries.txt') });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await copies.finish(started.body.id!)).blobs.copied, 1);
    const status = (await (await fetch(`${webhook()}/instances/${started.body.id}?showInput=true`)).json()) as { input: Record<string, unknown> };
    victimInput = status.input;
    assert.doesNotMatch(JSON.stringify(victimInput), /sig=/, 'the input holds no SAS in the clear');
  });

  async function startForged(input: unknown): Promise<string> {
    const res = await fetch(`${webhook()}/orchestrators/transfer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
    assert.equal(res.status, 202);
    return ((await res.json()) as { id: string }).id;
  }

  const source = () => victimInput.source as Record<string, unknown>;
  const forgeries: Array<[string, () => unknown]> = [
    ['the victim\'s source SAS, into the attacker\'s destination path', () => ({ ...victimInput, destination: { ...(victimInput.destination as object), path: 'attacker/loot.txt' } })],
    ['the victim\'s source SAS, for another blob it can read', () => ({ ...victimInput, source: { ...source(), path: 'private/other.txt' }, destination: { ...(victimInput.destination as object), path: 'attacker/other.txt' } })],
    ['the victim\'s grant, with a move instead of a copy', () => ({ ...victimInput, options: { ...(victimInput.options as object), deleteSource: true } })],
    ['a hand-made input with no grant', () => ({ ...victimInput, grant: undefined, destination: { ...(victimInput.destination as object), path: 'attacker/nogrant.txt' } })],
  ];
  for (const [label, forge] of forgeries) {
    it(`refuses ${label}: SEAL_MISMATCH, nothing read or written`, async () => {
      const id = await startForged(forge());
      const status = await copies.host.engine.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.match(JSON.stringify(status), /SEAL_MISMATCH/, JSON.stringify(status));
      assert.deepEqual(await landed('attacker/'), []);
    });
  }
  it('writes a hand-made job\'s summary only where settings say, under a checked name', async () => {
    const secrets = azurite.blobService().getContainerClient('azure-webjobs-secrets');
    for (const jobId of ['forged-job', '../azure-webjobs-secrets/host']) {
      const res = await fetch(`${webhook()}/orchestrators/copyJob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobId, resultsContainer: 'azure-webjobs-secrets', transfers: [] }) });
      assert.equal(res.status, 202);
      await copies.host.engine.waitForCompletion(((await res.json()) as { id: string }).id, { timeoutMs: 60_000 });
    }
    const inSecrets: string[] = [];
    for await (const b of secrets.listBlobsFlat()) inSecrets.push(b.name);
    assert.deepEqual(inSecrets, [], 'nothing written among the function keys');
    assert.ok(await azurite.blobService().getContainerClient('copy-results').getBlobClient('forged-job.json').exists(), 'a well-named summary goes to the results container');
  });

  it('kept the victim\'s source (the forged move deleted nothing)', async () => {
    assert.ok(await azurite.blobService(SECOND_ACCOUNT).getContainerClient('vault').getBlobClient('private/salaries.txt').exists());
  });
});

describe('bounded input', () => {
  it('answers 413 for a body over the limit, and for a 10 MB URL', async () => {
    const big = await post(JSON.stringify({ source: blob('landing', 'a'), destination: blob('landing', 'b'), options: { include: ['x'.repeat(300 * 1024)] } }));
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'PAYLOAD_TOO_LARGE');
    const hugeUrl = await post({ source: `https://example.com/${'a'.repeat(10 * 1024 * 1024)}`, destination: blob('landing', 'b') });
    assert.equal(hugeUrl.status, 413);
  });
  it('names the field for a long URL, too many patterns, a pattern too long or too wild', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ source: `https://example.com/${'a'.repeat(9000)}`, destination: blob('landing', 'b') }, 'source'],
      [{ source: blob('landing', 'p/'), destination: blob('landing', 'q/'), options: { recursive: true, include: Array.from({ length: 65 }, (_, i) => `*.${i}`) } }, 'options.include'],
      [{ source: blob('landing', 'p/'), destination: blob('landing', 'q/'), options: { recursive: true, exclude: ['x'.repeat(513)] } }, 'options.exclude.0'],
      [{ source: blob('landing', 'p/'), destination: blob('landing', 'q/'), options: { recursive: true, include: ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'] } }, 'options.include.0'],
    ];
    for (const [request, field] of cases) {
      const refused = await post(request);
      assert.equal(refused.status, 400, field);
      assert.equal(refused.body.code, 'BAD_REQUEST');
      assert.ok(refused.body.details?.errors?.some((e) => e.field === field), `${field}: ${JSON.stringify(refused.body.details)}`);
    }
  });
  it('answers 413 on the Durable webhooks for a body over the host\'s limit', async () => {
    const res = await fetch(`${copies.host.url}/runtime/webhooks/durabletask/orchestrators/transfer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(17 * 1024 * 1024) }) });
    assert.equal(res.status, 413);
  });
});

describe('a host on the network', () => {
  it('refuses to serve a non-loopback address without a function key, before it listens', async () => {
    const app = makeTestAppDir();
    const key = process.env.BLOBFERRY_FUNCTION_KEY;
    delete process.env.BLOBFERRY_FUNCTION_KEY;
    try {
      await assert.rejects(LocalHost.start({ appDir: app.dir, stateDir: path.join(app.dir, 'state'), port: 0, listenHost: '0.0.0.0', entryPoints: [PRODUCT_ENTRY], logger: silentLogger }), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message ?? '', /--allow-anonymous/);
        return true;
      });
    } finally {
      if (key !== undefined) process.env.BLOBFERRY_FUNCTION_KEY = key;
      app.cleanup();
    }
  });
});

describe('bad input through the API: a stable code, no secret echoed, nothing written', () => {
  const src = () => blob('landing', 'in/a.txt');
  const dst = (name = 'out/a.txt') => blob('landing', name);
  const sas = 'sv=2024-01-01&sp=r&sig=TOPSECRETSIG';
  // [label, body (a string is sent as is), status, code]
  const table: Array<[string, () => unknown, number, string]> = [
    ['an empty body', () => '', 400, 'INVALID_JSON'],
    ['not JSON', () => '{source:', 400, 'INVALID_JSON'],
    ['JSON null', () => 'null', 400, 'BAD_REQUEST'],
    ['a JSON array', () => '[]', 400, 'BAD_REQUEST'],
    ['a JSON string', () => '"copy please"', 400, 'BAD_REQUEST'],
    ['a number', () => '42', 400, 'BAD_REQUEST'],
    ['no source', () => ({ destination: dst() }), 400, 'BAD_REQUEST'],
    ['no destination', () => ({ source: src() }), 400, 'BAD_REQUEST'],
    ['an empty source', () => ({ source: '', destination: dst() }), 400, 'BAD_REQUEST'],
    ['a source that is a number', () => ({ source: 7, destination: dst() }), 400, 'BAD_REQUEST'],
    ['a source that is an object', () => ({ source: { url: src() }, destination: dst() }), 400, 'BAD_REQUEST'],
    ['an unknown top-level field', () => ({ source: src(), destination: dst(), priority: 'high' }), 400, 'BAD_REQUEST'],
    ['a prototype-polluting field', () => '{"source":"x","destination":"y","__proto__":{"admin":true}}', 400, 'BAD_REQUEST'],
    ['an id with a slash', () => ({ id: 'a/b', source: src(), destination: dst() }), 400, 'BAD_REQUEST'],
    ['an id with spaces', () => ({ id: 'my copy', source: src(), destination: dst() }), 400, 'BAD_REQUEST'],
    ['an id of 101 characters', () => ({ id: 'a'.repeat(101), source: src(), destination: dst() }), 400, 'BAD_REQUEST'],
    ['an id starting with a dot', () => ({ id: '.hidden', source: src(), destination: dst() }), 400, 'BAD_REQUEST'],
    // Text that is no URL is a local path: never read for a remote caller, whether it exists or not.
    ['a source that is not a URL', () => ({ source: 'just words', destination: dst() }), 403, 'LOCAL_PATH_NOT_ALLOWED'],
    ['a relative path', () => ({ source: '../../etc/passwd', destination: dst() }), 403, 'LOCAL_PATH_NOT_ALLOWED'],
    ['a file URL', () => ({ source: 'file:///etc/passwd', destination: dst() }), 403, 'LOCAL_PATH_NOT_ALLOWED'],
    ['a local destination', () => ({ source: src(), destination: '/tmp/out' }), 403, 'LOCAL_PATH_NOT_ALLOWED'],
    ['an ftp URL', () => ({ source: 'ftp://example.com/a', destination: dst() }), 400, 'UNSUPPORTED_URL'],
    ['a javascript: URL', () => ({ source: 'javascript:alert(1)', destination: dst() }), 400, 'UNSUPPORTED_URL'],
    ['a data: URL', () => ({ source: 'data:text/plain,hello', destination: dst() }), 400, 'UNSUPPORTED_URL'],
    ['a gopher URL', () => ({ source: 'gopher://127.0.0.1:6379/_FLUSHALL', destination: dst() }), 400, 'UNSUPPORTED_URL'],
    ['user info in the source', () => ({ source: `https://user:pass@example.com/a`, destination: dst() }), 400, 'UNSUPPORTED_URL'],
    ['user info in the destination', () => ({ source: src(), destination: 'https://user:pass@acct.blob.core.windows.net/c/a' }), 400, 'UNSUPPORTED_URL'],
    ['a fragment in the source', () => ({ source: `${src()}#frag`, destination: dst() }), 400, 'INVALID_URL'],
    ['a broken percent-encoding', () => ({ source: 'https://acct.blob.core.windows.net/cont/%zz', destination: dst() }), 400, 'INVALID_URL'],
    ['a source path climbing out of its container (%2F..%2F)', () => ({ source: `${blob('landing', 'a')}%2F..%2F..%2Fazure-webjobs-secrets%2Fhost.json`, destination: dst() }), 400, 'INVALID_URL'],
    ['a destination path climbing out of its container', () => ({ source: src(), destination: `${blob('landing', 'out')}/..%2F..%2Fazure-webjobs-secrets%2Fx` }), 400, 'INVALID_URL'],
    ['a destination on a web server', () => ({ source: src(), destination: 'https://example.com/upload' }), 400, 'UNSUPPORTED_URL'],
    ['an S3 destination', () => ({ source: src(), destination: 's3://bucket/key' }), 400, 'UNSUPPORTED_URL'],
    ['an S3 bucket with capitals', () => ({ source: 's3://Bad_Bucket/key', destination: dst() }), 400, 'INVALID_URL'],
    ['an S3 URL without a bucket', () => ({ source: 's3://', destination: dst() }), 400, 'INVALID_URL'],
    ['an S3 bucket shaped like an address', () => ({ source: 's3://192.168.1.1/key', destination: dst() }), 400, 'INVALID_URL'],
    ['a destination with no container', () => ({ source: src(), destination: 'https://acct.blob.core.windows.net/' }), 400, 'INVALID_URL'],
    ['a container name with capitals', () => ({ source: src(), destination: 'https://acct.blob.core.windows.net/Container/a' }), 400, 'INVALID_URL'],
    ['a container name with a double hyphen', () => ({ source: src(), destination: 'https://acct.blob.core.windows.net/a--b/a' }), 400, 'INVALID_URL'],
    ['a blob name over 1,024 characters', () => ({ source: src(), destination: dst('x'.repeat(1025)) }), 400, 'INVALID_URL'],
    ['a query without a SAS signature', () => ({ source: src(), destination: `${dst()}?foo=bar` }), 400, 'UNSUPPORTED_URL'],
    ['a write to a secondary', () => ({ source: src(), destination: `https://acct-secondary.blob.core.windows.net/c/a?${sas}` }), 400, 'UNSUPPORTED_URL'],
    ['a copy onto itself', () => ({ source: src(), destination: src() }), 400, 'SAME_SOURCE_DESTINATION'],
    ['overwrite sometimes', () => ({ source: src(), destination: dst(), options: { overwrite: 'sometimes' } }), 400, 'BAD_REQUEST'],
    ['strategy teleport', () => ({ source: src(), destination: dst(), options: { strategy: 'teleport' } }), 400, 'BAD_REQUEST'],
    ['concurrency 0', () => ({ source: src(), destination: dst(), options: { concurrency: 0 } }), 400, 'BAD_REQUEST'],
    ['concurrency 257', () => ({ source: src(), destination: dst(), options: { concurrency: 257 } }), 400, 'BAD_REQUEST'],
    ['concurrency 1.5', () => ({ source: src(), destination: dst(), options: { concurrency: 1.5 } }), 400, 'BAD_REQUEST'],
    ['concurrency as text', () => ({ source: src(), destination: dst(), options: { concurrency: '16' } }), 400, 'BAD_REQUEST'],
    ['a negative block size', () => ({ source: src(), destination: dst(), options: { blockSizeMiB: -1 } }), 400, 'BAD_REQUEST'],
    ['a block size over 4,000 MiB', () => ({ source: src(), destination: dst(), options: { blockSizeMiB: 4001 } }), 400, 'BLOCK_SIZE_TOO_LARGE'],
    ['a block size under 1 KiB', () => ({ source: src(), destination: dst(), options: { blockSizeMiB: 0.0001 } }), 400, 'BAD_REQUEST'],
    ['a timeout of zero', () => ({ source: src(), destination: dst(), options: { timeout: 0 } }), 400, 'BAD_REQUEST'],
    ['a negative timeout', () => ({ source: src(), destination: dst(), options: { timeout: '-1h' } }), 400, 'BAD_REQUEST'],
    ['a timeout in words', () => ({ source: src(), destination: dst(), options: { timeout: 'soon' } }), 400, 'BAD_REQUEST'],
    ['a boolean timeout', () => ({ source: src(), destination: dst(), options: { timeout: true } }), 400, 'BAD_REQUEST'],
    ['recursive as text', () => ({ source: src(), destination: dst(), options: { recursive: 'yes' } }), 400, 'BAD_REQUEST'],
    ['include as a string', () => ({ source: src(), destination: dst(), options: { recursive: true, include: '*.csv' } }), 400, 'BAD_REQUEST'],
    ['an empty pattern', () => ({ source: src(), destination: dst(), options: { recursive: true, include: [''] } }), 400, 'BAD_REQUEST'],
    ['a pattern that is a number', () => ({ source: src(), destination: dst(), options: { recursive: true, exclude: [5] } }), 400, 'BAD_REQUEST'],
    ['include without recursive', () => ({ source: src(), destination: dst(), options: { include: ['*.csv'] } }), 400, 'CONFLICTING_OPTIONS'],
    ['a lease on a prefix', () => ({ source: src(), destination: dst(), options: { recursive: true, leaseSource: true } }), 400, 'CONFLICTING_OPTIONS'],
    ['blob type PageBlob', () => ({ source: src(), destination: dst(), options: { blobType: 'PageBlob' } }), 400, 'BAD_REQUEST'],
    ['on pending copy sometimes', () => ({ source: src(), destination: dst(), options: { onPendingCopy: 'sometimes' } }), 400, 'BAD_REQUEST'],
    ['verify sha1', () => ({ source: src(), destination: dst(), options: { verify: 'sha1' } }), 400, 'BAD_REQUEST'],
    ['invalid metadata ignore', () => ({ source: src(), destination: dst(), options: { invalidMetadata: 'ignore' } }), 400, 'BAD_REQUEST'],
    ['invalid names skip', () => ({ source: src(), destination: dst(), options: { invalidNames: 'skip' } }), 400, 'BAD_REQUEST'],
    ['delete source as text', () => ({ source: src(), destination: dst(), options: { deleteSource: 'true' } }), 400, 'BAD_REQUEST'],
    ['an unknown option', () => ({ source: src(), destination: dst(), options: { speed: 'max' } }), 400, 'BAD_REQUEST'],
    ['options as a list', () => ({ source: src(), destination: dst(), options: [] }), 400, 'BAD_REQUEST'],
    ['a loopback web server', () => ({ source: 'http://127.0.0.1:1/internal/a', destination: dst() }), 403, 'SOURCE_NOT_ALLOWED'],
    ['a web server on a private network', () => ({ source: 'https://192.168.0.10/a', destination: dst() }), 403, 'SOURCE_NOT_ALLOWED'],
    ['the metadata endpoint by name', () => ({ source: 'http://metadata.azure.internal/metadata/identity/oauth2/token', destination: dst() }), 403, 'SOURCE_NOT_ALLOWED'],
    ['an Azure account the app has no policy for', () => ({ source: 'https://someoneelse.blob.core.windows.net/data/a', destination: dst() }), 403, 'SOURCE_NOT_ALLOWED'],
    ['a destination the app would write with its identity', () => ({ source: src(), destination: 'https://someoneelse.blob.core.windows.net/data/a' }), 403, 'DESTINATION_NOT_ALLOWED'],
    ['s3:// with the app\'s AWS credentials', () => ({ source: 's3://company-data/x', destination: dst() }), 403, 'SOURCE_NOT_ALLOWED'],
  ];
  for (const [label, body, status, code] of table) {
    it(`${label}: ${status} ${code}`, async () => {
      const answer = await post(typeof body() === 'string' ? (body() as string) : body());
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.code, code, answer.body.message);
      assert.ok((answer.body.message ?? '').length > 15, 'a message a person can act on');
      assert.doesNotMatch(JSON.stringify(answer.body), /TOPSECRETSIG|pass@/);
    });
  }
  it('wrote nothing for any of them', async () => assert.deepEqual(await landed('out/'), []));
});
