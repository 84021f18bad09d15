/**
 * `blobferry copy <local path> <blob URL>`: uploads of real files in temporary directories into
 * real Azurite, through the CLI in child processes: every byte and relative path kept, an MD5
 * per block and per file, content types and modification times, a file that changes while it is
 * read, a copy killed with SIGKILL and resumed, and remote callers refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, copyInChild, killMidCopy } from '../support/cli';
import { cliWorld } from '../support/cliWorld';
import { edgeCaseFiles, writeTree } from '../support/localFiles';

const MiB = 1024 * 1024;
/** The file killed mid-upload, in MiB (blocks of 1 MiB); BLOBFERRY_LOCAL_CRASH_MIB=300 for the full-size check. */
const CRASH_MIB = Number(process.env.BLOBFERRY_LOCAL_CRASH_MIB ?? 40);
const world = cliWorld('upload', ['uploads']);
const dstUrl = (name: string, origin?: string) => world.url('uploads', name, { viaProxy: origin !== undefined });
const copy = (...args: string[]) => spawnSync(process.execPath, [CLI, 'copy', ...args], { env: world.env(), encoding: 'utf8', timeout: 180_000 });
const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

async function uploaded(prefix: string): Promise<Map<string, { body: Buffer; contentMD5?: string; contentType?: string; metadata: Record<string, string> }>> {
  const found = new Map<string, { body: Buffer; contentMD5?: string; contentType?: string; metadata: Record<string, string> }>();
  for await (const item of world.containers.uploads.listBlobsFlat({ prefix, includeMetadata: true })) {
    const body = await world.containers.uploads.getBlobClient(item.name).downloadToBuffer();
    const md5Header = item.properties.contentMD5 ? Buffer.from(item.properties.contentMD5).toString('base64') : undefined;
    found.set(item.name.slice(prefix.length), { body, contentMD5: md5Header, contentType: item.properties.contentType, metadata: item.metadata ?? {} });
  }
  return found;
}

