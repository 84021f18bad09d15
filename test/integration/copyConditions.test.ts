/**
 * The overwrite policies, enforced at commit; a destination written while blocks are being
 * staged; a source that changes between two staging steps. A proxy in front of the destination
 * lets a test act at a precise point of a copy.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import type { DestinationCursor } from '../../src/storage/endpoint';
import { openDestination, parseLocation } from '../../src/storage/registry';
import { sealedTransfer } from '../support/transfers';
import type { CopyHost } from '../support/copyHost';
import { startProxiedCopyFixture, type ProxiedCopyFixture } from '../support/copyFixture';
import type { ProxiedRequest, StorageProxy } from '../support/storageProxy';

const MiB = 1024 * 1024;
let fixture: ProxiedCopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let proxy: StorageProxy;
let source: ContainerClient;
let target: ContainerClient;
let n = 0;

before(async () => {
  fixture = await startProxiedCopyFixture();
  ({ azurite, copies, source, target, proxy } = fixture);
});
beforeEach(() => {
  proxy.rules.length = 0;
  n++;
});
after(() => fixture.stop());

const srcUrl = (name: string) => azurite.blobSasUrl('source', name, 'devstoreaccount1', 'r');
/** The destination through the proxy. */
const dstUrl = (name: string) => `${proxy.origin}/${SECOND_ACCOUNT}/target/${name}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
const isStage = (r: ProxiedRequest) => r.method === 'PUT' && r.query.get('comp') === 'block';
const text = async (name: string) => (await target.getBlobClient(name).downloadToBuffer()).toString();

/** A 4-block source copied one block at a time: room to act between steps. */
async function fourBlocks(name: string): Promise<Buffer> {
  const body = randomBytes(4 * MiB);
  await source.getBlockBlobClient(name).uploadData(body);
  return body;
}

const slowCopy = (strategy: string, policy: string) => ({ strategy, overwrite: policy, blockSizeMiB: 1, concurrency: 1 });

for (const strategy of ['block-copy', 'relay'] as const) {
  describe(`overwrite policies (${strategy})`, () => {
    it('never: an existing destination is skipped and left as it was', async () => {
      await source.getBlockBlobClient(`never-${n}`).upload('new', 3);
      await target.getBlockBlobClient(`never-${n}`).upload('old', 3);
      const result = await copies.copy({ source: srcUrl(`never-${n}`), destination: dstUrl(`never-${n}`), options: { strategy } });
      assert.deepEqual(result.blobs, { total: 1, copied: 0, skipped: 1, failed: 0 });
      assert.equal(await text(`never-${n}`), 'old');
    });

    it('always: an existing destination is replaced', async () => {
      await source.getBlockBlobClient(`always-${n}`).upload('new', 3);
      await target.getBlockBlobClient(`always-${n}`).upload('old', 3);
      const result = await copies.copy({ source: srcUrl(`always-${n}`), destination: dstUrl(`always-${n}`), options: { strategy, overwrite: 'always' } });
      assert.equal(result.blobs.copied, 1);
      assert.equal(await text(`always-${n}`), 'new');
    });

    it('if-source-newer: copies over an older destination, skips a newer one', async () => {
      await target.getBlockBlobClient(`older-${n}`).upload('old', 3);
      await source.getBlockBlobClient(`newer-${n}`).upload('new', 3);
      await sleep(1100);
      await source.getBlockBlobClient(`older-${n}`).upload('new', 3);
      await target.getBlockBlobClient(`newer-${n}`).upload('kept', 4);
      const over = await copies.copy({ source: srcUrl(`older-${n}`), destination: dstUrl(`older-${n}`), options: { strategy, overwrite: 'if-source-newer' } });
      assert.equal(over.blobs.copied, 1);
      assert.equal(await text(`older-${n}`), 'new');
      const kept = await copies.copy({ source: srcUrl(`newer-${n}`), destination: dstUrl(`newer-${n}`), options: { strategy, overwrite: 'if-source-newer' } });
      assert.equal(kept.blobs.skipped, 1);
      assert.equal(await text(`newer-${n}`), 'kept');
    });

    it('rename: writes beside an existing destination, under a suffixed name', async () => {
      await source.getBlockBlobClient(`reports/report-${n}.pdf`).upload('new', 3);
      await target.getBlockBlobClient(`reports/report-${n}.pdf`).upload('old', 3);
      const result = await copies.copy({ source: srcUrl(`reports/report-${n}.pdf`), destination: dstUrl(`reports/report-${n}.pdf`), options: { strategy, overwrite: 'rename' } });
      assert.equal(result.blobs.copied, 1);
      assert.equal(await text(`reports/report-${n}.pdf`), 'old');
      const names: string[] = [];
      for await (const b of target.listBlobsFlat({ prefix: `reports/report-${n}_` })) names.push(b.name);
      assert.equal(names.length, 1);
      assert.match(names[0], new RegExp(`^reports/report-${n}_[A-Za-z0-9]{6}\\.pdf$`));
      assert.equal(await text(names[0]), 'new');
    });
  });

  describe(`a destination written while blocks are staged (${strategy})`, () => {
    /** Writes `content` to the destination when the second block is staged. */
    const writeDuringCopy = (name: string, content: string) => {
      let staged = 0;
      proxy.rules.push({
        match: (r) => isStage(r) && r.path.endsWith(`/${name}`) && ++staged === 2,
        before: async () => void (await target.getBlockBlobClient(name).upload(content, content.length)),
      });
    };

    it('never: the commit finds it and leaves it alone', async () => {
      const name = `race-never-${n}`;
      await fourBlocks(name);
      writeDuringCopy(name, 'theirs');
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy(strategy, 'never') });
      assert.deepEqual(result.blobs, { total: 1, copied: 0, skipped: 1, failed: 0 }, JSON.stringify(result));
      assert.equal(await text(name), 'theirs');
    });

    it('if-source-newer: the destination changed since it was compared, so it is left alone', async () => {
      const name = `race-newer-${n}`;
      await target.getBlockBlobClient(name).upload('older', 5);
      await sleep(1100);
      await fourBlocks(name);
      writeDuringCopy(name, 'theirs');
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy(strategy, 'if-source-newer') });
      assert.equal(result.blobs.skipped, 1, JSON.stringify(result));
      assert.equal(await text(name), 'theirs');
    });

    it('rename: the name was taken meanwhile, so the copy lands under a new one', async () => {
      const name = `race-rename-${n}.bin`;
      const body = await fourBlocks(name);
      writeDuringCopy(name, 'theirs');
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy(strategy, 'rename') });
      assert.equal(result.blobs.copied, 1, JSON.stringify(result));
      assert.equal(await text(name), 'theirs');
      const renamed: string[] = [];
      for await (const b of target.listBlobsFlat({ prefix: `race-rename-${n}_` })) renamed.push(b.name);
      assert.equal(renamed.length, 1);
      assert.equal(md5(await target.getBlobClient(renamed[0]).downloadToBuffer()), md5(body));
    });

    it('always: the copy replaces what was written meanwhile', async () => {
      const name = `race-always-${n}`;
      const body = await fourBlocks(name);
      writeDuringCopy(name, 'theirs');
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy(strategy, 'always') });
      assert.equal(result.blobs.copied, 1, JSON.stringify(result));
      assert.equal(md5(await target.getBlobClient(name).downloadToBuffer()), md5(body));
    });
  });

  describe(`a source that changes mid-copy (${strategy})`, () => {
    it('fails that blob with SOURCE_CHANGED and commits nothing', async () => {
      const name = `changing-${n}`;
      await fourBlocks(name);
      let staged = 0;
      proxy.rules.push({
        match: (r) => isStage(r) && r.path.endsWith(`/${name}`) && ++staged === 2,
        before: async () => void (await source.getBlockBlobClient(name).uploadData(randomBytes(4 * MiB))),
      });
      const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy(strategy, 'never') });
      assert.deepEqual(result.blobs, { total: 1, copied: 0, skipped: 0, failed: 1 }, JSON.stringify(result));
      assert.equal(result.failures[0].code, 'SOURCE_CHANGED');
      assert.match(result.failures[0].message, /changed while it was being copied/);
      assert.equal(await target.getBlobClient(name).exists(), false, 'nothing was committed');
    });
  });
}

describe('sync reads the destination by listing, not a look each', () => {
  /** Names a user has: spaces, unicode, %, #, ?, deep directories; 0 and 1 byte among them. */
  const nameOf = (i: number) => {
    const pad = String(i).padStart(4, '0');
    return [`deep/a/b/c/f-${pad}.txt`, `sp ace ${pad}.txt`, `ünï-${pad}-✓.txt`, `pct%20-${pad}#h?q.txt`, `f-${pad}.bin`][i % 5];
  };
  const bodyOf = (i: number) => (i % 7 === 0 ? '' : i % 7 === 1 ? 'x' : `body of ${nameOf(i)}`);
  /** The prefix as a container SAS URL (the destination's through the proxy, with `permissions`). */
  const prefixUrl = (container: 'source' | 'target', prefix: string, permissions?: string) => {
    const url = new URL(azurite.containerSasUrl(container, container === 'source' ? undefined : SECOND_ACCOUNT, permissions));
    url.pathname += `/${prefix}/`;
    return container === 'target' ? `${proxy.origin}${url.pathname}${url.search}` : url.toString();
  };
  const destinationLooks = (from: number) => proxy.requests.slice(from).filter((r) => r.method === 'HEAD' && r.path.includes('/target/') && !r.path.endsWith('.blobferry-probe'));
  const destinationListings = (from: number) => proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.query.get('comp') === 'list');

  it('copies only what changed over several listing pages, without a HEAD per destination; one without list permission falls back to looks', async () => {
    const prefix = `sync-${n}`;
    const count = 601; // the inspection's first page (64), a full page (500) and a short one
    await Promise.all(Array.from({ length: count }, (_, i) => source.getBlockBlobClient(`${prefix}/${nameOf(i)}`).upload(bodyOf(i), Buffer.byteLength(bodyOf(i)))));
    const sync = (permissions?: string) => copies.copy({ source: prefixUrl('source', prefix), destination: prefixUrl('target', prefix, permissions), options: { recursive: true, overwrite: 'if-different' } });
    assert.deepEqual((await sync()).blobs, { total: count, copied: count, skipped: 0, failed: 0 });

    // Changed: an empty one grown (size), one rewritten at the same size (newer), one in each later page; and one new.
    await sleep(1100);
    const changed = [0, 2, 300, 598];
    for (const i of changed) await source.getBlockBlobClient(`${prefix}/${nameOf(i)}`).upload(`${bodyOf(i).replace(/./g, 'Z') || 'grown'}`, Math.max(5, Buffer.byteLength(bodyOf(i))));
    await source.getBlockBlobClient(`${prefix}/new one ✓.txt`).upload('new', 3);
    const before = proxy.requests.length;
    const again = await sync();
    assert.deepEqual(again.blobs, { total: count + 1, copied: changed.length + 1, skipped: count - changed.length, failed: 0 }, JSON.stringify(again));
    assert.ok(destinationLooks(before).length <= changed.length + 1, `HEADs only for what is copied, not ${destinationLooks(before).length}`);
    assert.ok(destinationListings(before).length >= 2, 'the destination listed instead');
    for (const i of changed) assert.equal(await text(`${prefix}/${nameOf(i)}`), (await source.getBlobClient(`${prefix}/${nameOf(i)}`).downloadToBuffer()).toString());
    assert.equal(await text(`${prefix}/new one ✓.txt`), 'new');

    // A destination SAS that cannot list: each destination is looked at instead, with the same decisions.
    await sleep(1100);
    await source.getBlockBlobClient(`${prefix}/${nameOf(450)}`).upload('changed again', 13);
    const unlisted = proxy.requests.length;
    const looked = await sync('racwd');
    assert.deepEqual(looked.blobs, { total: count + 1, copied: 1, skipped: count, failed: 0 }, JSON.stringify(looked));
    assert.ok(destinationLooks(unlisted).length >= count, 'a look each');
    assert.equal(await text(`${prefix}/${nameOf(450)}`), 'changed again');
  });

  it('reads the listing in step: from where the last call left off, until past the last name asked for, four pages at most', async () => {
    const prefix = `states-${n}/`;
    const names = [...Array.from({ length: 30 }, (_, i) => `a-${String(i).padStart(3, '0')}`), ...Array.from({ length: 10 }, (_, i) => `b-${String(i).padStart(3, '0')}`), 'c-001'];
    await Promise.all(names.map((name) => target.getBlockBlobClient(`${prefix}${name}`).upload(name, name.length)));
    const location = parseLocation(prefixUrl('target', prefix.slice(0, -1)), 'destination');
    const destination = await openDestination(sealedTransfer(location, location, 'user', { recursive: true }));
    let cursor: DestinationCursor = {};
    /** Asks for `wanted` from `cursor` in pages of 10, and moves the cursor on. */
    const ask = async (wanted: string[], from = cursor) => {
      const before = proxy.requests.length;
      const answer = await destination.existingStates!(prefix, wanted.map((w) => `${prefix}${w}`), from, 10);
      cursor = answer.cursor;
      return { found: [...answer.states.keys()].map((k) => k.slice(prefix.length)).sort(), listings: destinationListings(before).length, states: answer.states };
    };
    const first = await ask(['a-001', 'a-015']);
    assert.deepEqual([first.found, first.listings], [['a-001', 'a-015'], 2], 'a-000…a-019: two pages');
    // Goes on from the page that held a-015 (not from the start); a missing name is passed over.
    const second = await ask(['a-0155', 'a-017', 'a-025']);
    assert.deepEqual([second.found, second.listings], [['a-017', 'a-025'], 2]);
    const third = await ask(['c-001']);
    assert.deepEqual([third.found, third.listings, cursor], [['c-001'], 3, { done: true }], 'a-020…c-001, to the end of the listing');
    const state = third.states.get(`${prefix}c-001`);
    assert.ok(state?.exists);
    assert.equal(state.size, 5);
    assert.deepEqual(await ask(['d-001']), { found: [], listings: 0, states: new Map() }, 'a listing read to its end is not read again');
    // From the start, four pages at most: c-001 is not reached, and is left for a look of its own.
    const far = await ask(['c-001'], {});
    assert.deepEqual([far.found, far.listings], [[], 4]);
    assert.ok(cursor.token, 'the next call goes on from the fifth page');
  });
});

