/**
 * The Durable HTTP API answers as the extension's HttpApiHandler gives them (its source, read
 * for this): bare 404/410/202 answers, the 200/202 split by runtime status with its headers,
 * the continuation header on every list page, runtimeStatus and flags parsed as .NET parses
 * them, taskHub honoured, purge of running instances, start with timeout, restart. Over real
 * HTTP against a real local host running real orchestrations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalHost } from '../../src/local/host';
import { startTestHost } from '../support/localHost';

let host: LocalHost;
let stop: () => Promise<void>;
let api: string;

before(async () => {
  ({ host, stop } = await startTestHost());
  api = `${host.url}/runtime/webhooks/durabletask`;
});
after(() => stop());

const JSON_TYPE = { 'content-type': 'application/json' };

/** Runs an orchestration to its end: 'throws' fails, the others complete. */
async function finished(name: string, instanceId: string, input?: unknown): Promise<string> {
  const ended = await host.engine.waitForCompletion(host.engine.startNew(name, { instanceId, input }), { timeoutMs: 10_000 });
  assert.equal(ended.runtimeStatus, name === 'throws' ? 'Failed' : 'Completed', `${instanceId}: ${JSON.stringify(ended.output)}`);
  return instanceId;
}

/** A bare answer: the status, no body, no content type (the extension's CreateResponse(status)). */
async function assertBare(res: Response, status: number, what: string): Promise<void> {
  assert.equal(res.status, status, what);
  assert.equal(await res.text(), '', `${what}: no body`);
  assert.equal(res.headers.get('content-type'), null, `${what}: no content type`);
}

describe('bare answers', () => {
  it('answers 404 with no body for unknown instances, unknown routes and methods the extension does not serve', async () => {
    await finished('sequence', 'bare-done', []);
    const cases: Array<[string, RequestInit]> = [
      ['instances/nobody', {}],
      ['instances/nobody', { method: 'DELETE' }],
      ['instances/nobody/terminate', { method: 'POST' }],
      ['instances/nobody/suspend', { method: 'POST' }],
      ['instances/nobody/resume', { method: 'POST' }],
      ['instances/nobody/rewind', { method: 'POST' }],
      ['instances/nobody/raiseEvent/go', { method: 'POST', headers: JSON_TYPE, body: '1' }],
      ['orchestrators/sequence', {}],
      ['instances/bare-done', { method: 'PUT' }],
      ['instances/bare-done/terminate', {}],
      ['instances/bare-done/explode', { method: 'POST' }],
      ['instances/bare-done/raiseEvent', { method: 'POST', headers: JSON_TYPE, body: '1' }],
      ['instances/bare-done/raiseEvent/go', { headers: JSON_TYPE }],
      ['instances', { method: 'PUT' }],
      ['nonsense/at/all', {}],
    ];
    for (const [path, init] of cases) await assertBare(await fetch(`${api}/${path}`, init), 404, `${init.method ?? 'GET'} ${path}`);
  });

  it('answers 410 with no body to terminate, suspend, resume, rewind and raise on a finished instance', async () => {
    const id = await finished('sequence', 'gone-done', []);
    for (const op of ['terminate', 'suspend', 'resume', 'rewind']) {
      await assertBare(await fetch(`${api}/instances/${id}/${op}`, { method: 'POST' }), 410, op);
    }
    await assertBare(await fetch(`${api}/instances/${id}/raiseEvent/go`, { method: 'POST', headers: JSON_TYPE, body: '1' }), 410, 'raiseEvent');
    const failed = await finished('throws', 'gone-failed', 'no');
    await assertBare(await fetch(`${api}/instances/${failed}/raiseEvent/go`, { method: 'POST', headers: JSON_TYPE, body: '1' }), 410, 'raiseEvent on a failed instance');
    await assertBare(await fetch(`${api}/instances/${failed}/terminate`, { method: 'POST' }), 410, 'terminate a failed instance');
    const rewind = await fetch(`${api}/instances/${failed}/rewind`, { method: 'POST' });
    assert.equal(rewind.status, 501, 'rewinding a failed instance is what the local host does not do');
    assert.equal(((await rewind.json()) as { code: string }).code, 'NOT_SUPPORTED');
  });

  it('answers 202 with no body to terminate, suspend, resume and raise', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'accepted-ops' });
    await assertBare(await fetch(`${api}/instances/${id}/suspend?reason=pause`, { method: 'POST' }), 202, 'suspend');
    await assertBare(await fetch(`${api}/instances/${id}/raiseEvent/approval`, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '"while suspended"' }), 202, 'raise while suspended');
    await assertBare(await fetch(`${api}/instances/${id}/resume`, { method: 'POST' }), 202, 'resume');
    assert.deepEqual((await host.engine.waitForCompletion(id, { timeoutMs: 10_000 })).output, { decision: 'while suspended' });
    const other = host.engine.startNew('approval', { instanceId: 'accepted-terminate' });
    await assertBare(await fetch(`${api}/instances/${other}/terminate?reason=enough`, { method: 'POST' }), 202, 'terminate');
    assert.equal((await host.engine.waitForCompletion(other, { timeoutMs: 10_000 })).output, 'enough');
  });

  it('refuses a raised event without JSON content (400), as the extension does', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'raise-needs-json' });
    for (const init of [{ headers: JSON_TYPE }, { headers: { 'content-type': 'text/plain' }, body: '1' }, { body: '1' }] as RequestInit[]) {
      const res = await fetch(`${api}/instances/${id}/raiseEvent/approval`, { method: 'POST', ...init });
      assert.equal(res.status, 400, JSON.stringify(init));
    }
    assert.equal(host.engine.getStatus(id)?.runtimeStatus, 'Running', 'no event was delivered');
    host.engine.terminate(id);
  });
});

