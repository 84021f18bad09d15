/**
 * The local host's HTTP surface: an HTTP function starting an orchestration through an
 * unmodified durable client (df.getClient -> rpcBaseUrl), the Durable webhooks with their
 * documented status codes, function keys, and clear 4xx answers to bad requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalHost } from '../../src/local/host';
import { startTestHost } from '../support/localHost';

const KEY = 'test-function-key-123';
let host: LocalHost;
let stop: () => Promise<void>;
let base: string;

before(async () => {
  ({ host, stop } = await startTestHost({ functionKey: KEY }));
  base = host.url!;
});
after(() => stop());

const JSON_TYPE = { 'content-type': 'application/json' };
const webhook = (path: string) => `${base}/runtime/webhooks/durabletask/${path}${path.includes('?') ? '&' : '?'}code=${KEY}`;

async function pollUntilDone(url: string): Promise<Response> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(url);
    if (res.status !== 202) return res;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`still running: ${url}`);
}

describe('HTTP starter with the durable client', () => {
  it('starts an orchestration, answers 202 with the management payload, and its status URL reaches 200', async () => {
    const res = await fetch(`${base}/api/orchestrators/sequence`, { method: 'POST', headers: { 'x-functions-key': KEY }, body: JSON.stringify(['Oslo']) });
    assert.equal(res.status, 202);
    const payload = (await res.json()) as Record<string, string>;
    for (const key of ['id', 'statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'suspendPostUri', 'resumePostUri']) {
      assert.ok(payload[key], `payload has ${key}`);
    }
    assert.equal(res.headers.get('location'), payload.statusQueryGetUri);
    assert.ok(payload.statusQueryGetUri.startsWith(`${base}/runtime/webhooks/durabletask/instances/${payload.id}?`));
    const done = await pollUntilDone(payload.statusQueryGetUri);
    assert.equal(done.status, 200);
    const status = (await done.json()) as { runtimeStatus: string; output: unknown; input: unknown; createdTime: string; lastUpdatedTime: string };
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, ['Hello Oslo']);
    assert.deepEqual(status.input, ['Oslo']);
    assert.match(status.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('starts with a caller-chosen instance id and reads status and raises events through the client', async () => {
    const res = await fetch(`${base}/api/orchestrators/approval/approval-via-client?code=${KEY}`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { id: string }).id, 'approval-via-client');
    const status = (await (await fetch(`${base}/api/status/approval-via-client`)).json()) as { runtimeStatus: string; history?: unknown };
    assert.ok(['Pending', 'Running'].includes(status.runtimeStatus));
    const raised = await fetch(`${base}/api/raise/approval-via-client/approval`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ ok: 1 }) });
    assert.equal(raised.status, 202);
    const final = await host.engine.waitForCompletion('approval-via-client', { timeoutMs: 10_000 });
    assert.deepEqual(final.output, { decision: { ok: 1 } });
    const viaClient = (await (await fetch(`${base}/api/status/approval-via-client`)).json()) as { runtimeStatus: string; output: unknown };
    assert.equal(viaClient.runtimeStatus, 'Completed');
    assert.deepEqual(viaClient.output, { decision: { ok: 1 } });
  });

  it('reports an unknown instance through the client as not found', async () => {
    const res = await fetch(`${base}/api/status/nobody-here`);
    assert.equal(res.status, 404);
  });
});

describe('function keys', () => {
  it('requires the key on function-level routes and on the webhooks, and accepts header or code', async () => {
    assert.equal((await fetch(`${base}/api/orchestrators/sequence`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${base}/api/orchestrators/sequence`, { method: 'POST', headers: { 'x-functions-key': 'wrong' } })).status, 401);
    assert.equal((await fetch(`${base}/runtime/webhooks/durabletask/instances/x`)).status, 401);
    assert.equal((await fetch(`${base}/runtime/webhooks/durabletask/instances/x`, { headers: { 'x-functions-key': KEY } })).status, 404);
    assert.equal((await fetch(`${base}/api/status/x`)).status, 404, 'anonymous routes need no key');
  });

  it('never echoes the key in error answers', async () => {
    const res = await fetch(webhook('instances?runtimeStatus=Unknown'));
    const text = await res.text();
    assert.equal(res.status, 400);
    assert.ok(!text.includes(KEY));
  });
});

describe('Durable webhooks', () => {
  it('answers 202 while running, 200 when completed, failed or terminated, 404 when unknown', async () => {
    const waiting = host.engine.startNew('approval', { instanceId: 'codes-running' });
    const running = await fetch(webhook(`instances/${waiting}`));
    assert.equal(running.status, 202);
    assert.ok(running.headers.get('location')?.includes(`/instances/${waiting}`));
    const failed = host.engine.startNew('throws', { input: 'bad day' });
    await host.engine.waitForCompletion(failed);
    const failedRes = await fetch(webhook(`instances/${failed}`));
    assert.equal(failedRes.status, 200);
    assert.match(String(((await failedRes.json()) as { output: string }).output), /bad day/);
    assert.equal((await fetch(webhook(`instances/${failed}?returnInternalServerErrorOnFailure=true`))).status, 500);
    assert.equal((await fetch(webhook('instances/never-started'))).status, 404);
    host.engine.terminate(waiting);
    assert.equal((await fetch(webhook(`instances/${waiting}`))).status, 200);
  });

  it('shows history on request', async () => {
    const id = host.engine.startNew('sequence', { input: ['H'] });
    await host.engine.waitForCompletion(id);
    const plain = (await (await fetch(webhook(`instances/${id}`))).json()) as Record<string, unknown>;
    assert.equal(plain.historyEvents, undefined);
    const withHistory = (await (await fetch(webhook(`instances/${id}?showHistory=true&showHistoryOutput=true`))).json()) as { historyEvents: Array<Record<string, unknown>> };
    const completed = withHistory.historyEvents.find((e) => e.EventType === 'TaskCompleted');
    assert.equal(completed?.FunctionName, 'echo');
    assert.equal(completed?.Result, 'Hello H');
    const noInput = (await (await fetch(webhook(`instances/${id}?showInput=false`))).json()) as Record<string, unknown>;
    assert.equal(noInput.input, null);
  });

  it('starts through the webhook, terminates (202, then 410), raises events (404, 410, 400) and purges (200, then 404)', async () => {
    const start = await fetch(webhook('orchestrators/approval/webhook-life'), { method: 'POST', body: '' });
    assert.equal(start.status, 202);
    const again = await fetch(webhook('orchestrators/approval/webhook-life'), { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { code: string }).code, 'INSTANCE_EXISTS');
    assert.equal((await fetch(webhook('instances/webhook-life/raiseEvent/approval'), { method: 'POST', headers: JSON_TYPE, body: '{not json' })).status, 400);
    assert.equal((await fetch(webhook('instances/webhook-life/raiseEvent/approval'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '1' })).status, 400);
    assert.equal((await fetch(webhook('instances/nobody/raiseEvent/approval'), { method: 'POST', headers: JSON_TYPE, body: '1' })).status, 404);
    assert.equal((await fetch(webhook('instances/webhook-life/terminate?reason=enough'), { method: 'POST' })).status, 202);
    assert.equal((await fetch(webhook('instances/webhook-life/terminate'), { method: 'POST' })).status, 410);
    assert.equal((await fetch(webhook('instances/webhook-life/raiseEvent/approval'), { method: 'POST', headers: JSON_TYPE, body: '1' })).status, 410);
    const terminated = (await (await fetch(webhook('instances/webhook-life'))).json()) as { runtimeStatus: string; output: string };
    assert.deepEqual([terminated.runtimeStatus, terminated.output], ['Terminated', 'enough']);
    const purge = await fetch(webhook('instances/webhook-life'), { method: 'DELETE' });
    assert.equal(purge.status, 200);
    assert.deepEqual(await purge.json(), { instancesDeleted: 1 });
    assert.equal((await fetch(webhook('instances/webhook-life'), { method: 'DELETE' })).status, 404);
  });

  it('suspends and resumes through the webhooks', async () => {
    const id = host.engine.startNew('approval', { instanceId: 'webhook-suspend' });
    assert.equal((await fetch(webhook(`instances/${id}/suspend?reason=pause`), { method: 'POST' })).status, 202);
    assert.equal(((await (await fetch(webhook(`instances/${id}`))).json()) as { runtimeStatus: string }).runtimeStatus, 'Suspended');
    assert.equal((await fetch(webhook(`instances/${id}/resume?reason=go`), { method: 'POST' })).status, 202);
    assert.equal((await fetch(webhook(`instances/${id}/raiseEvent/approval`), { method: 'POST', headers: JSON_TYPE, body: '"yes"' })).status, 202);
    assert.deepEqual((await host.engine.waitForCompletion(id, { timeoutMs: 10_000 })).output, { decision: 'yes' });
  });

  it('lists instances a page at a time with a continuation token, filtered by status', async () => {
    for (let i = 0; i < 5; i++) await host.engine.waitForCompletion(host.engine.startNew('sequence', { instanceId: `list-${i}`, input: ['l'] }));
    const seen = new Set<string>();
    let token: string | null = null;
    let pages = 0;
    do {
      const res: Response = await fetch(webhook('instances?runtimeStatus=Completed&top=2'), { headers: token ? { 'x-ms-continuation-token': token } : {} });
      assert.equal(res.status, 200);
      for (const s of (await res.json()) as Array<{ instanceId: string; runtimeStatus: string }>) {
        assert.equal(s.runtimeStatus, 'Completed');
        seen.add(s.instanceId);
      }
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token);
    for (let i = 0; i < 5; i++) assert.ok(seen.has(`list-${i}`));
    assert.ok(pages >= 3);
    const future = await fetch(webhook(`instances?createdTimeFrom=${new Date(Date.now() + 3600_000).toISOString()}`));
    assert.deepEqual(await future.json(), []);
    const byPrefix = (await (await fetch(webhook('instances?instanceIdPrefix=list-'))).json()) as Array<{ instanceId: string }>;
    assert.deepEqual(byPrefix.map((s) => s.instanceId).sort(), ['list-0', 'list-1', 'list-2', 'list-3', 'list-4']);
  });

  it('purges many finished instances by creation time, and needs createdTimeFrom', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await host.engine.waitForCompletion(host.engine.startNew('sequence', { instanceId: `purge-many-${i}`, input: ['p'] }));
    const running = host.engine.startNew('approval', { instanceId: 'purge-many-running' });
    assert.equal((await fetch(webhook('instances'), { method: 'DELETE' })).status, 400);
    const res = await fetch(webhook(`instances?createdTimeFrom=${from}&runtimeStatus=Completed`), { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { instancesDeleted: number }).instancesDeleted >= 3);
    for (let i = 0; i < 3; i++) assert.equal(host.engine.getStatus(`purge-many-${i}`), undefined);
    assert.equal(host.engine.getStatus(running)?.runtimeStatus !== undefined, true, 'running instances are never purged');
    host.engine.terminate(running);
  });
});

describe('bad input', () => {
  it('answers clear 4xx errors and affects no other instance', async () => {
    const bystander = host.engine.startNew('approval', { instanceId: 'bystander' });
    const cases: Array<[string, RequestInit, number, string]> = [
      [webhook('orchestrators/noSuchOrchestrator'), { method: 'POST' }, 400, 'UNKNOWN_FUNCTION'],
      [webhook('orchestrators/sequence'), { method: 'POST', body: '{"broken": ' }, 400, 'INVALID_JSON'],
      [webhook('orchestrators/sequence/bad%23id'), { method: 'POST' }, 400, 'INVALID_INSTANCE_ID'],
      [webhook('instances/%E0%A4%A'), {}, 400, 'BAD_REQUEST'],
      [webhook('instances?runtimeStatus=Unknown'), {}, 400, 'BAD_REQUEST'],
      [webhook('instances?top=-1'), {}, 400, 'BAD_REQUEST'],
      [webhook('instances'), { headers: { 'x-ms-continuation-token': 'garbage' } }, 400, 'BAD_REQUEST'],
      [webhook('instances/bystander/rewind'), { method: 'POST' }, 501, 'NOT_SUPPORTED'],
      [webhook('entities/counter/one'), {}, 501, 'NOT_SUPPORTED'],
      [`${base}/api/no/such/route`, {}, 404, 'NOT_FOUND'],
      [`${base}/api/status/x`, { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [url, init, status, code] of cases) {
      const res = await fetch(url, init);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(res.status, status, `${init.method ?? 'GET'} ${url}: ${JSON.stringify(body)}`);
      assert.equal(body.code, code, url);
      assert.ok(body.message.length > 10, 'a message a user can act on');
    }
    host.engine.raiseEvent(bystander, 'approval', 'still fine');
    assert.deepEqual((await host.engine.waitForCompletion(bystander, { timeoutMs: 10_000 })).output, { decision: 'still fine' });
  });

  it('describes what it serves at /', async () => {
    const body = (await (await fetch(`${base}/`)).json()) as { functions: Array<{ name: string; trigger: string; route?: string }> };
    assert.ok(body.functions.some((f) => f.name === 'startOrchestration' && f.route === '/api/orchestrators/{name}/{instanceId?}'));
    assert.ok(body.functions.some((f) => f.name === 'sequence' && f.trigger === 'orchestrationTrigger'));
  });
});
