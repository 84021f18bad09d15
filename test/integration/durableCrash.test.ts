/**
 * Durability: the host process is killed with SIGKILL in the middle of work and started again
 * on the same state folder; every instance resumes where it was and finishes exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTestAppDir, spawnTestHost, type HostProcess, type TestAppDir } from '../support/localHost';

let app: TestAppDir;
const hosts: HostProcess[] = [];

before(() => {
  app = makeTestAppDir();
});
after(async () => {
  for (const h of hosts) await h.kill();
  app.cleanup();
});

async function start(): Promise<HostProcess> {
  const h = await spawnTestHost(app);
  hosts.push(h);
  return h;
}

const api = (h: HostProcess, p: string) => `${h.url}/runtime/webhooks/durabletask/${p}`;

async function startInstance(h: HostProcess, name: string, id: string, input: unknown): Promise<void> {
  const res = await fetch(api(h, `orchestrators/${name}/${id}`), { method: 'POST', body: JSON.stringify(input) });
  assert.equal(res.status, 202, await res.text());
}

async function statusOf(h: HostProcess, id: string): Promise<{ runtimeStatus: string; output: unknown }> {
  return (await (await fetch(api(h, `instances/${id}`))).json()) as { runtimeStatus: string; output: unknown };
}

async function waitDone(h: HostProcess, id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await statusOf(h, id);
    if (['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus)) return s;
    if (Date.now() > deadline) throw new Error(`${id} still ${s.runtimeStatus}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);

describe('kill -9 of the host', () => {
  it('resumes a 1,000-activity fan-out and completes with every result exactly once', async () => {
    const file = path.join(app.dir, 'calls.txt');
    let h = await start();
    await startInstance(h, 'fanOut', 'crash-fanout', { n: 1000, activity: 'recordCall', file, delayMs: 5 });
    // Also in flight at the crash: a durable timer and an instance waiting for an event.
    await startInstance(h, 'timerThenActivity', 'crash-timer', { timerMs: 1500 });
    await startInstance(h, 'approval', 'crash-approval', null);
    const deadline = Date.now() + 60_000;
    while (lines(file).length < 250) {
      if (Date.now() > deadline) throw new Error('the fan-out did not get going');
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.kill('SIGKILL');
    const before = lines(file).length;
    assert.ok(before < 1000, `killed mid-way (${before} calls done)`);

    h = await start();
    const fanOut = await waitDone(h, 'crash-fanout');
    assert.equal(fanOut.runtimeStatus, 'Completed');
    const output = fanOut.output as { count: number; results: number[] };
    assert.deepEqual(output.results, Array.from({ length: 1000 }, (_, i) => i), 'each result once, in order');

    const calls = lines(file);
    assert.deepEqual([...new Set(calls)].sort((a, b) => a - b), output.results, 'every activity ran');
    // Only activities in flight at the kill (at most maxConcurrentActivityFunctions) run twice.
    assert.ok(calls.length - 1000 <= 16, `${calls.length - 1000} activities re-ran`);

    const timer = await waitDone(h, 'crash-timer');
    assert.equal(timer.runtimeStatus, 'Completed');
    assert.ok((timer.output as { elapsedMs: number }).elapsedMs >= 1500);

    assert.equal((await statusOf(h, 'crash-approval')).runtimeStatus, 'Running');
    await fetch(api(h, 'instances/crash-approval/raiseEvent/approval'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"after restart"' });
    assert.deepEqual((await waitDone(h, 'crash-approval')).output, { decision: 'after restart' });
  });

  it('refuses a second host on the same state folder while the first one lives', async () => {
    const other = spawnTestHost(app);
    await assert.rejects(other, /in use by another blobferry host/);
  });
});
