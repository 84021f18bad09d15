/**
 * `blobferry jobs`: the copies `blobferry copy` ran on this machine, listed, shown, resumed,
 * cancelled (interrupted ones here, running ones in the process that runs them) and cleaned,
 * all through real processes (copies killed with SIGKILL) against real Azurite.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECOND_ACCOUNT } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import { cliInChild, copyInChild, killMidCopy } from '../support/cli';
import { cliWorld } from '../support/cliWorld';

const MiB = 1024 * 1024;
const world = cliWorld('jobs', ['source', 'target']);
const srcUrl = (name: string) => world.url('source', name, { permissions: 'r' });
const dstUrl = (name: string) => world.url('target', name, { viaProxy: true });
/** A block copy through the proxy, one block of 1 MiB at a time, each block slowed down. */
const slowCopy = (name: string) => [srcUrl(`jobs/${name}`), dstUrl(`jobs/${name}`), '--strategy', 'block-copy', '--block-size', '1', '--concurrency', '1'];

interface JobJson {
  id: string;
  state: string;
  pid?: number;
  source?: string;
  destination?: string;
  runtimeStatus: string;
  phase: string;
  cancelled?: boolean;
  blobs: { total: number; copied: number };
}

const jobs = async (...args: string[]) => {
  const run = await cliInChild(['jobs', ...args], world.env());
  return { ...run, json: args.includes('--json') && run.stdout.trim() ? (JSON.parse(run.stdout) as Record<string, unknown>) : {} };
};
const listed = async (...args: string[]) => ((await jobs('list', '--json', ...args)).json.copies ?? []) as JobJson[];
const jobFor = async (name: string) => (await listed()).find((j) => j.source?.endsWith(`/jobs/${name}`));

async function upload(name: string, size: number): Promise<Buffer> {
  const data = randomBytes(size);
  await world.containers.source.getBlockBlobClient(`jobs/${name}`).uploadData(data);
  return data;
}

