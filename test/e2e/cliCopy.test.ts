/**
 * `blobferry copy` as a user runs it: one JSON object with --json, exit codes 0 / 1 / 2, and a
 * copy killed with SIGKILL that resumes when the same command runs again, without staging the
 * blocks it had already staged.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import { CLI, copyInChild, killMidCopy } from '../support/cli';
import { startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

const MiB = 1024 * 1024;
let azurite: TestAzurite;
let proxy: StorageProxy;
let source: ContainerClient;
let target: ContainerClient;
let stateDir: string;

before(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageProxy(azurite.blobPort);
  source = azurite.blobService().getContainerClient('source');
  target = azurite.blobService(SECOND_ACCOUNT).getContainerClient('target');
  await Promise.all([source.create(), target.create()]);
  stateDir = makeTempDir('blobferry-cli-state-');
});
after(async () => {
  await proxy.close();
  await azurite.cleanup();
  removeDir(stateDir);
});

const env = () => ({ ...process.env, BLOBFERRY_STATE_DIR: stateDir, BLOBFERRY_SEAL_KEY: '' });
const srcUrl = (name: string) => azurite.blobSasUrl('source', name, 'devstoreaccount1', 'r');
const dstUrl = (name: string, origin = azurite.blobEndpoint(SECOND_ACCOUNT).replace(`/${SECOND_ACCOUNT}`, '')) =>
  `${origin}/${SECOND_ACCOUNT}/target/${name}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;

/** A SAS for the target container (all permissions) that expires at `expiresOn`. */
function sasFor(expiresOn: Date): string {
  const key = azurite.accounts.find((a) => a.name === SECOND_ACCOUNT)!.key;
  return generateBlobSASQueryParameters({ containerName: 'target', permissions: ContainerSASPermissions.parse('racwdl'), expiresOn }, new StorageSharedKeyCredential(SECOND_ACCOUNT, key)).toString();
}

const copy = (...args: string[]) => spawnSync(process.execPath, [CLI, 'copy', ...args], { env: env(), encoding: 'utf8', timeout: 120_000 });

