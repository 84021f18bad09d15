/**
 * Exactly once after any crash: `blobferry copy` of a prefix killed with SIGKILL while its writes
 * are in flight (a slowed destination), twice, then run to the end. Under every overwrite policy
 * and strategy the destination holds exactly one copy of each source, byte for byte, and the
 * report counts this copy's own writes as copied: an activity that ran again adopted what it had
 * written before the kill instead of skipping it, writing it again or renaming it. Blobs that
 * were there before the copy are still treated by the policy.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import { copyInChild, killWhen } from '../support/cli';
import { startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

/**
 * The suite's scale (kept within CI's time); BLOBFERRY_CRASH_BLOBS=1000 BLOBFERRY_CRASH_KILLS=10
 * runs the full scale: kill -9 at 10 moments of a 1,000-blob prefix.
 */
const COUNT = Number(process.env.BLOBFERRY_CRASH_BLOBS ?? 80);
const KILLS = Number(process.env.BLOBFERRY_CRASH_KILLS ?? 2);
/** Destination blobs that exist before the copy, under the same names as these sources. */
const EXISTING = [3, 17, 42].filter((i) => i < Number(process.env.BLOBFERRY_CRASH_BLOBS ?? 80));
let azurite: TestAzurite;
let proxy: StorageProxy;
let source: ContainerClient;
let target: ContainerClient;
let stateDir: string;
const bodies = new Map<string, Buffer>();

/** Edge sizes and names: empty, one byte, spaces, "#", "%", unicode, deep folders. */
function sourceName(i: number): string {
  return `d${i % 3}/deep ${i % 2}/${['plain', 'with #hash', '100% sure', 'naïve ☃'][i % 4]}-${i}.bin`;
}

before(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageProxy(azurite.blobPort, { accounts: azurite.accounts });
  source = azurite.blobService().getContainerClient('crash-src');
  target = azurite.blobService(SECOND_ACCOUNT).getContainerClient('crash-dst');
  await Promise.all([source.create(), target.create()]);
  stateDir = makeTempDir('blobferry-crash-state-');
  for (let i = 0; i < COUNT; i++) {
    const body = randomBytes(i % 10 === 0 ? 0 : i % 10 === 1 ? 1 : 200 + i * 37);
    bodies.set(sourceName(i), body);
    await source.getBlockBlobClient(sourceName(i)).uploadData(body);
  }
  // Every write through the proxy takes a while: kills land while writes are in flight.
  proxy.rules.push({ match: (r) => r.method === 'PUT', delayMs: 25 });
});
after(async () => {
  await proxy.close();
  await azurite.cleanup();
  removeDir(stateDir);
});

const env = () => ({ ...process.env, BLOBFERRY_STATE_DIR: stateDir, BLOBFERRY_SEAL_KEY: '' });
const srcUrl = () => `${azurite.containerSasUrl('crash-src', 'devstoreaccount1', 'rl').replace('?', '/?')}`;
const dstUrl = (prefix: string) => `${proxy.origin}/${SECOND_ACCOUNT}/crash-dst/${prefix}/?${new URL(azurite.containerSasUrl('crash-dst', SECOND_ACCOUNT)).searchParams}`;
const writes = () => proxy.requests.filter((r) => r.method === 'PUT' && r.status >= 200 && r.status < 300).length;

/** Runs `blobferry copy` and kills it once `more` writes went through after it started; whether it was killed mid-copy. */
function killAfterWrites(args: string[], more: number): Promise<boolean> {
  const start = writes();
  return killWhen(args, env(), () => writes() - start >= more);
}

async function listed(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of target.listBlobsFlat({ prefix: `${prefix}/` })) names.push(b.name.slice(prefix.length + 1));
  return names.sort();
}

const cases: Array<[policy: string, strategy: string]> = [
  ['never', 'auto'],
  ['always', 'auto'],
  ['always', 'server-copy'],
  ['if-source-newer', 'auto'],
  ['rename', 'auto'],
  ['rename', 'relay'],
  ['never', 'block-copy'],
  ['never', 'server-copy'],
];

