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