describe('blobferry copy', () => {
  it('prints one JSON object and exits 0 when everything is copied', async () => {
    await source.getBlockBlobClient('cli/one.txt').upload('one', 3);
    const run = copy(srcUrl('cli/one.txt'), dstUrl('cli/one.txt'), '--json');
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(report).slice(0, 2), ['instanceId', 'runtimeStatus']);
    assert.equal(report.runtimeStatus, 'Completed');
    assert.deepEqual(report.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });
    assert.deepEqual(report.bytes, { total: 3, copied: 3 });
    assert.deepEqual(report.failures, []);
    assert.equal(report.strategy, 'sync-copy', 'the strategy the table chose...');
    assert.match(report.strategyReason, /another account/, '...and why');
    assert.equal(run.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    assert.doesNotMatch(run.stdout + run.stderr, /sig=/, 'no SAS in the output');
    const again = copy(srcUrl('cli/one.txt'), dstUrl('cli/one.txt'), '--json');
    assert.equal(again.status, 0, 'skipped by the policy is success');
    assert.deepEqual(JSON.parse(again.stdout).blobs, { total: 1, copied: 0, skipped: 1, failed: 0 });
  });

  it('exits 1 and lists the failures when some blobs fail', async () => {
    await source.getBlockBlobClient('mixed/ok.txt').upload('ok', 2);
    await source.getBlockBlobClient('mixed/cold.txt').upload('archived', 8);
    await source.getBlobClient('mixed/cold.txt').setAccessTier('Archive');
    const sourcePrefix = azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('/source?', '/source/mixed/?');
    const run = copy(sourcePrefix, dstUrl('mixed/'), '--recursive', '--json');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.blobs, { total: 2, copied: 1, skipped: 0, failed: 1 });
    assert.deepEqual(report.strategies, { 'sync-copy': 1 });
    assert.equal(report.failures.length, 1);
    const failure = report.failures[0];
    assert.match(failure.source, /mixed\/cold\.txt$/);
    assert.match(failure.destination, /target\/mixed\/cold\.txt$/);
    assert.equal(typeof failure.code, 'string');
    assert.ok(failure.message.length > 10);
  });

  it('exits 2 for bad usage or input, with a JSON error and nothing written', async () => {
    const bad = copy('https://', dstUrl('x'), '--json');
    assert.equal(bad.status, 2);
    assert.equal(JSON.parse(bad.stdout).error.code, 'INVALID_URL');
    // Text that is no URL is a local path; a URL typed without its scheme is told so.
    const schemeless = copy(dstUrl('x').replace(/^http:\/\//, ''), dstUrl('y'), '--json');
    assert.equal(schemeless.status, 2);
    assert.equal(JSON.parse(schemeless.stdout).error.code, 'SOURCE_NOT_FOUND');
    assert.match(JSON.parse(schemeless.stdout).error.message, /A URL needs its scheme/);
    const missing = copy(srcUrl('no/such/blob'), dstUrl('never-written.txt'), '--json');
    assert.equal(missing.status, 2, missing.stdout + missing.stderr);
    assert.equal(JSON.parse(missing.stdout).error.code, 'SOURCE_NOT_FOUND');
    assert.equal(await target.getBlobClient('never-written.txt').exists(), false);
    for (const timeout of ['0', '-5m', 'soon']) {
      const badTimeout = copy(srcUrl('cli/one.txt'), dstUrl('x'), '--timeout', timeout, '--json');
      assert.equal(badTimeout.status, 2, `--timeout ${timeout}`);
      assert.match(JSON.parse(badTimeout.stdout).error.message, /options\.timeout: must be a positive duration/);
    }
    assert.equal(copy(srcUrl('cli/one.txt'), dstUrl('x'), '--strategy', 'teleport').status, 2);
    const usage = copy(srcUrl('cli/one.txt'), dstUrl('x'), '--overwrite', 'sometimes');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /sometimes/);
    const human = copy('https://', dstUrl('x'));
    assert.equal(human.status, 2);
    assert.match(human.stderr, /INVALID_URL/);
  });

  it('runs copies side by side, and resumes an interrupted copy only when its own command runs again', async () => {
    const [a, b, c] = [randomBytes(12 * MiB), randomBytes(12 * MiB), randomBytes(3 * MiB)];
    await Promise.all([source.getBlockBlobClient('side/a.bin').uploadData(a), source.getBlockBlobClient('side/b.bin').uploadData(b), source.getBlockBlobClient('side/c.bin').uploadData(c)]);
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.path.includes('/side/'), delayMs: 30 });
    try {
      const args = (name: string) => [srcUrl(`side/${name}`), dstUrl(`side/${name}`, proxy.origin), '--strategy', 'block-copy', '--block-size', '1', '--concurrency', '2'];
      // c is interrupted first; a and b then run at the same time in two processes.
      await killMidCopy(args('c.bin'), env(), proxy, proxy.stagedBlocks() + 1);
      const [first, second] = await Promise.all([copyInChild(args('a.bin'), env()), copyInChild(args('b.bin'), env())]);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(second.status, 0, second.stderr);
      assert.doesNotMatch(first.stderr + second.stderr, /STATE_DIR_IN_USE|Resuming/);
      assert.equal(md5(await target.getBlobClient('side/a.bin').downloadToBuffer()), md5(a));
      assert.equal(md5(await target.getBlobClient('side/b.bin').downloadToBuffer()), md5(b));
      assert.equal(await target.getBlobClient('side/c.bin').exists(), false, 'the interrupted copy did not run inside the others');
      const resumed = await copyInChild(args('c.bin'), env());
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stderr, /Resuming copy/);
      assert.equal(md5(await target.getBlobClient('side/c.bin').downloadToBuffer()), md5(c));
    } finally {
      proxy.rules.length = 0;
    }
  });

  it('ends a copy whose source never answers with TIMED_OUT once --timeout is up, not minutes later', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => undefined); // accepts, never answers
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const run = await copyInChild([`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hung.bin`, dstUrl('hung/x.bin'), '--timeout', '10s'], env());
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /TIMED_OUT: The copy did not get past looking at its source and destination within its timeout \(10s\)/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('streams progress as JSON lines for scripts, and ends with the report they agree with', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `events/f${i}.txt`);
    await Promise.all(names.map((n) => source.getBlockBlobClient(n).upload(n, n.length)));
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.path.includes('/events-copy/'), delayMs: 60 });
    try {
      const { status, stdout } = await copyInChild([azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('?', '/events/?'), dstUrl('events-copy/', proxy.origin), '--recursive', '--concurrency', '2', '--json-progress'], env());
      assert.equal(status, 0, stdout);
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event?: string; blobs: { total: number; copied: number }; runtimeStatus?: string });
      const report = lines.at(-1)!;
      const events = lines.slice(0, -1);
      assert.ok(events.length > 0 && events.every((e) => e.event === 'progress'), stdout);
      assert.equal(report.runtimeStatus, 'Completed');
      assert.equal(report.blobs.copied, names.length);
      for (let i = 1; i < events.length; i++) assert.ok(events[i].blobs.copied >= events[i - 1].blobs.copied, 'progress only goes forward');
      assert.ok(events.at(-1)!.blobs.copied <= report.blobs.copied);
    } finally {
      proxy.rules.length = 0;
    }
  });

  it('says a failure once, and nothing about functions a copy never runs', () => {
    const run = copy('http://127.0.0.1:1/unreachable.bin', dstUrl('quiet/x.bin'), '--max-tries', '1');
    assert.equal(run.status, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /does not serve/);
    assert.equal(run.stderr.split('\n').filter((line) => line.includes('SOURCE_UNREACHABLE')).length, 1, run.stderr);
  });

  it('says how to create a missing destination container, and creates it with --create-container', async () => {
    const container = `made-${Date.now()}`;
    // The development account, signed with its key: creating a container takes more than a container SAS.
    const into = `${azurite.blobEndpoint()}/${container}/x/one.txt`;
    const missing = copy(srcUrl('cli/one.txt'), into);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /CONTAINER_NOT_FOUND: .*--create-container/);
    const made = copy(srcUrl('cli/one.txt'), into, '--create-container');
    assert.equal(made.status, 0, made.stderr);
    assert.equal((await azurite.blobService().getContainerClient(container).getBlobClient('x/one.txt').downloadToBuffer()).toString(), 'one');
  });

  it('--dry-run lists what would be copied, skipped (and why) and would fail, and writes nothing', async () => {
    const names = ['dry/a.txt', 'dry/taken.txt', 'dry/sp ace #%?ü.txt', 'dry/deep/er/c.csv', 'dry/ends-in-dot.'];
    for (const name of names) await source.getBlockBlobClient(name).uploadData(Buffer.from(name));
    await target.getBlockBlobClient('dry/taken.txt').upload('old', 3);
    const before = async () => {
      const seen: string[] = [];
      for await (const b of target.listBlobsFlat({ prefix: 'dry/' })) seen.push(`${b.name}@${b.properties.etag}`);
      return seen;
    };
    const listing = await before();
    const prefix = azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('/source?', '/source/dry/?');
    const run = copy(prefix, dstUrl('dry/'), '--recursive', '--dry-run', '--json');
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { action?: string; source?: string; destination?: string; code?: string; dryRun?: boolean; copy?: number; skip?: number; fail?: number; bytes?: number; strategy?: string });
    const summary = lines.pop()!;
    // Sources are shown with their names as they are (not URL-encoded).
    const byName = new Map(lines.map((l) => [l.source!.slice(l.source!.indexOf('/source/') + '/source/'.length), l]));
    assert.deepEqual([...byName.keys()].sort(), [...names].sort());
    assert.equal(byName.get('dry/a.txt')?.action, 'copy');
    assert.equal(byName.get('dry/sp ace #%?ü.txt')?.action, 'copy');
    assert.equal(byName.get('dry/deep/er/c.csv')?.action, 'copy');
    assert.deepEqual([byName.get('dry/taken.txt')?.action, byName.get('dry/taken.txt')?.code], ['skip', 'DESTINATION_EXISTS']);
    assert.deepEqual([byName.get('dry/ends-in-dot.')?.action, byName.get('dry/ends-in-dot.')?.code], ['fail', 'INVALID_NAME']);
    assert.deepEqual({ ...summary, notes: undefined }, { dryRun: true, strategy: summary.strategy, copy: 3, skip: 1, fail: 1, delete: 0, bytes: ['dry/a.txt', 'dry/sp ace #%?ü.txt', 'dry/deep/er/c.csv'].reduce((sum, n) => sum + Buffer.byteLength(n), 0), notes: undefined });
    assert.doesNotMatch(run.stdout, /sig=/, 'no SAS in what it prints');
    assert.deepEqual(await before(), listing, 'nothing was written');

    const renamed = copy(prefix, dstUrl('dry/'), '--recursive', '--dry-run', '--overwrite', 'rename', '--include', 'taken.txt');
    assert.equal(renamed.status, 0, renamed.stderr);
    assert.match(renamed.stdout, /^copy {2}.*taken\.txt -> .*dry\/taken_<suffix>\.txt .*--overwrite rename/m);
    assert.match(renamed.stderr, /Dry run: 1 would be copied \(13 bytes\), 0 skipped, 0 would fail; nothing was written\./);

    const container = `dry-${Date.now()}`;
    const missing = copy(srcUrl('dry/a.txt'), `${azurite.blobEndpoint()}/${container}/a.txt`, '--dry-run', '--create-container');
    assert.equal(missing.status, 0, missing.stderr);
    assert.match(missing.stderr, /does not exist; --create-container would create it/);
    assert.equal(await azurite.blobService().getContainerClient(container).exists(), false, 'not created by a dry run');
    assert.deepEqual(await before(), listing);
  });

  it('--list-of-files copies only the names a file lists, and says clearly when the list is wrong', async () => {
    const names = ['lof/a.txt', 'lof/sp ace #%?ü.txt', 'lof/dir/x.txt', 'lof/dir/sub/y.txt', 'lof/other/z.txt', 'lof/skip.txt'];
    for (const name of names) await source.getBlockBlobClient(name).uploadData(Buffer.from(name));
    const dir = makeTempDir('blobferry-list-');
    try {
      const list = path.join(dir, 'names.txt');
      fs.writeFileSync(list, 'a.txt\n./sp ace #%?ü.txt\n\n# the whole directory:\ndir/\nmissing.txt\n');
      const prefix = azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('/source?', '/source/lof/?');
      const run = copy(prefix, dstUrl('lof/'), '--recursive', '--list-of-files', list, '--json');
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).blobs, { total: 4, copied: 4, skipped: 0, failed: 0 });
      const copied: string[] = [];
      for await (const b of target.listBlobsFlat({ prefix: 'lof/' })) copied.push(b.name);
      assert.deepEqual(copied.sort(), ['lof/a.txt', 'lof/dir/sub/y.txt', 'lof/dir/x.txt', 'lof/sp ace #%?ü.txt']);

      const failing = (args: string[], code: string) => {
        const bad = copy(prefix, dstUrl('lof-bad/'), ...args, '--json');
        assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stdout}`);
        assert.equal(JSON.parse(bad.stdout).error.code, code, args.join(' '));
        return JSON.parse(bad.stdout).error.message as string;
      };
      fs.writeFileSync(path.join(dir, 'none.txt'), 'missing.txt\n');
      assert.match(failing(['--recursive', '--list-of-files', path.join(dir, 'none.txt')], 'NOTHING_TO_COPY'), /--list-of-files/);
      fs.writeFileSync(path.join(dir, 'empty.txt'), '\n# nothing\n');
      assert.match(failing(['--recursive', '--list-of-files', path.join(dir, 'empty.txt')], 'LIST_OF_FILES_INVALID'), /names nothing/);
      assert.match(failing(['--recursive', '--list-of-files', path.join(dir, 'absent.txt')], 'LIST_OF_FILES_INVALID'), /no such file/);
      failing(['--list-of-files', list], 'CONFLICTING_OPTIONS');
      let written = 0;
      for await (const _ of target.listBlobsFlat({ prefix: 'lof-bad/' })) written++;
      assert.equal(written, 0, 'nothing written by a refused copy');
    } finally {
      removeDir(dir);
    }
  });

  it('names the setting that gives a credential when an account has none', () => {
    const run = copy(srcUrl('cli/one.txt'), `${azurite.blobEndpoint(SECOND_ACCOUNT)}/target/nocred/one.txt`);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /NO_CREDENTIALS: No credential for account blobferrysecond .*BLOBFERRY_ACCOUNT_KEY_BLOBFERRYSECOND/);
  });

  it('resumes a copy killed with SIGKILL without staging again the blocks it had staged', async () => {
    const body = randomBytes(40 * MiB);
    await source.getBlockBlobClient('resume/big.bin').uploadData(body);
    // Through the proxy, each staged block takes a little while: room to kill mid-copy.
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block', delayMs: 40 });
    const before = proxy.stagedBlocks();
    const args = [srcUrl('resume/big.bin'), dstUrl('resume/big.bin', proxy.origin), '--strategy', 'block-copy', '--block-size', '1', '--concurrency', '2', '--json'];
    await killMidCopy(args, env(), proxy, before + 10);
    const stagedBeforeKill = proxy.stagedBlocks() - before;
    assert.ok(stagedBeforeKill < 40, `killed mid-copy (${stagedBeforeKill} of 40 blocks staged)`);
    assert.equal(await target.getBlobClient('resume/big.bin').exists(), false, 'nothing committed yet');

    // Not spawnSync: the proxy lives in this process and must keep answering.
    const second = await copyInChild(args.filter((a) => a !== '--json'), env());
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /Resuming copy copy-/);
    assert.equal(proxy.stagedBlocks() - before, 40, 'every block staged exactly once across both runs');
    assert.equal(md5(await target.getBlobClient('resume/big.bin').downloadToBuffer()), md5(body));
  });

  it('resumes a copy whose SAS expired while it was interrupted, with the fresh SAS of the command run again', async () => {
    const body = randomBytes(40 * MiB);
    await source.getBlockBlobClient('expired/big.bin').uploadData(body);
    const staged = proxy.stagedBlocks();
    // A destination SAS that expires a few seconds from now: enough to start, not to finish.
    const shortLived = sasFor(new Date(Date.now() + 6000));
    const args = (sas: string) => [srcUrl('expired/big.bin'), `${proxy.origin}/${SECOND_ACCOUNT}/target/expired/big.bin?${sas}`, '--strategy', 'block-copy', '--block-size', '1', '--concurrency', '2'];
    await killMidCopy(args(shortLived), env(), proxy, staged + 10);
    while (Date.now() < Date.parse(new URLSearchParams(shortLived).get('se')!) + 1500) await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await copyInChild(args(sasFor(new Date(Date.now() + 3600_000))), env());
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /Resuming copy copy-\S+ with the credentials given now/);
    assert.equal(proxy.stagedBlocks() - staged, 40, 'every block staged once across both runs');
    assert.equal(md5(await target.getBlobClient('expired/big.bin').downloadToBuffer()), md5(body));
  });
});