describe('instance status', () => {
  it('answers 202 with Location and Retry-After while an instance runs or is suspended, 200 without them once it ended', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'split-running' });
    const url = `${api}/instances/${id}?showInput=false`;
    const running = await fetch(url);
    assert.equal(running.status, 202);
    assert.equal(running.headers.get('location'), url);
    assert.equal(running.headers.get('retry-after'), '5');
    host.engine.suspend(id);
    const suspended = await fetch(url);
    assert.equal(suspended.status, 202);
    assert.equal(((await suspended.json()) as { runtimeStatus: string }).runtimeStatus, 'Suspended');
    host.engine.terminate(id);
    await host.engine.waitForCompletion(id);
    const ended = await fetch(url);
    assert.equal(ended.status, 200);
    assert.equal(ended.headers.get('location'), null);
    assert.equal(ended.headers.get('retry-after'), null);
    const failed = await finished('throws', 'split-failed', 'bad');
    assert.equal((await fetch(`${api}/instances/${failed}`)).status, 200);
    const as500 = await fetch(`${api}/instances/${failed}?ReturnInternalServerErrorOnFailure=TRUE`);
    assert.equal(as500.status, 500, 'parameter names in any case, bool.TryParse values in any case');
    assert.equal(((await as500.json()) as { runtimeStatus: string }).runtimeStatus, 'Failed');
    assert.equal(as500.headers.get('location'), null);
  });

  it('reads showHistory, showHistoryOutput and showInput as bool.TryParse does', async () => {
    const id = await finished('sequence', 'flags', ['F']);
    const get = async (q: string) => (await (await fetch(`${api}/instances/${id}?${q}`)).json()) as { input: unknown; historyEvents?: Array<Record<string, unknown>> };
    const full = await get('SHOWHISTORY=True&showHistoryOutput=%20true%20');
    assert.equal(full.historyEvents?.find((e) => e.EventType === 'TaskCompleted')?.Result, 'Hello F');
    const noOutput = await get('showHistory=true');
    assert.equal(noOutput.historyEvents?.find((e) => e.EventType === 'TaskCompleted')?.Result, undefined);
    assert.equal((await get('showHistory=yes')).historyEvents, undefined, 'not a bool: the default');
    assert.deepEqual((await get('showInput=nope')).input, ['F'], 'not a bool: the default (shown)');
    assert.equal((await get('showInput=FALSE')).input, null);
  });
});

