/**
 * The local disk endpoints (storage/file/) on a real filesystem in a temporary directory: names
 * that would leave the directory are refused before anything is written, files only ever
 * appear whole, the overwrite conditions hold at the rename, and a listing pages in the order
 * of full names.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileLocation, Location } from '../../src/contracts/locations';
import { fileNameProblem } from '../../src/storage/file/location';
import { lookAtLocal, openDestination, openSource } from '../../src/storage/registry';
import { sealedTransfer } from '../support/transfers';
import { makeTempDir, removeDir } from '../support/temp';

let dir: string;
before(() => {
  dir = makeTempDir('blobferry-file-endpoints-');
});
after(() => removeDir(dir));

const local = (p: string, role: 'source' | 'destination', recursive = true): FileLocation => lookAtLocal<FileLocation>({ kind: 'file', path: p }, role, recursive);
const AZURE: Location = { kind: 'azure-blob', serviceUrl: 'https://elsewhere.blob.core.windows.net', account: 'elsewhere', container: 'tests', path: '', emulator: false };
const destinationIn = (target: string) => openDestination(sealedTransfer(AZURE, local(target, 'destination'), 'user', { recursive: true }));

describe('the local destination', () => {
  it('refuses names that cannot be files here, before writing anything', async () => {
    const target = path.join(dir, 'target');
    const destination = await destinationIn(target);
    for (const name of ['../outside.txt', 'a/../../outside.txt', './a.txt', 'a/./b.txt', 'a//b.txt', '/abs.txt', 'trailing/', `${'x'.repeat(256)}.txt`, 'nul\0.txt', 'sneaky.blobferry-part']) {
      await assert.rejects(destination.destinationState(name), (err: { code?: string }) => err.code === 'INVALID_NAME' || err.code === 'SEAL_MISMATCH', name);
      await assert.rejects(destination.putWhole(name, Buffer.from('x'), Buffer.alloc(16), { properties: {} }, {}), (err: { code?: string }) => err.code === 'INVALID_NAME' || err.code === 'SEAL_MISMATCH', name);
    }
    assert.equal(fileNameProblem('ok/name with spaces %#?.txt'), undefined);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n !== 'target'), [], 'nothing written beside the target');
  });

  it('writes blocks aside and shows the file only when committed; "never" holds at the rename', async () => {
    const target = path.join(dir, 'blocks');
    const destination = await destinationIn(target);
    await destination.stageBody('sub/f.bin', 'b1', Buffer.from('world'), Buffer.alloc(16), 5);
    await destination.stageBody('sub/f.bin', 'b0', Buffer.from('hello'), Buffer.alloc(16), 0);
    assert.deepEqual([...(await destination.stagedBlocks('sub/f.bin'))].sort(), [['b0', 5], ['b1', 5]]);
    assert.equal(fs.existsSync(path.join(target, 'sub', 'f.bin')), false, 'not visible before the commit');
    // Someone writes the name meanwhile: "never" keeps theirs.
    fs.writeFileSync(path.join(target, 'sub', 'f.bin'), 'theirs');
    await assert.rejects(destination.commit('sub/f.bin', ['b0', 'b1'], { properties: {} }, { ifNoneMatch: '*' }), (err: { code?: string }) => err.code === 'DESTINATION_EXISTS');
    assert.equal(fs.readFileSync(path.join(target, 'sub', 'f.bin'), 'utf8'), 'theirs');
    const state = await destination.destinationState('sub/f.bin');
    assert.ok(state.exists);
    await destination.commit('sub/f.bin', ['b0', 'b1'], { properties: {}, lastModified: '2020-01-02T03:04:05.678Z' }, { ifMatch: state.etag });
    assert.equal(fs.readFileSync(path.join(target, 'sub', 'f.bin'), 'utf8'), 'helloworld');
    assert.equal(fs.statSync(path.join(target, 'sub', 'f.bin')).mtime.toISOString(), '2020-01-02T03:04:05.678Z');
    assert.deepEqual(fs.readdirSync(path.join(target, 'sub')), ['f.bin'], 'no temporary file left');
    // The same commit again (its result lost in a crash) finds its file in place.
    await destination.commit('sub/f.bin', ['b0', 'b1'], { properties: {}, lastModified: '2020-01-02T03:04:05.678Z' }, { ifNoneMatch: '*' });
  });

  it('never commits blocks that do not cover the file end to end, nor writes through a temporary name left linked to the file', async () => {
    const target = path.join(dir, 'gaps');
    const destination = await destinationIn(target);
    // Blocks recorded by a run with another block size: the same ids, other ranges.
    await destination.stageBody('g.bin', 'x0', Buffer.from('abcd'), undefined, 0);
    await destination.stageBody('g.bin', 'x1', Buffer.from('fghij'), undefined, 5);
    await assert.rejects(destination.commit('g.bin', ['x0', 'x1'], { properties: {} }, { ifNoneMatch: '*' }), (err: { code?: string }) => err.code === 'BLOCKS_LOST');
    assert.deepEqual(fs.readdirSync(target), [], 'nothing in place, nothing left aside');
    assert.deepEqual(await destination.stagedBlocks('g.bin'), new Map());

    // A crash between link() and unlinking the temporary name: the next run starts afresh and leaves the file alone.
    await destination.putWhole('h.bin', Buffer.from('final'), Buffer.alloc(16), { properties: {} }, { ifNoneMatch: '*' });
    const part = fs.readdirSync(target).length === 1 ? undefined : 'unexpected';
    assert.equal(part, undefined);
    await destination.stageBody('h.bin', 'y0', Buffer.from('new!!'), undefined, 0);
    const temporary = fs.readdirSync(target).find((n) => n.endsWith('.blobferry-part'))!;
    fs.rmSync(path.join(target, temporary));
    fs.linkSync(path.join(target, 'h.bin'), path.join(target, temporary));
    assert.deepEqual(await destination.stagedBlocks('h.bin'), new Map(), 'the leftover link is not reused');
    await destination.stageBody('h.bin', 'y0', Buffer.from('new!!'), undefined, 0);
    assert.equal(fs.readFileSync(path.join(target, 'h.bin'), 'utf8'), 'final', 'the file was not written through the link');
  });
});

describe('the local source', () => {
  it('lists files in the order of their full names, a page at a time, skipping symbolic links', async () => {
    const root = path.join(dir, 'listing');
    for (const name of ['a-b.txt', 'a/c.txt', 'a0.txt', 'a/b/d.txt', 'z.txt', 'empty/']) {
      const file = path.join(root, name);
      fs.mkdirSync(name.endsWith('/') ? file : path.dirname(file), { recursive: true });
      if (!name.endsWith('/')) fs.writeFileSync(file, name);
    }
    fs.symlinkSync(path.join(root, 'z.txt'), path.join(root, 'link.txt'));
    fs.symlinkSync(dir, path.join(root, 'loop'));
    const source = await openSource(sealedTransfer(local(root, 'source'), undefined, 'user', { recursive: true }));
    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await source.listPage('', next, 2, { keep: () => true, tags: false });
      assert.ok(page.items.length <= 2);
      names.push(...page.items.map((b) => b.name));
      next = page.next;
    } while (next);
    assert.deepEqual(names, ['a-b.txt', 'a/b/d.txt', 'a/c.txt', 'a0.txt', 'z.txt']);
    assert.deepEqual(names, [...names].sort(), 'the order of full names');
    for (const outside of ['../outside.txt', 'a/../../x', '/etc/hostname', 'a//c.txt']) {
      await assert.rejects(source.stat(outside, { tags: false }), (err: { code?: string }) => err.code === 'SOURCE_NOT_FOUND' || err.code === 'SEAL_MISMATCH', outside);
    }
  });
});
