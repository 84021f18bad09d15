/**
 * A prefix copy keeps its work in a sliding window: a slow task holds back only itself. Measured
 * at the proxy (the order in which the destination answered writes, and how many it held at once),
 * not as time.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SECOND_ACCOUNT } from '../support/azurite';
import { startProxiedCopyFixture, type ProxiedCopyFixture } from '../support/copyFixture';

let fixture: ProxiedCopyFixture;

before(async () => {
  fixture = await startProxiedCopyFixture();
});
after(async () => {
  await fixture.stop();
});

/** Copies the source's `folder/` to the target's through the proxy (at --concurrency 2 unless said), every blob of it; the proxy's rules are cleared after. */
async function copyFolder(folder: string, count: number, concurrency = 2): Promise<void> {
  const destination = `${fixture.proxy.origin}/${SECOND_ACCOUNT}/target/${folder}/?${new URL(fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
  try {
    const view = await fixture.copies.copy({ source: fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('?', `/${folder}/?`), destination, options: { recursive: true, concurrency } });
    assert.equal(view.blobs.copied, count, JSON.stringify(view));
  } finally {
    fixture.proxy.rules.length = 0;
  }
}

describe('the sliding window of a prefix copy', () => {
  it('copies the batches listed after a slow one while it is still running', async () => {
    // 320 small blobs in batches (the first page's 64 in four, the rest in fours of 64);
    // --concurrency 2 keeps four batches in flight. The first blob is slow: in waves, the blobs
    // after the first 128 would wait for it.
    const names = Array.from({ length: 5 * 64 }, (_, i) => `window/f${String(i).padStart(3, '0')}.txt`);
    for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    const writesTo = (name: string) => (r: { method: string; path: string }) => r.method === 'PUT' && decodeURIComponent(r.path).endsWith(`/target/${name}`);
    fixture.proxy.rules.push({ match: writesTo(names[0]), delayMs: 5000 });
    await copyFolder('window', names.length);
    // The position of each blob's last write among the answers.
    const answered = (name: string) => fixture.proxy.requests.findLastIndex(writesTo(name));
    const slow = answered(names[0]);
    const later = names.slice(2 * 64).map(answered);
    assert.ok(later.every((at) => at >= 0), 'every blob was written through the proxy');
    const after = later.filter((at) => at > slow).length;
    assert.equal(after, 0, `${after} of the ${later.length} blobs of batches 3-5 were written after the slow blob: they waited for it`);
  });

  it('fills the window from a short first page: its small blobs in as many batches as the window holds', async () => {
    // 8 small blobs (the first page, inspection's) at --concurrency 2: the window holds four
    // batches of 1 request each; one batch of all 8 would keep only 1 in flight.
    const names = Array.from({ length: 8 }, (_, i) => `first/f ${i}.txt`);
    await Promise.all(names.map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    let inFlight = 0;
    let most = 0;
    fixture.proxy.rules.push({
      match: (r) => r.method === 'PUT' && decodeURIComponent(r.path).includes('/target/first/'),
      // Each write held half a second: those that overlap are in flight together.
      before: async () => {
        most = Math.max(most, ++inFlight);
        await sleep(500);
        inFlight--;
      },
    });
    await copyFolder('first', names.length);
    assert.equal(most, 4, 'four writes in flight at once');
  });

  it('keeps the window full while a slow blob holds its batch: only that batch\'s share of the window waits', async () => {
    // --concurrency 4: 8 writes in flight, four batches of 2. The first blob's write is held until
    // the rest of the first page (inspection's 64, however it is batched) is written and the
    // batches of the next page are seen keeping 6 more in flight beside it. Two batches of 4
    // would keep 4 more: the held write's batch keeps its whole share of the window.
    const names = Array.from({ length: 200 }, (_, i) => `share/f ${String(i).padStart(3, '0')}.txt`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    const nameOf = (r: { path: string }) => decodeURIComponent(r.path).split('/target/')[1];
    const firstPage = new Set(names.slice(1, 64));
    let inFlight = 0;
    let held = true;
    let mostWhileHeld = 0;
    fixture.proxy.rules.push({
      match: (r) => r.method === 'PUT' && nameOf(r)?.startsWith('share/'),
      before: async (r) => {
        inFlight++;
        if (held && firstPage.size === 0) mostWhileHeld = Math.max(mostWhileHeld, inFlight);
        if (nameOf(r) === names[0]) {
          // Released once seen full, or after 20 s (the assertion then says what was seen).
          for (const giveUp = Date.now() + 20_000; mostWhileHeld < 7 && Date.now() < giveUp; ) await sleep(10);
          held = false;
        } else await sleep(100);
        inFlight--;
        firstPage.delete(nameOf(r));
      },
    });
    await copyFolder('share', names.length, 4);
    assert.equal(mostWhileHeld, 7, 'the held write and three batches of two in flight, once the rest of the first page was written');
  });
});
