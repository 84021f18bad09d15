/**
 * A prefix copy keeps its work in a sliding window: a slow task holds back only itself. Measured
 * as the order in which the destination answered writes (the proxy records each answer), not as
 * time.
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

/** Copies the source's `folder/` to the target's through the proxy at --concurrency 2, every blob of it; the proxy's rules are cleared after. */
async function copyFolder(folder: string, count: number): Promise<void> {
  const destination = `${fixture.proxy.origin}/${SECOND_ACCOUNT}/target/${folder}/?${new URL(fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
  try {
    const view = await fixture.copies.copy({ source: fixture.azurite.containerSasUrl('source', 'devstoreaccount1', 'rl').replace('?', `/${folder}/?`), destination, options: { recursive: true, concurrency: 2 } });
    assert.equal(view.blobs.copied, count, JSON.stringify(view));
  } finally {
    fixture.proxy.rules.length = 0;
  }
}

describe('the sliding window of a prefix copy', () => {
  it('copies the batches listed after a slow one while it is still running', async () => {
    // 5 batches of 64 small blobs; --concurrency 2 keeps two batches in flight. The first
    // blob of the first batch is slow: in waves, batches 3-5 would wait for it.
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
    // 8 small blobs (the first page, inspection's) at --concurrency 2: the window holds two
    // batches of 2 requests each; one batch of all 8 would keep only 2 in flight.
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
    assert.equal(most, 4, 'two batches of two writes in flight at once');
  });
});