describe('a prefix copy killed twice mid-write, then resumed', () => {
  for (const [policy, strategy] of cases) {
    it(`--overwrite ${policy}, --strategy ${strategy}: one copy of each source, counted as copied`, async () => {
      const prefix = `${policy}-${strategy}`;
      // Older blobs under some of the names (the policy decides about these).
      for (const i of EXISTING) await target.getBlockBlobClient(`${prefix}/${sourceName(i)}`).upload('older', 5);
      if (policy === 'if-source-newer') {
        // The sources are newer than those (so they are copied over them); Last-Modified counts seconds.
        await new Promise((resolve) => setTimeout(resolve, 1100));
        for (const i of EXISTING) await source.getBlockBlobClient(sourceName(i)).uploadData(bodies.get(sourceName(i))!);
      }
      const args = [srcUrl(), dstUrl(prefix), '--recursive', '--overwrite', policy, '--strategy', strategy, '--concurrency', '4', '--json'];
      // Kills at random moments spread over the copy, all before it could end on its own (a run
      // after the copy ended is another run, which the last test covers).
      for (let k = 0; k < KILLS; k++) {
        const killed = await killAfterWrites(args, 3 + randomInt(Math.max(1, Math.floor(COUNT / (KILLS + 1)) - 3)));
        assert.ok(killed, `kill ${k + 1} came after the copy had ended`);
      }
      const last = await copyInChild(args, env());
      assert.equal(last.status, 0, last.stdout + last.stderr);
      const report = JSON.parse(last.stdout) as { blobs: Record<string, number>; renamed?: Array<{ source: string; destination: string }> };

      const names = await listed(prefix);
      const kept = policy === 'never';
      const expectedCopied = kept ? COUNT - EXISTING.length : COUNT;
      assert.deepEqual(report.blobs, { total: COUNT, copied: expectedCopied, skipped: COUNT - expectedCopied, failed: 0 }, JSON.stringify(report));
      // rename: the older blobs stay, their sources' copies are beside them under new names.
      assert.equal(names.length, policy === 'rename' ? COUNT + EXISTING.length : COUNT, `no duplicates: ${names.length} blobs`);
      assert.equal(report.renamed?.length ?? 0, policy === 'rename' ? EXISTING.length : 0, 'the report lists the renamed copies, and only those');
      for (const [name, body] of bodies) {
        const i = Number(/-(\d+)\.bin$/.exec(name)![1]);
        const existed = EXISTING.includes(i);
        if (existed && policy === 'never') {
          assert.equal((await target.getBlobClient(`${prefix}/${name}`).downloadToBuffer()).toString(), 'older', `${name} kept`);
          continue;
        }
        if (existed && policy === 'rename') {
          const stem = name.slice(0, -'.bin'.length);
          const renamed = names.filter((n) => n.startsWith(`${stem}_`) && n.endsWith('.bin'));
          assert.equal(renamed.length, 1, `${name}: one renamed copy, not ${renamed.join(', ')}`);
          // The report says where it went.
          const said = report.renamed?.find((r) => r.source.endsWith(`/crash-src/${name}`));
          assert.ok(said && said.destination.endsWith(`/${prefix}/${renamed[0]}`), `${name}: ${JSON.stringify(report.renamed)}`);
          assert.equal(md5(await target.getBlobClient(`${prefix}/${renamed[0]}`).downloadToBuffer()), md5(body), `${renamed[0]} bytes`);
          continue;
        }
        assert.equal(md5(await target.getBlobClient(`${prefix}/${name}`).downloadToBuffer()), md5(body), `${name} bytes`);
      }
    });
  }

  it('a later run of the same copy treats what the first run wrote as existing blobs (skipped under never)', async () => {
    const args = [srcUrl(), dstUrl('never-auto'), '--recursive', '--overwrite', 'never', '--concurrency', '4', '--json'];
    const again = await copyInChild(args.filter((a) => a !== '--json'), env());
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`0 copied, ${COUNT} skipped`));
  });
});
