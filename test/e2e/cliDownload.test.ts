/**
 * `blobferry copy <blob URL> <local path>`: downloads from real Azurite into temporary
 * directories through the CLI in child processes: a tree identical to the one uploaded, files
 * that only ever appear whole, names that cannot be files (never written outside the target),
 * MD5 checks, a copy killed with SIGKILL and resumed, and a world.disk that fills up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, copyInChild, killWhen } from '../support/cli';
import { cliWorld } from '../support/cliWorld';
import { edgeCaseFiles, treeOf, writeTree } from '../support/localFiles';

const MiB = 1024 * 1024;
/** The blob killed mid-download, in MiB (blocks of 1 MiB); BLOBFERRY_LOCAL_CRASH_MIB=300 for the full-size check. */
const CRASH_MIB = Number(process.env.BLOBFERRY_LOCAL_CRASH_MIB ?? 40);
const world = cliWorld('download', ['downloads']);
const blobUrl = (name: string, origin?: string) => world.url('downloads', name, { viaProxy: origin !== undefined, permissions: 'rl' });
const copy = (...args: string[]) => spawnSync(process.execPath, [CLI, 'copy', ...args], { env: world.env(), encoding: 'utf8', timeout: 180_000 });
const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

describe('blobferry copy to a local disk', () => {
  it('uploads a tree and downloads it again: every byte and relative path, modification times kept', async () => {
    const original = path.join(world.disk, 'original');
    const files = writeTree(original, edgeCaseFiles());
    const mtime = new Date('2024-02-29T23:59:58.123Z');
    fs.utimesSync(path.join(original, 'multi.bin'), mtime, mtime);
    const up = copy(original, world.url('downloads', 'round/'), '--recursive', '--block-size', '1');
    assert.equal(up.status, 0, up.stderr);

    const copyOf = path.join(world.disk, 'copy of it');
    const down = copy(blobUrl('round/'), copyOf, '--recursive', '--block-size', '1', '--json');
    assert.equal(down.status, 0, down.stdout + down.stderr);
    const report = JSON.parse(down.stdout) as { blobs: unknown; strategy: string; verification: Record<string, number> };
    assert.deepEqual(report.blobs, { total: 9, copied: 9, skipped: 0, failed: 0 });
    assert.equal(report.strategy, 'relay');
    assert.equal(report.verification.md5, 9, 'each file checked against the Content-MD5 of its blob');
    const { files: got, temporary } = treeOf(copyOf);
    assert.deepEqual(temporary, [], 'no temporary file left');
    assert.deepEqual([...got.keys()].sort(), Object.keys(files).sort(), 'every relative path');
    for (const [name, body] of Object.entries(files)) assert.ok(got.get(name)!.equals(body), `${name}: every byte`);
    const kept = fs.statSync(path.join(copyOf, 'multi.bin'), { bigint: true }).mtimeNs;
    const given = fs.statSync(path.join(original, 'multi.bin'), { bigint: true }).mtimeNs;
    assert.ok(kept - given <= 1000n && given - kept <= 1000n, `the modification time it was uploaded with, to the microsecond (what utimes sets) (${given} / ${kept})`);

    // One blob into a directory keeps its name; to a file path takes that name.
    const one = copy(blobUrl('round/one.bin'), `${path.join(world.disk, 'single')}/`);
    assert.equal(one.status, 0, one.stderr);
    assert.ok(fs.readFileSync(path.join(world.disk, 'single', 'one.bin')).equals(files['one.bin']));
    const named = copy(blobUrl('round/multi.bin'), path.join(world.disk, 'single', 'renamed.bin'));
    assert.equal(named.status, 0, named.stderr);
    assert.ok(fs.readFileSync(path.join(world.disk, 'single', 'renamed.bin')).equals(files['multi.bin']));
    const again = copy(blobUrl('round/multi.bin'), path.join(world.disk, 'single', 'renamed.bin'), '--json');
    assert.deepEqual(JSON.parse(again.stdout).blobs, { total: 1, copied: 0, skipped: 1, failed: 0 }, 'an existing file is kept (--overwrite never)');
  });

  it('never writes outside the target directory, and fails names that cannot be files', async () => {
    // Blob names Azure takes that a world.disk cannot: an empty segment, a segment over 255 bytes.
    // ("." and ".." segments never reach a blob name: URLs resolve them; file endpoint tests cover them.)
    for (const name of ['escape//double.txt', `escape/${'x'.repeat(300)}.txt`, 'escape/ok.txt']) await world.containers.downloads.getBlockBlobClient(name).upload('x', 1);
    const target = path.join(world.disk, 'jail', 'inside');
    const run = copy(blobUrl('escape/'), target, '--recursive', '--json');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { blobs: { copied: number; failed: number }; failures: Array<{ code: string; message: string }> };
    assert.equal(report.blobs.copied, 1, run.stdout);
    assert.equal(report.blobs.failed, 2);
    assert.ok(report.failures.every((f) => f.code === 'INVALID_NAME'), JSON.stringify(report.failures));
    assert.deepEqual([...treeOf(path.join(world.disk, 'jail')).files.keys()], ['inside/ok.txt'], 'nothing anywhere else');

    // A symbolic link inside the target that leads out of it is never written through.
    const linked = path.join(world.disk, 'linked');
    fs.mkdirSync(linked);
    fs.mkdirSync(path.join(world.disk, 'elsewhere'));
    fs.symlinkSync(path.join(world.disk, 'elsewhere'), path.join(linked, 'escape'));
    await world.containers.downloads.getBlockBlobClient('via/escape/secret.txt').upload('s', 1);
    const through = copy(blobUrl('via/'), linked, '--recursive', '--json');
    assert.equal(through.status, 1, through.stdout);
    assert.equal(JSON.parse(through.stdout).failures[0].code, 'INVALID_NAME');
    assert.deepEqual(fs.readdirSync(path.join(world.disk, 'elsewhere')), []);
  });

  it('fails a file whose bytes do not match the blob\'s Content-MD5, and leaves no file; --check-md5 warn keeps it', async () => {
    const liar = world.containers.downloads.getBlockBlobClient('md5/liar.bin');
    await liar.uploadData(Buffer.from('the real bytes'));
    await liar.setHTTPHeaders({ blobContentMD5: createHash('md5').update('other bytes').digest() });
    const dir = path.join(world.disk, 'md5');
    const run = copy(blobUrl('md5/liar.bin'), `${dir}/`, '--json');
    assert.equal(run.status, 1, run.stdout);
    assert.equal(JSON.parse(run.stdout).failures[0]?.code ?? JSON.parse(run.stdout).error?.code, 'MD5_MISMATCH');
    assert.deepEqual(treeOf(dir), { files: new Map(), temporary: [] }, 'no file under its name, nothing left aside');
    const warned = copy(blobUrl('md5/liar.bin'), `${dir}/`, '--check-md5', 'warn', '--json');
    assert.equal(warned.status, 0, warned.stdout);
    assert.deepEqual(JSON.parse(warned.stdout).verification, { 'md5-mismatch': 1 });
    assert.equal(fs.readFileSync(path.join(dir, 'liar.bin'), 'utf8'), 'the real bytes');
    // A move never deletes the source of a copy that did not match it.
    const moved = copy(world.url('downloads', 'md5/liar.bin'), `${dir}/moved/`, '--check-md5', 'warn', '--delete-source', '--json');
    assert.equal(moved.status, 1, moved.stdout);
    assert.equal(JSON.parse(moved.stdout).failures[0].code, 'MD5_MISMATCH');
    assert.equal(await liar.exists(), true, 'the source is kept');
  });

  it('resumes a download killed with SIGKILL without reading again the ranges it had written', async () => {
    const body = randomBytes(CRASH_MIB * MiB);
    await world.containers.downloads.getBlockBlobClient('big/blob.bin').uploadData(body);
    const ranges = () => world.proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/big/blob.bin') && r.status === 206).length;
    world.proxy.rules.push({ match: (r) => r.method === 'GET' && r.path.endsWith('/big/blob.bin'), delayMs: 40 });
    try {
      const target = path.join(world.disk, 'resumed');
      const args = [blobUrl('big/blob.bin', 'proxy'), `${target}/`, '--block-size', '1', '--concurrency', '2'];
      assert.ok(await killWhen(args, world.env(), () => ranges() >= 10), 'killed mid-download');
      const readBeforeKill = ranges();
      assert.ok(readBeforeKill < CRASH_MIB);
      assert.equal(fs.existsSync(path.join(target, 'blob.bin')), false, 'no file under its name yet');
      assert.ok(treeOf(target).temporary.length > 0, 'the bytes so far are kept aside');
      const second = await copyInChild(args, world.env());
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stderr, /Resuming copy/);
      // Ranges in flight when it was killed are read again; the rest are not.
      assert.ok(ranges() <= CRASH_MIB + 2 + 2, `read ${ranges()} ranges for ${CRASH_MIB} blocks`);
      assert.equal(md5(fs.readFileSync(path.join(target, 'blob.bin'))), md5(body));
      assert.deepEqual(treeOf(target).temporary, []);
    } finally {
      world.proxy.rules.length = 0;
    }
  });

  it('removes the partial file when the world.disk fills up, and says so', async () => {
    await world.containers.downloads.getBlockBlobClient('full/large.bin').uploadData(randomBytes(6 * MiB));
    const target = path.join(world.disk, 'full');
    // A file size limit (ulimit -f, in 512-byte blocks): writes past 2 MiB fail as a full world.disk does.
    const run = spawnSync('bash', ['-c', `ulimit -f 4096; exec "${process.execPath}" "${CLI}" copy "${blobUrl('full/large.bin')}" "${target}/" --block-size 1 --json`], { env: world.env(), encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const failure = (JSON.parse(run.stdout) as { failures: Array<{ code: string; message: string }> }).failures[0];
    assert.equal(failure.code, 'DISK_FULL');
    assert.match(failure.message, /partial temporary file is removed/);
    assert.deepEqual(treeOf(target), { files: new Map(), temporary: [] }, 'nothing half-written left');
  });

  it('says clearly when a local destination cannot be', async () => {
    fs.writeFileSync(path.join(world.disk, 'a-file'), 'x');
    const recursiveIntoFile = copy(blobUrl('round/'), path.join(world.disk, 'a-file'), '--recursive', '--json');
    assert.equal(recursiveIntoFile.status, 2);
    assert.equal(JSON.parse(recursiveIntoFile.stdout).error.code, 'LOCAL_PATH_CONFLICT');
    const noParent = copy(blobUrl('round/one.bin'), path.join(world.disk, 'no', 'such', 'dir', 'x.bin'), '--json');
    assert.equal(noParent.status, 2);
    assert.equal(JSON.parse(noParent.stdout).error.code, 'CONTAINER_NOT_FOUND');
    const localToLocal = copy(path.join(world.disk, 'a-file'), path.join(world.disk, 'b-file'), '--json');
    assert.equal(localToLocal.status, 2);
    assert.equal(JSON.parse(localToLocal.stdout).error.code, 'UNSUPPORTED_URL');
    const forced = copy(blobUrl('round/one.bin'), `${world.disk}/forced/`, '--strategy', 'block-copy', '--json');
    assert.equal(forced.status, 2);
    assert.equal(JSON.parse(forced.stdout).error.code, 'CONFLICTING_OPTIONS');
  });
});