describe('listing', () => {
  it('sends x-ms-continuation-token on every page, empty on the last, and pages 100 at a time by default', async () => {
    for (let i = 0; i < 101; i++) host.engine.startNew('sequence', { instanceId: `page-${String(i).padStart(3, '0')}`, input: [] });
    const first = await fetch(`${api}/instances?instanceIdPrefix=page-`);
    assert.equal(((await first.json()) as unknown[]).length, 100);
    const token = first.headers.get('x-ms-continuation-token');
    assert.ok(token);
    const last = await fetch(`${api}/instances?instanceIdPrefix=page-`, { headers: { 'x-ms-continuation-token': token } });
    assert.equal(((await last.json()) as unknown[]).length, 1);
    assert.equal(last.headers.get('x-ms-continuation-token'), '', 'present, and empty: the extension adds a null token');
    const small = await fetch(`${api}/instances?instanceIdPrefix=page-&top=200`);
    assert.equal(((await small.json()) as unknown[]).length, 101);
    assert.equal(small.headers.get('x-ms-continuation-token'), '');
    const none = await fetch(`${api}/instances?instanceIdPrefix=nothing-like-this`);
    assert.deepEqual(await none.json(), []);
    assert.equal(none.headers.get('x-ms-continuation-token'), '');
  });

  it('parses runtimeStatus as Enum.TryParse: case-sensitive names or numbers, comma-separated or repeated, unknown values skipped', async () => {
    await finished('sequence', 'rs-done', []);
    const waiting = host.engine.startNew('approval', { instanceId: 'rs-waiting' });
    const ids = async (q: string) => {
      const res = await fetch(`${api}/instances?instanceIdPrefix=rs-&${q}`);
      assert.equal(res.status, 200, q);
      return ((await res.json()) as Array<{ instanceId: string }>).map((s) => s.instanceId).sort();
    };
    assert.deepEqual(await ids('runtimeStatus=Completed'), ['rs-done']);
    assert.deepEqual(await ids('RuntimeStatus=%20Running%20,Bogus'), ['rs-waiting'], 'trimmed; an unknown value is skipped');
    assert.deepEqual(await ids('runtimeStatus=1'), ['rs-done'], '1 is Completed');
    assert.deepEqual(await ids('runtimeStatus=Running&runtimeStatus=Completed'), ['rs-done', 'rs-waiting']);
    assert.deepEqual(await ids('runtimeStatus=completed'), ['rs-done', 'rs-waiting'], 'names are case-sensitive: nothing parsed, no filter');
    assert.deepEqual(await ids('runtimeStatus=Sleeping,Bogus'), ['rs-done', 'rs-waiting'], 'nothing parsed, no filter');
    assert.deepEqual(await ids('runtimeStatus=42'), [], 'a number outside the enum parses and matches nothing');
    assert.deepEqual(await ids('createdTimeFrom=yesterday'), ['rs-done', 'rs-waiting'], 'a date that does not parse is no filter');
    assert.deepEqual(await ids(`createdTimeFrom=${new Date(Date.now() + 60_000).toISOString()}`), []);
    const unknown = await fetch(`${api}/instances?runtimeStatus=Unknown`);
    assert.equal(unknown.status, 400, 'Unknown has no DurableTask.Core status: an ArgumentException, 400');
    host.engine.terminate(waiting);
  });
});

describe('taskHub', () => {
  it('finds nothing in another task hub (404, an empty list) and everything in its own, in any case', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'hub-one' });
    await assertBare(await fetch(`${api}/instances/${id}?taskHub=otherhub`), 404, 'status in another hub');
    await assertBare(await fetch(`${api}/instances/${id}/terminate?taskHub=otherhub`), 404, 'GET terminate');
    await assertBare(await fetch(`${api}/instances/${id}/terminate?taskHub=otherhub`, { method: 'POST' }), 404, 'terminate in another hub');
    await assertBare(await fetch(`${api}/instances/${id}/raiseEvent/approval?taskHub=otherhub`, { method: 'POST', headers: JSON_TYPE, body: '1' }), 404, 'raise in another hub');
    await assertBare(await fetch(`${api}/instances/${id}?taskHub=otherhub`, { method: 'DELETE' }), 404, 'purge in another hub');
    await assertBare(await fetch(`${api}/instances?taskHub=otherhub&createdTimeFrom=2000-01-01T00:00:00Z`, { method: 'DELETE' }), 404, 'purge many in another hub');
    const list = await fetch(`${api}/instances?taskHub=otherhub&instanceIdPrefix=hub-`);
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), []);
    const start = await fetch(`${api}/orchestrators/sequence?taskHub=otherhub`, { method: 'POST' });
    assert.equal(start.status, 404);
    assert.match(((await start.json()) as { message: string }).message, /otherhub/);
    assert.equal(host.engine.getStatus(id)?.runtimeStatus, 'Running', 'untouched');
    assert.equal((await fetch(`${api}/instances/${id}?taskHub=TESTHUB`)).status, 202);
    assert.equal((await fetch(`${api}/instances/${id}/terminate?taskHub=testhub&connection=Storage`, { method: 'POST' })).status, 202);
  });
});