describe('blobferry jobs', () => {
  before(() => world.proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.path.includes('/jobs/'), delayMs: 40 }));
  after(() => (world.proxy.rules.length = 0));

  it('lists and shows an interrupted copy, resumes it when asked, and cleans up after it', async () => {
    const data = await upload('resumed.bin', 6 * MiB);
    await killMidCopy(slowCopy('resumed.bin'), world.env(), world.proxy, world.proxy.stagedBlocks() + 2);

    const interrupted = await jobFor('resumed.bin');
    assert.ok(interrupted, JSON.stringify(await listed()));
    assert.equal(interrupted.state, 'interrupted');
    assert.equal(interrupted.destination, `${world.proxy.origin}/${SECOND_ACCOUNT}/target/jobs/resumed.bin`, 'places shown without their SAS');
    assert.deepEqual((await listed('--status', 'interrupted')).map((j) => j.id), [interrupted.id]);
    assert.deepEqual(await listed('--status', 'running'), []);
    const shown = await jobs('show', interrupted.id, '--json');
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(shown.json.state, 'interrupted');
    assert.equal((shown.json.bytes as { total: number }).total, 6 * MiB);
    const text = await jobs('show', interrupted.id);
    assert.match(text.stdout, /interrupted \(blobferry jobs resume copy-/);
    assert.doesNotMatch(text.stdout + JSON.stringify(shown.json), /sig=/);

    const resumed = await jobs('resume', interrupted.id, '--json');
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    assert.equal(resumed.json.runtimeStatus, 'Completed');
    assert.equal(md5(await world.containers.target.getBlobClient('jobs/resumed.bin').downloadToBuffer()), md5(data));

    const ended = await jobFor('resumed.bin');
    assert.equal(ended?.state, 'ended', 'its report stays after its state is gone');
    assert.equal(ended?.phase, 'done');
    const again = await jobs('resume', interrupted.id, '--json');
    assert.equal(again.status, 2);
    assert.equal((again.json.error as { code: string }).code, 'NOT_RUNNING');
    const cleaned = await jobs('clean', '--json');
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.ok((cleaned.json.removed as string[]).includes(interrupted.id));
    assert.equal(await jobFor('resumed.bin'), undefined);
    assert.equal(fs.existsSync(path.join(world.stateDir, 'copies', interrupted.id)), false);
  });

  it('cancels an interrupted copy here, and a running copy in the process that runs it', async () => {
    await upload('dropped.bin', 6 * MiB);
    await killMidCopy(slowCopy('dropped.bin'), world.env(), world.proxy, world.proxy.stagedBlocks() + 2);
    const dropped = (await jobFor('dropped.bin'))!;
    const cancelled = await jobs('cancel', dropped.id, '--json');
    assert.equal(cancelled.status, 0, cancelled.stdout + cancelled.stderr);
    assert.equal(cancelled.json.cancelled, true, JSON.stringify(cancelled.json));
    assert.equal(await world.containers.target.getBlobClient('jobs/dropped.bin').exists(), false, 'nothing committed');
    assert.equal((await jobFor('dropped.bin'))?.state, 'ended');

    await upload('running.bin', 40 * MiB);
    // Slower still: the copy must outlast two more blobferry processes (list, cancel).
    world.proxy.rules.unshift({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block' && r.path.includes('/jobs/running.bin'), delayMs: 150 });
    const staged = world.proxy.stagedBlocks();
    const running = copyInChild([...slowCopy('running.bin'), '--json'], world.env());
    while (world.proxy.stagedBlocks() < staged + 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const job = (await listed('--status', 'running')).find((j) => j.source?.endsWith('/jobs/running.bin'))!;
    assert.ok(job?.pid, 'the process running it is named');
    const clean = await jobs('clean', job.id, '--json');
    assert.equal(clean.status, 2, 'a running copy is never cleaned');
    assert.equal((clean.json.error as { code: string }).code, 'STATE_DIR_IN_USE');
    const cancel = await jobs('cancel', job.id, '--json');
    assert.equal(cancel.status, 0, cancel.stdout + cancel.stderr);
    assert.equal(cancel.json.cancelled, true);
    const ran = await running;
    assert.equal(ran.status, 1, 'the cancelled copy ends as not whole');
    const report = JSON.parse(ran.stdout) as { cancelled?: boolean; failures: Array<{ code: string }> };
    assert.equal(report.cancelled, true);
    assert.equal(report.failures[0]?.code, 'CANCELLED');
    assert.equal(await world.containers.target.getBlobClient('jobs/running.bin').exists(), false);
    assert.ok(world.proxy.stagedBlocks() - staged < 40, 'it stopped before staging every block');
    world.proxy.rules.shift();
  });

  it('keeps interrupted copies unless told, and says clearly what is not there', async () => {
    await upload('kept.bin', 4 * MiB);
    await killMidCopy(slowCopy('kept.bin'), world.env(), world.proxy, world.proxy.stagedBlocks() + 1);
    const kept = (await jobFor('kept.bin'))!;
    const plain = await jobs('clean', '--json');
    assert.ok((plain.json.kept as Array<{ id: string }>).some((k) => k.id === kept.id), 'an interrupted copy is kept by a plain clean');
    const all = await jobs('clean', '--all', '--json');
    assert.ok((all.json.removed as string[]).includes(kept.id));
    assert.deepEqual(await listed(), []);

    for (const args of [['show', 'copy-nope'], ['resume', 'copy-nope'], ['cancel', 'copy-nope'], ['show', '../../etc']]) {
      const run = await jobs(...args, '--json');
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}`);
      assert.equal((run.json.error as { code: string }).code, 'NOT_FOUND', args.join(' '));
    }
    const human = await jobs('show', 'copy-nope');
    assert.match(human.stderr, /NOT_FOUND: No copy 'copy-nope'.*jobs list/);
  });
});
