/** Pure pieces of the local host: durations, retry timing, routes, redaction, batching, the journal. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { redact } from '../../src/contracts/redact';
import { selectBatch } from '../../src/local/durable/episode';
import { history } from '../../src/local/durable/history';
import { Journal } from '../../src/local/durable/journal';
import { retryDelayMs, retryTimeoutExpired } from '../../src/local/durable/retry';
import { applyRecord, emptyLedger, type Instance, type Message, type StoreRecord } from '../../src/local/durable/state';
import { applyLocalSettings, readHostConfig } from '../../src/local/hostConfig';
import { RouteTemplate } from '../../src/local/http/routeTemplate';
import { formatTimeSpan, parseTimeSpan } from '../../src/local/timespan';
import { makeTempDir, removeDir } from '../support/temp';

const T = '2024-01-01T00:00:00.000Z';

describe('TimeSpan text', () => {
  it('parses and formats the .NET forms', () => {
    assert.equal(parseTimeSpan('00:00:30'), 30_000);
    assert.equal(parseTimeSpan('6.00:00:00'), 6 * 86_400_000);
    assert.equal(parseTimeSpan('01:02'), 3_720_000);
    assert.equal(parseTimeSpan('00:00:01.5'), 1500);
    assert.equal(formatTimeSpan(3 * 86_400_000), '3.00:00:00');
    assert.equal(formatTimeSpan(1500), '00:00:01.500');
    assert.throws(() => parseTimeSpan('30s', 'visibilityTimeout'), { code: 'CONFIG_INVALID', message: /visibilityTimeout "30s"/ });
  });
});

describe('retry timing', () => {
  it('backs off by the coefficient and caps at the max interval', () => {
    const options = { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 5, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 500 };
    assert.deepEqual([0, 1, 2, 3].map((n) => retryDelayMs(options, n)), [100, 200, 400, 500]);
    assert.equal(retryDelayMs({ firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 2 }, 3), 100, 'coefficient 1 by default');
  });

  it('expires after the retry timeout only when one is set', () => {
    const later = new Date(Date.parse(T) + 1000).toISOString();
    assert.equal(retryTimeoutExpired({ firstRetryIntervalInMilliseconds: 1, maxNumberOfAttempts: 2, retryTimeoutInMilliseconds: 1000 }, T, later), true);
    assert.equal(retryTimeoutExpired({ firstRetryIntervalInMilliseconds: 1, maxNumberOfAttempts: 2, retryTimeoutInMilliseconds: 1001 }, T, later), false);
    assert.equal(retryTimeoutExpired({ firstRetryIntervalInMilliseconds: 1, maxNumberOfAttempts: 2 }, T, later), false);
  });
});

describe('route templates', () => {
  it('matches literals case-insensitively, parameters, optional and catch-all segments, constraints', () => {
    const copies = new RouteTemplate('copies/{id?}');
    assert.deepEqual(copies.match(['Copies']), {});
    assert.deepEqual(copies.match(['copies', 'abc']), { id: 'abc' });
    assert.equal(copies.match(['copies', 'a', 'b']), undefined);
    assert.deepEqual(new RouteTemplate('files/{*path}').match(['files', 'a b', 'c%', 'd#']), { path: 'a b/c%/d#' });
    const typed = new RouteTemplate('items/{n:int}');
    assert.deepEqual(typed.match(['items', '42']), { n: '42' });
    assert.equal(typed.match(['items', 'x']), undefined);
    assert.ok(new RouteTemplate('copies/stats').specificity > copies.specificity);
    assert.throws(() => new RouteTemplate('a/{x:weird}'), { code: 'CONFIG_INVALID' });
    assert.throws(() => new RouteTemplate('a/{*x}/b'), { code: 'CONFIG_INVALID' });
  });
});

describe('redaction', () => {
  it('masks SAS signatures, account keys and function keys', () => {
    const text = redact('https://a.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef&se=x AccountName=a;AccountKey=secret+/==;Endpoint http://h/api/x?code=mykey x-functions-key: k1');
    assert.ok(!/abc%2Bdef|secret|mykey|k1/.test(text), text);
    assert.match(text, /sv=2024&sig=REDACTED&se=x/);
  });
});

describe('episode batching', () => {
  const instance = (inbox: Message[], retryTaskIds: number[] = []): Instance => ({
    instanceId: 'i', name: 'o', executionId: 'e', status: 'Running', createdTime: T, lastUpdatedTime: T, history: [], inbox,
    ledger: { ...emptyLedger(), retryTasks: Object.fromEntries(retryTaskIds.map((id) => [String(id), String(id)])) },
  });
  const msg = (id: string, event = history.taskCompleted(T, 0, '1'), executionId = 'e'): Message => ({ id, executionId, event });

  it('delivers plain events together and an event that takes sequence numbers alone', () => {
    const inbox = [msg('a'), msg('b'), msg('retryFail', history.taskFailed(T, 7, { Reason: 'x' })), msg('c')];
    assert.deepEqual(selectBatch(instance(inbox, [7])).deliver.map((m) => m.id), ['a', 'b']);
    assert.deepEqual(selectBatch(instance(inbox.slice(2), [7])).deliver.map((m) => m.id), ['retryFail']);
    assert.deepEqual(selectBatch(instance(inbox, [])).deliver.map((m) => m.id), ['a', 'b', 'retryFail', 'c'], 'a plain failure is batched');
  });

  it('discards messages for an execution that continued as new', () => {
    const batch = selectBatch(instance([msg('old', undefined, 'previous'), msg('new')]));
    assert.deepEqual([batch.discard, batch.deliver.map((m) => m.id)], [['old'], ['new']]);
  });
});

describe('journal', () => {
  it('rebuilds state after a torn last record, and compacts into a snapshot', () => {
    const dir = makeTempDir();
    try {
      const { journal } = Journal.open(dir);
      const create = (id: string) => ({ t: 'create' as const, ts: T, instance: { instanceId: id, name: 'o', executionId: `x-${id}`, input: '1' } });
      journal.append(create('one'));
      journal.append(create('two'));
      journal.close();
      fs.appendFileSync(path.join(dir, 'journal-0.jsonl'), '{"t":"create","ts":"2024'); // a kill in mid-write
      const reopened = Journal.open(dir);
      assert.deepEqual([...reopened.state.instances.keys()], ['one', 'two']);
      assert.ok(fs.readFileSync(path.join(dir, 'journal-0.jsonl'), 'utf8').endsWith('\n'), 'the torn tail is cut off');
      reopened.journal.compact(reopened.state);
      reopened.journal.append(create('three'));
      reopened.journal.close();
      const third = Journal.open(dir);
      assert.deepEqual([...third.state.instances.keys()], ['one', 'two', 'three']);
      assert.ok(fs.existsSync(path.join(dir, 'snapshot.json')) && !fs.existsSync(path.join(dir, 'journal-0.jsonl')));
      third.journal.close();
    } finally {
      removeDir(dir);
    }
  });

  it('stays within about three times the live state however much it is written, compacting no more often than that needs', () => {
    const dir = makeTempDir();
    const { journal, state } = Journal.open(dir, { compactBytes: 64 * 1024 });
    try {
      const commit = (record: StoreRecord) => {
        journal.append(record);
        applyRecord(state, record);
        if (!journal.needsCompaction) return false;
        journal.compact(state);
        return true;
      };
      const create = (id: string): StoreRecord => ({ t: 'create', ts: T, instance: { instanceId: id, name: 'o', executionId: `x-${id}`, input: JSON.stringify('x'.repeat(1000)) } });
      // A live state of ~150 KiB (above the floor), then 20 MiB of records that leave it as it is.
      for (let i = 0; i < 100; i++) commit(create(`kept-${i}`));
      const folder = () => fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
      journal.compact(state);
      const live = fs.statSync(path.join(dir, 'snapshot.json')).size;
      let written = 0;
      let compactions = 0;
      let largest = 0;
      for (let k = 0; written < 20 * 1024 * 1024; k++) {
        for (const record of [create(`passing-${k}`), { t: 'purge' as const, ts: T, instanceIds: [`passing-${k}`] }]) {
          written += JSON.stringify(record).length + 1;
          if (commit(record)) compactions++;
        }
        largest = Math.max(largest, folder());
      }
      assert.ok(largest <= 3 * live + 16 * 1024, `the folder reached ${largest} bytes over a live state of ${live}`);
      assert.ok(compactions <= Math.ceil(written / (2 * live)), `${compactions} compactions for ${written} bytes written over a live state of ${live}`);
      assert.equal(state.instances.size, 100);
    } finally {
      journal.close();
      removeDir(dir);
    }
  });

  it('refuses a corrupt record in the middle with a clear error', () => {
    const dir = makeTempDir();
    try {
      fs.writeFileSync(path.join(dir, 'journal-0.jsonl'), 'not json\n{"t":"purge","ts":"x","instanceIds":[]}\n');
      assert.throws(() => Journal.open(dir), { code: 'STATE_CORRUPT', message: /Line 1/ });
      assert.ok(!fs.existsSync(path.join(dir, 'LOCK')), 'the lock is released when opening fails');
    } finally {
      removeDir(dir);
    }
  });
});

describe('host.json and local.settings.json', () => {
  it('reads durable and queue settings, resolves %SETTING% references, and lets the environment win over local settings', () => {
    const dir = makeTempDir();
    try {
      fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ extensions: { durableTask: { hubName: '%HUB%', maxConcurrentActivityFunctions: 4 }, queues: { visibilityTimeout: '00:00:45' } } }));
      fs.writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { HUB: 'fromsettings', KEPT: 'settings' } }));
      const env: NodeJS.ProcessEnv = { KEPT: 'environment' };
      assert.deepEqual(applyLocalSettings(dir, env), ['HUB']);
      assert.equal(env.KEPT, 'environment');
      const config = readHostConfig(dir, env);
      assert.equal(config.taskHub, 'fromsettings');
      assert.equal(config.maxConcurrentActivityFunctions, 4);
      assert.equal(config.maxConcurrentOrchestratorFunctions, 10, 'default');
      assert.equal(config.queues.visibilityTimeoutMs, 45_000);
      assert.equal(config.routePrefix, 'api');
      fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ extensions: { durableTask: { hubName: 'bad-hub!' } } }));
      assert.throws(() => readHostConfig(dir, env), { code: 'CONFIG_INVALID', message: /bad-hub!/ });
      fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ extensions: { durableTask: { hubName: '%MISSING%' } } }));
      assert.throws(() => readHostConfig(dir, env), { code: 'CONFIG_INVALID', message: /MISSING/ });
      fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ extensions: { durableTask: { maxConcurrentActivityFunctions: 0 } } }));
      assert.throws(() => readHostConfig(dir, env), { code: 'CONFIG_INVALID', message: /positive integer/ });
      fs.writeFileSync(path.join(dir, 'host.json'), '{ not json');
      assert.throws(() => readHostConfig(dir, env), { code: 'CONFIG_INVALID', message: /not valid JSON/ });
    } finally {
      removeDir(dir);
    }
  });
});