describe('start-up', () => {
  it('lists the source\'s first page while the destination is probed, not after', async () => {
    const prefix = `startup-${n}`;
    await Promise.all(['a', 'b'].map((k) => source.getBlockBlobClient(`${prefix}/${k}.txt`).upload(k, 1)));
    let probing = false;
    let listedWhileProbing = false;
    // The destination's probe is held 400 ms; a listing of the source that arrives meanwhile is noted.
    const holdProbe = async () => {
      probing = true;
      await sleep(400);
      probing = false;
    };
    proxy.rules.push(
      { match: (r) => r.method === 'HEAD' && r.path.endsWith('.blobferry-probe'), before: holdProbe },
      { match: (r) => r.method === 'GET' && r.query.get('comp') === 'list' && r.path.includes('/source'), before: () => void (listedWhileProbing ||= probing) },
    );
    // Both sides through the proxy, to see when each request arrives.
    const through = (url: string) => url.replace(/^http:\/\/[^/]+/, proxy.origin);
    const result = await copies.copy({ source: through(azurite.containerSasUrl('source').replace('?', `/${prefix}/?`)), destination: through(azurite.containerSasUrl('target', SECOND_ACCOUNT).replace('?', `/${prefix}/?`)), options: { recursive: true, strategy: 'relay' } });
    assert.equal(result.blobs.copied, 2, JSON.stringify(result));
    assert.ok(listedWhileProbing, 'the source was listed while the destination probe was still unanswered');
  });
});

describe('progress', () => {
  it('shows phase, bytes done and total, rate and strategy in custom status while copying', async () => {
    const name = `progress-${n}`;
    await fourBlocks(name);
    const seen: Array<Record<string, unknown>> = [];
    let staged = 0;
    proxy.rules.push({
      match: (r) => isStage(r) && r.path.endsWith(`/${name}`) && ++staged >= 3,
      before: () => {
        const transfer = [...copies.host.engine.list({ runtimeStatus: ['Running'] }).instances].find((i) => i.name === 'copyBlob');
        if (transfer) seen.push(transfer.customStatus as Record<string, unknown>);
      },
    });
    const result = await copies.copy({ source: srcUrl(name), destination: dstUrl(name), options: slowCopy('block-copy', 'never') });
    assert.equal(result.blobs.copied, 1);
    const during = seen.find((s) => (s.bytes as { copied: number }).copied > 0);
    assert.ok(during, JSON.stringify(seen));
    assert.equal(during.phase, 'copying');
    assert.equal((during.bytes as { total: number }).total, 4 * MiB);
    assert.equal(during.strategy, 'block-copy');
    assert.equal(typeof during.rateBytesPerSec, 'number');
  });
});
