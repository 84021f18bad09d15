/**
 * The local host's binding pieces, pure: binding expressions as the WebJobs SDK parses and
 * evaluates them, the trigger data they read, which bindings registration accepts (and the
 * clear start-time errors for the rest), and the .NET-style query parsing of the Durable API.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateTemplate, parseTemplate } from '../../src/local/bindings/expressions';
import { planOutputs } from '../../src/local/bindings/outputs';
import { triggerBindingData } from '../../src/local/bindings/triggerData';
import type { BindingInfo, FunctionMetadata } from '../../src/local/rpcTypes';
import { ExtensionQuery, ORCHESTRATION_RUNTIME_STATUSES } from '../../src/local/http/extensionQuery';

const CONNECTION = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;';

const evaluate = (template: string, data: Record<string, unknown> = {}) =>
  evaluateTemplate(parseTemplate(template), new Map(Object.entries(data).map(([k, v]) => [k.toLowerCase(), v])), 'saveBackup');

describe('binding expressions', () => {
  it('reads names and dotted properties in any case, braces doubled as literals', () => {
    assert.equal(evaluate('backups/{BackupPath}', { backuppath: 'a/b.json' }), 'backups/a/b.json');
    assert.equal(evaluate('{order.Customer.ID}-{{x}}', { order: { customer: { id: 42 } } }), '42-{x}');
    assert.equal(evaluate('{flag}/{nothing}', { flag: true, nothing: null }), 'True/');
  });

  it('gives builtins when the data has no such name, and lets the data win', () => {
    assert.match(evaluate('{rand-guid}'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(evaluate('{RAND-GUID:N}'), /^[0-9a-f]{32}$/);
    assert.match(evaluate('{rand-guid:B}'), /^\{[0-9a-f-]{36}\}$/);
    assert.match(evaluate('{DateTime}'), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.equal(evaluate('{datetime:yyyy}'), String(new Date().getUTCFullYear()));
    assert.match(evaluate('{DateTime:yyyy-MM-ddTHH}'), /^\d{4}-\d\d-\d\dT\d\d$/, 'T is copied as .NET copies it');
    assert.equal(evaluate('{DateTime}', { datetime: 'from-the-message' }), 'from-the-message');
    assert.equal(evaluate('{sys.methodName}'), 'saveBackup');
    assert.match(evaluate('{sys.randGuid:N}'), /^[0-9a-f]{32}$/);
  });

  it('refuses malformed templates when parsed (at start)', () => {
    for (const bad of ['a/{b', 'a}/b', 'a/{}', 'a/{1x}', 'a/{x-y}', 'a/{x..y}']) {
      assert.throws(() => parseTemplate(bad), { code: 'CONFIG_INVALID' }, bad);
    }
  });

  it('fails an evaluation the data cannot give, naming the expression', () => {
    assert.throws(() => evaluate('{missing}'), /\{missing\}.*no value for named parameter 'missing'/);
    assert.throws(() => evaluate('{order.nope}', { order: {} }), /\{order\.nope\}.*'nope'.*doesn't exist/);
    assert.throws(() => evaluate('{order}', { order: { a: 1 } }), /JSON object/);
    assert.throws(() => evaluate('{DateTime:MMM}'), /'MMM' is not supported/);
    assert.throws(() => evaluate('{rand-guid:X}'), /GUID format 'X'/);
  });
});

describe('trigger data', () => {
  it('orders HTTP data as the host does: body properties, then query (not code), then route parameters', () => {
    const data = triggerBindingData('httpTrigger', {
      http: { body: { bytes: Buffer.from('{"name":"body","id":"b","Only":"body"}') }, query: { name: 'query', id: 'q', code: 'secret' }, params: { id: 'route' }, headers: { 'x-a': '1' } },
    });
    assert.equal(data.get('name'), 'query');
    assert.equal(data.get('id'), 'route');
    assert.equal(data.get('only'), 'body');
    assert.equal(data.has('code'), false, 'the function key is never binding data');
    assert.deepEqual(data.get('headers'), { 'x-a': '1' });
  });

  it('gives a queue message JSON properties, its text as QueueTrigger, and its metadata', () => {
    const data = triggerBindingData('queueTrigger', { string: '{"name":"n","dequeueCount":99}' }, { DequeueCount: { json: '2' }, Id: { string: 'abc' } });
    assert.equal(data.get('queuetrigger'), '{"name":"n","dequeueCount":99}');
    assert.equal(data.get('name'), 'n');
    assert.equal(data.get('dequeuecount'), 2, 'the metadata wins over the message');
    assert.equal(data.get('id'), 'abc');
  });
});

describe('bindings registration accepts', () => {
  const http = { name: 'req', type: 'httpTrigger', direction: 'in' } as BindingInfo & { name: string };
  const fn = (bindings: Record<string, Partial<BindingInfo>>, trigger = http): [FunctionMetadata, BindingInfo & { name: string }] => [
    { name: 'saveBackup', bindings: { [trigger.name]: trigger, ...(bindings as Record<string, BindingInfo>) } },
    trigger,
  ];
  const env = { AzureWebJobsStorage: CONNECTION, AzureWebJobsBackups: CONNECTION, QUEUE: 'Mixed-Case' };

  it('durable client inputs, the HTTP output of an HTTP trigger, blob and queue outputs', () => {
    const outputs = planOutputs(
      ...fn({
        client: { type: 'durableClient', direction: 'in' },
        $return: { type: 'http', direction: 'out' },
        blob: { type: 'blob', direction: 'out', path: 'backups/{name}', connection: 'Backups' },
        queue: { type: 'queue', direction: 'out', queueName: '%QUEUE%' },
      }),
      env,
    );
    assert.deepEqual(outputs.map((o) => [o.name, o.type, o.connection === CONNECTION]), [['blob', 'blob', true], ['queue', 'queue', true]]);
  });

  const refusals: Array<[string, Record<string, Partial<BindingInfo>>, RegExp, (BindingInfo & { name: string })?]> = [
    ['an input it does not provide', { doc: { type: 'blob', direction: 'in', path: 'a/b' } }, /binding "doc" \(in blob\): .*would get undefined/],
    ['an output it does not write', { bus: { type: 'serviceBus', direction: 'out', queueName: 'q' } }, /binding "bus" \(out serviceBus\): .*silently dropped/],
    ['an HTTP output of a queue trigger', { $return: { type: 'http', direction: 'out' } }, /binding "\$return" \(out http\)/, { name: 'msg', type: 'queueTrigger', direction: 'in' }],
    ['a setting that is not set', { blob: { type: 'blob', direction: 'out', path: 'cont/%NOPE%' } }, /binding "blob".*Setting "NOPE", referenced as %NOPE%, is not set/],
    ['a connection that names no setting', { blob: { type: 'blob', direction: 'out', path: 'cont/b', connection: 'Elsewhere' } }, /connection setting Elsewhere \(or AzureWebJobsElsewhere\) is not set/],
    ['a malformed path', { blob: { type: 'blob', direction: 'out', path: 'cont/{b' } }, /Missing closing bracket|missing closing bracket/],
    ['a path with no blob name', { blob: { type: 'blob', direction: 'out', path: 'justacontainer' } }, /must be <container>\/<blob name>/],
    ['an invalid queue name', { queue: { type: 'queue', direction: 'out', queueName: 'no_underscores' } }, /queue name "no_underscores" is not valid/],
    ['a path reading data an Event Grid trigger does not give', { blob: { type: 'blob', direction: 'out', path: 'cont/{subject}' } }, /\{subject\} reads the trigger's data.*eventGridTrigger/, { name: 'event', type: 'eventGridTrigger', direction: 'in' }],
  ];
  for (const [what, bindings, message, trigger] of refusals) {
    it(`refuses ${what} with the function and binding named`, () => {
      assert.throws(() => planOutputs(...fn(bindings, trigger), env), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /^Function "saveBackup", binding /);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('refuses a setting that is not a connection string, without quoting it', () => {
    assert.throws(() => planOutputs(...fn({ blob: { type: 'blob', direction: 'out', path: 'cont/b', connection: 'Broken' } }), { ...env, Broken: 'AccountKey=c2VjcmV0;nonsense' }), (err: Error) => {
      assert.match(err.message, /the setting Broken is not a storage connection string/);
      assert.doesNotMatch(err.message, /c2VjcmV0/);
      return true;
    });
  });

  it('refuses an identity-based connection clearly', () => {
    assert.throws(() => planOutputs(...fn({ blob: { type: 'blob', direction: 'out', path: 'cont/b', connection: 'Lake' } }), { ...env, Lake__accountName: 'lake' }), /identity-based \(Lake__accountName\)/);
  });

  it('takes builtins from any trigger', () => {
    const event = { name: 'event', type: 'eventGridTrigger', direction: 'in' } as BindingInfo & { name: string };
    assert.equal(planOutputs(...fn({ blob: { type: 'blob', direction: 'out', path: 'events/{DateTime}-{rand-guid}.json' } }, event), env).length, 1);
  });
});

describe('the Durable API query, read as .NET reads it', () => {
  it('takes names in any case, trims, decodes + as a space, joins repeated names with commas', () => {
    const q = new ExtensionQuery('?ShowHistory=%20TRUE%20&reason=two+words&runtimeStatus=Running&RUNTIMESTATUS=Failed&top=+5&bad=%E0%A4%A');
    assert.equal(q.bool('showHistory'), true);
    assert.equal(q.get('reason'), 'two words');
    assert.equal(q.get('runtimeStatus'), 'Running,Failed');
    assert.equal(q.int('top'), 5);
    assert.equal(q.get('bad'), '%E0%A4%A', 'a malformed escape is kept');
    assert.equal(q.bool('missing'), undefined);
  });

  it('parses statuses as Enum.TryParse: exact names or numbers, others skipped, none parsed is no filter', () => {
    const statuses = (text: string) => new ExtensionQuery(`runtimeStatus=${text}`).statuses('runtimeStatus', ORCHESTRATION_RUNTIME_STATUSES);
    assert.deepEqual(statuses('Running,%20Completed%20'), ['Running', 'Completed']);
    assert.deepEqual(statuses('1,5,-1'), ['Completed', 'Terminated', 'Unknown']);
    assert.deepEqual(statuses('running'), undefined);
    assert.deepEqual(statuses('42'), ['42']);
  });
});
