/**
 * `blobferry sync`: a local directory to blobs and blobs back to a directory, through the CLI
 * in child processes against real Azurite: only what is missing or different is copied (size
 * and modification time, or MD5s), --delete-destination removes what the source no longer has
 * (and nothing the filters leave out), and --dry-run changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI } from '../support/cli';
import { cliWorld } from '../support/cliWorld';

const world = cliWorld('sync', ['mirror']);
const prefixUrl = (prefix: string) => world.url('mirror', prefix);
interface Report {
  blobs: { total: number; copied: number; skipped: number; failed: number; removed?: number };
  notes?: string[];
}
const sync = (...args: string[]): Report & { status: number | null; stdout: string } => {
  const run = spawnSync(process.execPath, [CLI, 'sync', ...args, '--json'], { env: world.env(), encoding: 'utf8', timeout: 120_000 });
  assert.ok(run.stdout.trim(), run.stderr);
  return { ...(args.includes('--dry-run') ? ({} as Report) : (JSON.parse(run.stdout) as Report)), status: run.status, stdout: run.stdout };
};
async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of world.containers.mirror.listBlobsFlat({ prefix })) names.push(b.name.slice(prefix.length));
  return names.sort();
}
const write = (root: string, name: string, body: string, mtime?: Date) => {
  const file = path.join(root, ...name.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
  if (mtime) fs.utimesSync(file, mtime, mtime);
};

describe('blobferry sync', () => {
  it('local to blobs: copies what is missing or changed, keeps the rest, removes what is gone only when asked', async () => {
    const root = path.join(world.disk, 'up');
    const old = new Date('2025-01-01T00:00:00Z');
    for (const name of ['a.txt', 'b.txt', 'sub/c.txt', 'sp ace #%.txt', 'keep.log']) write(root, name, `${name} v1`, old);
    const first = sync(root, prefixUrl('up/'));
    assert.equal(first.status, 0, first.stdout);
    assert.deepEqual(first.blobs, { total: 5, copied: 5, skipped: 0, failed: 0 });
    const again = sync(root, prefixUrl('up/'));
    assert.deepEqual(again.blobs, { total: 5, copied: 0, skipped: 5, failed: 0 }, 'nothing changed: nothing copied');

    write(root, 'b.txt', 'b.txt v2'); // same size, newer modification time
    write(root, 'd.txt', 'new');
    fs.rmSync(path.join(root, 'a.txt'));
    fs.rmSync(path.join(root, 'keep.log'));
    const changed = sync(root, prefixUrl('up/'));
    assert.deepEqual(changed.blobs, { total: 4, copied: 2, skipped: 2, failed: 0 }, JSON.stringify(changed));
    assert.equal((await world.containers.mirror.getBlobClient('up/b.txt').downloadToBuffer()).toString(), 'b.txt v2');
    assert.deepEqual(await blobNames('up/'), ['a.txt', 'b.txt', 'd.txt', 'keep.log', 'sp ace #%.txt', 'sub/c.txt'], 'nothing removed without --delete-destination');

    const before = await blobNames('up/');
    const dry = sync(root, prefixUrl('up/'), '--delete-destination', '--exclude', '*.log', '--dry-run');
    assert.equal(dry.status, 0);
    const items = dry.stdout.trim().split('\n').map((line) => JSON.parse(line) as { action?: string; destination?: string; delete?: number });
    assert.deepEqual(items.filter((i) => i.action === 'delete').map((i) => i.destination!.slice(i.destination!.indexOf('/up/') + 4)), ['a.txt'], 'what would be removed (excluded names are not)');
    assert.equal(items.at(-1)?.delete, 1);
    assert.deepEqual(await blobNames('up/'), before, 'a dry run changes nothing');

    const pruned = sync(root, prefixUrl('up/'), '--delete-destination', '--exclude', '*.log');
    assert.equal(pruned.status, 0, pruned.stdout);
    assert.equal(pruned.blobs.removed, 1);
    assert.deepEqual(await blobNames('up/'), ['b.txt', 'd.txt', 'keep.log', 'sp ace #%.txt', 'sub/c.txt'], 'a.txt removed; keep.log left alone (excluded)');
  });

  it('blobs to local: a directory made to match, changed blobs fetched again, gone ones removed', async () => {
    for (const name of ['x.txt', 'deep/y.txt', 'deep/er/z.txt']) await world.containers.mirror.getBlockBlobClient(`down/${name}`).upload(`${name} v1`, `${name} v1`.length);
    const root = path.join(world.disk, 'down');
    const first = sync(prefixUrl('down/'), root);
    assert.deepEqual(first.blobs, { total: 3, copied: 3, skipped: 0, failed: 0 }, first.stdout);
    assert.deepEqual(sync(prefixUrl('down/'), root).blobs, { total: 3, copied: 0, skipped: 3, failed: 0 }, 'the files took the blobs\' times');

    await new Promise((resolve) => setTimeout(resolve, 1100)); // Azure's times are to the second
    await world.containers.mirror.getBlockBlobClient('down/deep/y.txt').upload('deep/y.txt v2', 'deep/y.txt v2'.length);
    await world.containers.mirror.getBlobClient('down/x.txt').delete();
    fs.writeFileSync(path.join(root, 'local-only.txt'), 'mine');
    const changed = sync(prefixUrl('down/'), root, '--delete-destination');
    assert.equal(changed.status, 0, changed.stdout);
    assert.deepEqual(changed.blobs, { total: 2, copied: 1, skipped: 1, failed: 0, removed: 2 });
    assert.equal(fs.readFileSync(path.join(root, 'deep', 'y.txt'), 'utf8'), 'deep/y.txt v2');
    assert.equal(fs.existsSync(path.join(root, 'x.txt')), false);
    assert.equal(fs.existsSync(path.join(root, 'local-only.txt')), false, 'the destination holds what the source holds');
  });

  it('removes nothing when the copy did not end whole', async () => {
    // A name a disk cannot take fails its copy: the source was not copied whole.
    for (const name of ['ok.txt', `${'x'.repeat(300)}.txt`]) await world.containers.mirror.getBlockBlobClient(`guard/${name}`).upload('v1', 2);
    const root = path.join(world.disk, 'guard');
    write(root, 'extra.txt', 'only here');
    const run = sync(prefixUrl('guard/'), root, '--delete-destination');
    assert.equal(run.status, 1, run.stdout);
    assert.deepEqual(run.blobs, { total: 2, copied: 1, skipped: 0, failed: 1 });
    assert.ok(run.notes?.some((n) => /Nothing was removed/.test(n)), JSON.stringify(run.notes));
    assert.equal(fs.readFileSync(path.join(root, 'extra.txt'), 'utf8'), 'only here', 'kept: the source could not be read whole');
  });

  it('removes nothing from an empty or mistyped source, and refuses to remove renamed copies', async () => {
    const root = path.join(world.disk, 'kept');
    write(root, 'precious.txt', 'mine');
    const run = sync(prefixUrl('no-such-prefix/'), root, '--delete-destination');
    assert.equal(run.status, 0, run.stdout);
    assert.ok(run.notes?.some((n) => /source holds nothing/.test(n)), JSON.stringify(run.notes));
    assert.equal(fs.readFileSync(path.join(root, 'precious.txt'), 'utf8'), 'mine');
    const renamed = sync(root, prefixUrl('kept/'), '--delete-destination', '--invalid-names', 'rename');
    assert.equal(renamed.status, 2);
    assert.match(renamed.stdout, /CONFLICTING_OPTIONS/);
  });

  it('--compare md5 finds a change that kept the size and the modification time', async () => {
    const root = path.join(world.disk, 'md5');
    const when = new Date('2025-03-03T03:03:03Z');
    write(root, 'same-size.txt', 'AAAA', when);
    assert.deepEqual(sync(root, prefixUrl('md5/')).blobs, { total: 1, copied: 1, skipped: 0, failed: 0 });
    write(root, 'same-size.txt', 'BBBB', when);
    assert.deepEqual(sync(root, prefixUrl('md5/')).blobs, { total: 1, copied: 0, skipped: 1, failed: 0 }, 'size and time say the same');
    assert.deepEqual(sync(root, prefixUrl('md5/'), '--compare', 'md5').blobs, { total: 1, copied: 1, skipped: 0, failed: 0 }, 'the MD5s differ');
    assert.equal((await world.containers.mirror.getBlobClient('md5/same-size.txt').downloadToBuffer()).toString(), 'BBBB');
    assert.deepEqual(sync(root, prefixUrl('md5/'), '--compare', 'md5').blobs, { total: 1, copied: 0, skipped: 1, failed: 0 });
  });
});
