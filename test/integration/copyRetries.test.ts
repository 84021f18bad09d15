/**
 * One retry model, through the fault-injecting proxy: failures are classed once where the
 * endpoint raises them (retryable, throttled, final); a request is tried --max-tries times; an
 * activity whose requests all failed for a reason that may pass is run again by the orchestration
 * after a durable timer; a final failure is reported at once, tried once; --request-timeout gives
 * up a try that hangs, so a copy does not wait minutes for a server that never answers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { SECOND_ACCOUNT } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import { startProxiedCopyFixture, type ProxiedCopyFixture } from '../support/copyFixture';
import type { ProxiedRequest } from '../support/storageProxy';

let fixture: ProxiedCopyFixture;
const MiB = 1024 * 1024;

before(async () => {
  // Activity retries wait 1 s, 2 s here (5 s, 10 s by default).
  process.env.BLOBFERRY_RETRY_WAIT = '1s';
  fixture = await startProxiedCopyFixture();
});
after(async () => {
  delete process.env.BLOBFERRY_RETRY_WAIT;
  await fixture.stop();
});

const srcUrl = (name: string) => fixture.azurite.blobSasUrl('source', name, 'devstoreaccount1', 'r');
const dstUrl = (name: string) => `${fixture.proxy.origin}/${SECOND_ACCOUNT}/target/${name}?${new URL(fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
const isCommit = (path: string) => (r: ProxiedRequest) => r.method === 'PUT' && r.query.get('comp') === 'blocklist' && r.path.includes(path);
const seen = (match: (r: ProxiedRequest) => boolean) => fixture.proxy.requests.filter(match).length;

describe('retries', () => {
  it('runs a commit again after its tries all failed with 500 (the orchestration\'s retry, a durable timer apart)', async () => {
    const body = randomBytes(3 * MiB);
    await fixture.source.getBlockBlobClient('retry/big.bin').uploadData(body);
    fixture.proxy.rules.push({ match: isCommit('retry/big.bin'), fault: { status: 500, code: 'InternalError' }, times: 2 });
    const view = await fixture.copies.copy({ source: srcUrl('retry/big.bin'), destination: dstUrl('retry/big.bin'), options: { strategy: 'block-copy', blockSizeMiB: 1, maxTries: 1 } });
    assert.equal(view.blobs.copied, 1, JSON.stringify(view));
    assert.equal(seen(isCommit('retry/big.bin')), 3, 'two failed commits, each in its own activity run, then one that went through');
    assert.equal(md5(await fixture.target.getBlobClient('retry/big.bin').downloadToBuffer()), md5(body));
  });

  it('waits out throttling (503 ServerBusy) the same way, and says THROTTLED when it does not pass', async () => {
    await fixture.source.getBlockBlobClient('retry/busy.bin').uploadData(randomBytes(2 * MiB));
    fixture.proxy.rules.push({ match: isCommit('retry/busy.bin'), fault: { status: 503, code: 'ServerBusy', message: 'The server is busy.' } });
    try {
      const view = await fixture.copies.copy({ source: srcUrl('retry/busy.bin'), destination: dstUrl('retry/busy.bin'), options: { strategy: 'block-copy', blockSizeMiB: 1, maxTries: 1 } });
      assert.equal(view.blobs.failed, 1, JSON.stringify(view));
      assert.equal(view.failures[0].code, 'THROTTLED');
      assert.equal(seen(isCommit('retry/busy.bin')), 3, 'one run and two retries, then reported');
    } finally {
      fixture.proxy.rules.length = 0;
    }
  });

  it('fails at once, tried once, when the service refuses for good (400)', async () => {
    await fixture.source.getBlockBlobClient('retry/refused.bin').uploadData(randomBytes(2 * MiB));
    fixture.proxy.rules.push({ match: isCommit('retry/refused.bin'), fault: { status: 400, code: 'InvalidHeaderValue', message: 'A header is wrong.' } });
    try {
      const view = await fixture.copies.copy({ source: srcUrl('retry/refused.bin'), destination: dstUrl('retry/refused.bin'), options: { strategy: 'block-copy', blockSizeMiB: 1 } });
      assert.equal(view.blobs.failed, 1);
      assert.equal(view.failures[0].code, 'STORAGE_REFUSED', JSON.stringify(view.failures));
      assert.equal(seen(isCommit('retry/refused.bin')), 1, 'not tried again');
    } finally {
      fixture.proxy.rules.length = 0;
    }
  });

  it('gives up a try that hangs after --request-timeout, and reports the source unreachable in seconds', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => undefined); // accepts, never answers
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const started = Date.now();
    try {
      const view = await fixture.copies.copy({ source: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/never.bin`, destination: dstUrl('retry/never.bin'), options: { requestTimeout: '1s', maxTries: 2 } });
      assert.equal(view.error?.code ?? view.failures[0]?.code, 'SOURCE_UNREACHABLE', JSON.stringify(view));
      assert.ok(Date.now() - started < 60_000, `reported after ${Date.now() - started} ms, not minutes`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('halves the requests in flight when the destination throttles, and raises them again when it is calm', async () => {
    const names = Array.from({ length: 400 }, (_, i) => `paced/f${i}.txt`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => fixture.source.getBlockBlobClient(n).upload('x'.repeat(64), 64)));
    // The first writes are answered 503 ServerBusy (each try is retried, and goes through in the end).
    const isWrite = (r: ProxiedRequest) => r.method === 'PUT' && r.path.includes('/target/paced/');
    fixture.proxy.rules.push({ match: isWrite, fault: { status: 503, code: 'ServerBusy', message: 'Operations per second is over the account limit.' }, times: 6 });
    const id = fixture.copies.start({ source: `${fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('?', '/paced/?')}`, destination: dstUrl('paced/'), options: { recursive: true, concurrency: 8 } });
    const seenPace: Array<{ limit: number; note?: string }> = [];
    let view = fixture.copies.view(id);
    while (!['Completed', 'Failed', 'Terminated'].includes(view.runtimeStatus)) {
      const pace = view.concurrency;
      if (pace && (seenPace.length === 0 || seenPace.at(-1)!.limit !== pace.limit)) seenPace.push({ limit: pace.limit, note: pace.note });
      await new Promise((resolve) => setTimeout(resolve, 10));
      view = fixture.copies.view(id);
    }
    fixture.proxy.rules.length = 0;
    assert.equal(view.blobs.copied, names.length, JSON.stringify(view));
    assert.ok(seenPace.some((p) => p.limit === 4 && /throttled by blobferrysecond: 8 → 4/.test(p.note ?? '')), `the status said it slowed down: ${JSON.stringify(seenPace)}`);
    const slowed = seenPace.findIndex((p) => p.limit === 4);
    assert.ok(view.concurrency === undefined || view.concurrency.limit === 8 || seenPace.slice(slowed + 1).some((p) => p.limit > 4), `and sped up again: ${JSON.stringify(seenPace)}, at the end ${JSON.stringify(view.concurrency)}`);
  });

  it('waits for fresh SAS tokens when the destination SAS expires mid-copy, then copies the rest', async () => {
    process.env.BLOBFERRY_CREDENTIALS_WAIT = '1s';
    process.env.BLOBFERRY_TRUSTED_ENDPOINTS = '127.0.0.1';
    // 80 blobs, 4 writes of 250 ms in flight (four batches of one at --concurrency 2): about 5 s, more than the SAS's 4.
    const names = Array.from({ length: 80 }, (_, i) => `expiring/f${i}.txt`);
    await Promise.all(names.map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    const key = fixture.azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!.key;
    const sas = (expiresOn: Date) => generateBlobSASQueryParameters({ containerName: 'target', permissions: ContainerSASPermissions.parse('racwdl'), expiresOn }, new StorageSharedKeyCredential(SECOND_ACCOUNT, key)).toString();
    const destination = (query: string) => `${fixture.proxy.origin}/${SECOND_ACCOUNT}/target/expiring/?${query}`;
    // Slow writes: the copy outlasts its SAS.
    fixture.proxy.rules.push({ match: (r) => r.method === 'PUT' && r.path.includes('/target/expiring/'), delayMs: 250 });
    try {
      const id = fixture.copies.start({ source: fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('?', '/expiring/?'), destination: destination(sas(new Date(Date.now() + 4000))), options: { recursive: true, concurrency: 2 } });
      let view = fixture.copies.view(id);
      while (view.phase !== 'waiting-for-credentials') {
        assert.ok(!['Completed', 'Failed'].includes(view.runtimeStatus), `it ended instead of waiting: ${JSON.stringify(view)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        view = fixture.copies.view(id);
      }
      const copiedBefore = view.blobs.copied;
      assert.ok(copiedBefore < names.length, 'some were copied before the SAS expired, not all');
      const given = await fetch(`${fixture.copies.host.url}/api/copies/${id}/credentials`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ destination: destination(sas(new Date(Date.now() + 3600_000))) }) });
      assert.equal(given.status, 200, await given.text());
      view = await fixture.copies.finish(id);
      assert.deepEqual(view.blobs, { total: names.length, copied: names.length, skipped: 0, failed: 0 }, JSON.stringify(view));
      for (const n of names) assert.equal((await fixture.target.getBlobClient(n).downloadToBuffer()).toString(), n);
    } finally {
      fixture.proxy.rules.length = 0;
      delete process.env.BLOBFERRY_CREDENTIALS_WAIT;
      delete process.env.BLOBFERRY_TRUSTED_ENDPOINTS;
    }
  });
});

describe('an RA-GRS source whose primary fails', () => {
  // Azurite serves <account>-secondary path-style; the proxy fails the primary's reads.
  const primaryRead = (prefix: string) => (r: ProxiedRequest) => (r.method === 'GET' || r.method === 'HEAD') && r.path.startsWith('/devstoreaccount1/source') && (r.path.includes(prefix) || r.query.get('prefix')?.startsWith(prefix) === true);
  const secondaryRead = (prefix: string) => (r: ProxiedRequest) => (r.method === 'GET' || r.method === 'HEAD') && r.path.startsWith('/devstoreaccount1-secondary/source') && (r.path.includes(prefix) || r.query.get('prefix')?.startsWith(prefix) === true);
  const viaProxy = (prefix: string) => fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace(fixture.azurite.blobEndpoint(), `${fixture.proxy.origin}/devstoreaccount1`).replace('?', `/${prefix}?`);
  const upload = async (prefix: string) => {
    const names = Array.from({ length: 12 }, (_, i) => `${prefix}f${i}.txt`);
    await Promise.all(names.map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    return names;
  };
  after(() => void (fixture.proxy.rules.length = 0));

  it('reads the secondary once the primary failed three reads in a row, and copies every blob', async () => {
    const names = await upload('failover/');
    fixture.proxy.rules.push({ match: primaryRead('failover/'), fault: { status: 500, code: 'InternalError' } });
    // Relay: blobferry reads the secondary itself (Azurite does not serve Copy Blob From URL from one).
    const view = await fixture.copies.copy({ source: viaProxy('failover/'), destination: dstUrl('failover/'), options: { recursive: true, maxTries: 1, strategy: 'relay' } });
    fixture.proxy.rules.length = 0;
    assert.equal(view.blobs.copied, names.length, JSON.stringify(view));
    assert.ok((view.secondaryReads ?? 0) >= names.length, `the status counts the secondary's reads: ${view.secondaryReads}`);
    assert.ok(seen(secondaryRead('failover/')) > 0);
    for (const n of names) assert.equal((await fixture.target.getBlobClient(n).downloadToBuffer()).toString(), n);
  });

  it('never uses a secondary that lags (it refuses the version copied): the primary serves those reads', async () => {
    const names = await upload('lagging/');
    // --source-secondary prefer sends pinned reads to the secondary first; it answers 412 (not there yet).
    fixture.proxy.rules.push({ match: (r) => secondaryRead('lagging/')(r) && r.headers['if-match'] !== undefined, fault: { status: 412, code: 'ConditionNotMet' } });
    const view = await fixture.copies.copy({ source: viaProxy('lagging/'), destination: dstUrl('lagging/'), options: { recursive: true, sourceSecondary: 'prefer', strategy: 'relay' } });
    fixture.proxy.rules.length = 0;
    assert.equal(view.blobs.copied, names.length, JSON.stringify(view));
    assert.equal(view.secondaryReads ?? 0, 0, 'no read was served by the lagging secondary');
    assert.ok(seen((r) => secondaryRead('lagging/')(r) && r.headers['if-match'] !== undefined) > 0, 'the secondary was asked, and refused');
  });

  it('with --source-secondary never, a failing primary fails the copy', async () => {
    await upload('nofailover/');
    fixture.proxy.rules.push({ match: primaryRead('nofailover/'), fault: { status: 500, code: 'InternalError' } });
    const view = await fixture.copies.copy({ source: viaProxy('nofailover/'), destination: dstUrl('nofailover/'), options: { recursive: true, maxTries: 1, sourceSecondary: 'never' } });
    fixture.proxy.rules.length = 0;
    const copiedAll = view.runtimeStatus === 'Completed' && view.blobs.failed === 0 && !view.error;
    assert.equal(copiedAll, false, `it should have failed: ${JSON.stringify(view)}`);
    assert.equal(seen(secondaryRead('nofailover/')), 0);
  });
});