describe('purge', () => {
  it('purges a running instance by id (200, instancesDeleted 1), as the Azure Storage backend does', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'purge-running' });
    const res = await fetch(`${api}/instances/${id}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { instancesDeleted: 1 });
    await assertBare(await fetch(`${api}/instances/${id}`), 404, 'gone');
    await finished('sequence', 'after-purge', []); // the engine goes on
  });

  it('purges by creation time every instance when no finished status is named, only the named finished ones otherwise', async () => {
    // Only what this test creates: the instances before it are older than `from`.
    await new Promise((r) => setTimeout(r, 10));
    const from = new Date().toISOString();
    const done = await finished('sequence', 'pm-done', []);
    const failed = await finished('throws', 'pm-failed', 'x');
    const running = host.engine.startNew('approval', { instanceId: 'pm-running' });
    const purge = (q: string) => fetch(`${api}/instances?createdTimeFrom=${from}&${q}`, { method: 'DELETE' });
    await assertBare(await purge('runtimeStatus=Canceled'), 404, 'nothing deleted');
    const onlyFailed = await purge('runtimeStatus=Failed');
    assert.deepEqual(await onlyFailed.json(), { instancesDeleted: 1 });
    assert.equal(host.engine.getStatus(failed), undefined);
    assert.ok(host.engine.getStatus(done) && host.engine.getStatus(running));
    const everything = await purge('runtimeStatus=Running');
    assert.equal(everything.status, 200, 'no finished status named: no status filter at all');
    assert.deepEqual(await everything.json(), { instancesDeleted: 2 });
    assert.equal(host.engine.getStatus(done), undefined);
    assert.equal(host.engine.getStatus(running), undefined);
    const missingFrom = await fetch(`${api}/instances?createdTimeFrom=soon`, { method: 'DELETE' });
    assert.equal(missingFrom.status, 400);
    assert.match(((await missingFrom.json()) as { message: string }).message, /createdTimeFrom/);
  });
});

describe('start and restart', () => {
  it('answers a start with 202, Location, Retry-After 10 and the payload the extension sends (no rewindPostUri)', async () => {
    const res = await fetch(`${api}/orchestrators/sequence/start-payload`, { method: 'POST', headers: JSON_TYPE, body: '["P"]' });
    assert.equal(res.status, 202);
    const payload = (await res.json()) as Record<string, string>;
    assert.deepEqual(Object.keys(payload), ['id', 'statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'restartPostUri', 'suspendPostUri', 'resumePostUri']);
    assert.equal(res.headers.get('location'), payload.statusQueryGetUri);
    assert.equal(res.headers.get('retry-after'), '10');
  });

  it('waits with timeout and pollingInterval: 200 with the output when it completes, 202 when it does not, 400 when the interval is longer', async () => {
    const quick = await fetch(`${api}/orchestrators/sequence/wait-quick?timeout=10&pollingInterval=1`, { method: 'POST', headers: JSON_TYPE, body: '["W"]' });
    assert.equal(quick.status, 200);
    assert.deepEqual(await quick.json(), ['Hello W']);
    const slow = await fetch(`${api}/orchestrators/approval/wait-slow?timeout=0.3&pollingInterval=0.1`, { method: 'POST' });
    assert.equal(slow.status, 202);
    assert.equal(((await slow.json()) as { id: string }).id, 'wait-slow');
    const failed = await fetch(`${api}/orchestrators/throws/wait-failed?timeout=10&pollingInterval=1`, { method: 'POST', headers: JSON_TYPE, body: '"no luck"' });
    assert.equal(failed.status, 200);
    assert.equal(((await failed.json()) as { runtimeStatus: string }).runtimeStatus, 'Failed');
    assert.equal((await fetch(`${api}/orchestrators/sequence?timeout=1&pollingInterval=5`, { method: 'POST' })).status, 400);
    host.engine.terminate('wait-slow');
  });

  it('restarts an instance with its input, under a new id by default or the same id when asked', async () => {
    const id = await finished('sequence', 'restart-me', ['R']);
    const res = await fetch(`${api}/instances/${id}/restart`, { method: 'POST' });
    assert.equal(res.status, 202);
    const fresh = ((await res.json()) as { id: string }).id;
    assert.notEqual(fresh, id);
    assert.deepEqual((await host.engine.waitForCompletion(fresh, { timeoutMs: 10_000 })).output, ['Hello R']);
    const same = await fetch(`${api}/instances/${id}/restart?restartWithNewInstanceId=false&timeout=10&pollingInterval=1`, { method: 'POST' });
    assert.equal(same.status, 200);
    assert.deepEqual(await same.json(), ['Hello R']);
    assert.equal((await fetch(`${api}/instances/nobody/restart`, { method: 'POST' })).status, 400);
  });
});