describe('blobferry copy from a local disk', () => {
  it('uploads a directory tree with --recursive: every byte and relative path, an MD5 per file, content types and modification times', async () => {
    const root = path.join(world.disk, 'tree');
    const files = writeTree(root, { ...edgeCaseFiles(), 'sub/inner.csv': Buffer.from('a,b\n1,2\n') });
    const mtime = new Date('2025-06-01T12:34:56.789Z');
    fs.utimesSync(path.join(root, 'sub', 'inner.csv'), mtime, mtime);

    const run = copy(root, dstUrl('tree/'), '--recursive', '--block-size', '1', '--json');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { blobs: unknown; strategy: string; verification?: Record<string, number> };
    assert.deepEqual(report.blobs, { total: 10, copied: 10, skipped: 0, failed: 0 });
    assert.equal(report.strategy, 'relay', 'the storage service cannot read a local disk');

    const blobs = await uploaded('tree/');
    assert.deepEqual([...blobs.keys()].sort(), Object.keys(files).sort(), 'every relative path');
    for (const [name, body] of Object.entries(files)) {
      const blob = blobs.get(name)!;
      assert.ok(blob.body.equals(body), `${name}: every byte`);
      assert.equal(blob.contentMD5, md5(body), `${name}: Content-MD5 is the file's MD5`);
    }
    assert.equal(blobs.get('sub/inner.csv')?.contentType, 'text/csv');
    assert.equal(blobs.get('deep/er/and/deeper/still/leaf.json')?.contentType, 'application/json');
    assert.equal(blobs.get('multi.bin')?.contentType, 'application/octet-stream');
    assert.equal(blobs.get('sub/inner.csv')?.metadata.mtime, '2025-06-01T12:34:56.789Z', 'the modification time, for sync');

    // The same command again: nothing to do, everything kept (--overwrite never).
    const again = copy(root, dstUrl('tree/'), '--recursive', '--json');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).blobs, { total: 10, copied: 0, skipped: 10, failed: 0 });
  });

  it('without --recursive copies only the files of the directory; a file goes to the name given, or keeps its own under a "/"', async () => {
    const root = path.join(world.disk, 'shallow');
    writeTree(root, { 'top.txt': Buffer.from('top'), 'nested/below.txt': Buffer.from('below') });
    const run = copy(root, dstUrl('shallow/'), '--json');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual([...(await uploaded('shallow/')).keys()], ['top.txt']);

    const renamed = copy(path.join(root, 'top.txt'), dstUrl('single/renamed.txt'));
    assert.equal(renamed.status, 0, renamed.stderr);
    const kept = copy(`file://${path.join(root, 'top.txt')}`, dstUrl('single/'));
    assert.equal(kept.status, 0, kept.stderr);
    const blobs = await uploaded('single/');
    assert.deepEqual([...blobs.keys()].sort(), ['renamed.txt', 'top.txt']);
    assert.equal(blobs.get('top.txt')?.contentMD5, md5(Buffer.from('top')), 'Content-MD5 stored by default');
    const bare = copy(path.join(root, 'top.txt'), dstUrl('bare/top.txt'), '--no-put-md5');
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal((await uploaded('bare/')).get('top.txt')?.contentMD5, undefined, '--no-put-md5 leaves it out');
  });

  it('uploads 2,000 small files', async () => {
    const root = path.join(world.disk, 'many');
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 2000; i++) files[`d${i % 7}/f-${i}.txt`] = Buffer.from(`file ${i}\n`);
    writeTree(root, files);
    const run = copy(root, dstUrl('many/'), '--recursive', '--json');
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).blobs, { total: 2000, copied: 2000, skipped: 0, failed: 0 });
    let count = 0;
    for await (const item of world.containers.uploads.listBlobsFlat({ prefix: 'many/' })) {
      count++;
      assert.equal(Buffer.from(item.properties.contentMD5!).toString('base64'), md5(files[item.name.slice('many/'.length)]), item.name);
    }
    assert.equal(count, 2000);
  });

  it('fails a file that changes while it is read with SOURCE_CHANGED, and commits nothing', async () => {
    const file = path.join(world.disk, 'growing.log');
    fs.writeFileSync(file, randomBytes(4 * MiB));
    let appended = false;
    world.proxy.rules.push({
      match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.path.includes('/growing.log'),
      before: () => {
        if (!appended) fs.appendFileSync(file, 'one more line\n');
        appended = true;
      },
    });
    try {
      const run = await copyInChild([file, dstUrl('changed/growing.log', 'proxy'), '--block-size', '1', '--concurrency', '1', '--json'], world.env());
      assert.equal(run.status, 1, run.stdout + run.stderr);
      const report = JSON.parse(run.stdout) as { failures: Array<{ code: string }>; error?: { code: string } };
      assert.equal(report.failures[0]?.code ?? report.error?.code, 'SOURCE_CHANGED', run.stdout);
      assert.equal(await world.containers.uploads.getBlobClient('changed/growing.log').exists(), false, 'nothing committed');
    } finally {
      world.proxy.rules.length = 0;
    }
  });

  it('resumes an upload killed with SIGKILL without staging again the blocks it had staged', async () => {
    const file = path.join(world.disk, 'big upload.bin');
    const body = randomBytes(CRASH_MIB * MiB);
    fs.writeFileSync(file, body);
    world.proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block', delayMs: 40 });
    try {
      const before = world.proxy.stagedBlocks();
      const args = [file, dstUrl('resume/', 'proxy'), '--block-size', '1', '--concurrency', '2'];
      await killMidCopy(args, world.env(), world.proxy, before + 10);
      const stagedBeforeKill = world.proxy.stagedBlocks() - before;
      assert.ok(stagedBeforeKill < CRASH_MIB, `killed mid-copy (${stagedBeforeKill} of ${CRASH_MIB} blocks staged)`);
      assert.equal(await world.containers.uploads.getBlobClient('resume/big upload.bin').exists(), false, 'nothing committed yet');
      const second = await copyInChild(args, world.env());
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stderr, /Resuming copy copy-/);
      assert.equal(world.proxy.stagedBlocks() - before, CRASH_MIB, 'every block staged exactly once across both runs');
      const blob = (await uploaded('resume/')).get('big upload.bin')!;
      assert.ok(blob.body.equals(body));
      assert.equal(blob.contentMD5, md5(body), 'one MD5 for the whole file across both runs');
    } finally {
      world.proxy.rules.length = 0;
    }
  });

  it('says clearly what is wrong with a local path, and writes nothing', async () => {
    const missing = copy(path.join(world.disk, 'no-such-dir'), dstUrl('bad/'), '--recursive', '--json');
    assert.equal(missing.status, 2, missing.stdout);
    assert.equal(JSON.parse(missing.stdout).error.code, 'SOURCE_NOT_FOUND');
    assert.match(JSON.parse(missing.stdout).error.message, /no-such-dir/);
    const fileRecursive = copy(path.join(world.disk, 'growing.log'), dstUrl('bad/'), '--recursive', '--json');
    assert.equal(fileRecursive.status, 2);
    assert.equal(JSON.parse(fileRecursive.stdout).error.code, 'CONFLICTING_OPTIONS');
    let written = 0;
    for await (const _ of world.containers.uploads.listBlobsFlat({ prefix: 'bad/' })) written++;
    assert.equal(written, 0);
  });
});
