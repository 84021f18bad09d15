/**
 * A prefix copy lists each page of its source once: the inspection reads the first page as the
 * copy would list it, and the copy starts on that page instead of listing it again (a copy's
 * fixed cost is round trips). Counted as List Blobs requests through the proxy.
 */
import assert from 'node:assert/strict';
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

const DEV = 'devstoreaccount1';

/**
 * Copies `prefix` from the source, read through the proxy with a SAS that may read tags; the
 * source's listings: the pages (by the `marker` each asks for) and how many listings in all.
 */
async function copyCountingListings(prefix: string, expected: number, permissions = 'rlt'): Promise<{ pages: Array<string | null>; listings: number; notes: string[] }> {
  const from = fixture.proxy.requests.length;
  const source = fixture.azurite.containerSasUrl('source', DEV, permissions).replace(`http://127.0.0.1:${fixture.azurite.blobPort}`, fixture.proxy.origin).replace('?', `/${prefix}?`);
  const view = await fixture.copies.copy({ source, destination: fixture.azurite.containerSasUrl('target', SECOND_ACCOUNT).replace('?', `/${prefix}?`), options: { recursive: true } });
  assert.equal(view.runtimeStatus, 'Completed', JSON.stringify(view));
  assert.equal(view.blobs.copied, expected, JSON.stringify(view));
  const listings = fixture.proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path === `/${DEV}/source` && r.query.get('comp') === 'list');
  return { pages: listings.filter((r) => r.query.get('maxresults') !== '1').map((r) => r.query.get('marker')), listings: listings.length, notes: view.notes ?? [] };
}

describe('the listing of a prefix copy', () => {
  it('lists a one-page prefix once, while inspecting', async () => {
    const names = ['one/a b.txt', 'one/deep/x/y/z%#?.txt', 'one/ü.txt'];
    await Promise.all(names.map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    // One probe (can the SAS read tags?), one page.
    assert.deepEqual(await copyCountingListings('one/', names.length), { pages: [null], listings: 2, notes: [] });
  });

  it('asks nothing about tags when the SAS says it cannot read them: one listing in all', async () => {
    const names = ['three/a.txt', 'three/b/c.txt'];
    await Promise.all(names.map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    const { pages, listings, notes } = await copyCountingListings('three/', names.length, 'rl');
    assert.deepEqual({ pages, listings }, { pages: [null], listings: 1 });
    assert.ok(notes.some((n) => /Tags are not copied/.test(n)), JSON.stringify(notes));
  });

  it('lists each page of a longer prefix once: the first while inspecting, the next while copying', async () => {
    const names = Array.from({ length: 501 }, (_, i) => `two/f${String(i).padStart(3, '0')}.txt`);
    for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map((n) => fixture.source.getBlockBlobClient(n).upload(n, n.length)));
    const { pages } = await copyCountingListings('two/', names.length);
    assert.equal(pages.length, 2, JSON.stringify(pages));
    assert.equal(pages[0], null);
    assert.ok(pages[1], 'the second listing continues from the first page');
  });
});
