/**
 * The deployed app's settings against the infrastructure's (infra/, no Azure needed): every
 * setting the app reads in Azure is set by the Bicep or deliberately left unset (OPTIONAL, with
 * the reason), and every setting the Bicep sets is read by the app, its bindings, host.json, or
 * the platform (READ_BY_PLATFORM). src/local and src/cli are left out: only the local host and
 * the CLI run them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { seal, unseal } from '../../src/storage/seal';
import { bicepSettings, bindingConnections, envReads, hostJsonHas, hostJsonSettings, withoutComments, type BicepSetting } from '../support/settingsScan';
import { treeFiles } from '../support/deployArtifact';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Read by the app, set by no Bicep on purpose. A family ends with `*`. */
const OPTIONAL: Record<string, string> = {
  'BLOBFERRY_ACCOUNT_KEY_*': 'account keys for URLs without a SAS; in Azure the managed identity reads and writes instead',
  'BLOBFERRY_CONNECTION_STRING_*': 'the same, as connection strings',
  BLOBFERRY_TRUSTED_ENDPOINTS: 'private endpoints remote callers may reach: only with a private network, which the operator adds',
  BLOBFERRY_LOCAL_ROOTS: 'local directories served to remote callers: an Azure instance has no disk to serve',
  BLOBFERRY_CREDENTIALS_DIR: 'the local host\'s folder for fresh SAS tokens; in Azure they go to the app storage',
  BLOBFERRY_COPY_TIMEOUT: 'has a default (src/durable/settings.ts); set it as an app setting to change it',
  BLOBFERRY_POLL_INTERVAL: 'has a default (src/durable/settings.ts)',
  BLOBFERRY_POLL_MAX_INTERVAL: 'has a default (src/durable/settings.ts)',
  BLOBFERRY_RETRY_WAIT: 'has a default (src/durable/settings.ts)',
  BLOBFERRY_CREDENTIALS_WAIT: 'has a default (src/durable/settings.ts)',
  BLOBFERRY_CREDENTIALS_MAX_WAIT: 'has a default (src/durable/settings.ts)',
  AWS_ENDPOINT_URL_S3: 'an S3-compatible service for s3:// sources, only when one is used',
  AWS_ENDPOINT_URL: 'the same, the AWS SDK\'s general name',
};

/** Set by the Bicep, read by the Functions host or a library rather than by code under src/. */
const READ_BY_PLATFORM: Record<string, string> = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'the Functions host sends telemetry to Application Insights',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'the host authenticates to Application Insights with the identity (local auth is off)',
  AZURE_CLIENT_ID: 'DefaultAzureCredential (@azure/identity, src/storage/azureBlob/credentials.ts) picks the user-assigned identity by it',
};

/** Files under `dir` whose names end with `suffix`, leaving out the folders `skip` names (paths from `dir`). */
/** The files under `dir` whose names end in `suffix`, but those in the sub-folders `skip`. */
function filesUnder(dir: string, suffix: string, skip: string[] = []): string[] {
  return treeFiles(dir)
    .filter((file) => file.endsWith(suffix) && !skip.some((folder) => file.startsWith(`${folder}/`)))
    .map((file) => path.join(dir, file));
}

/** Does `name` fall under a name or family (`PREFIX*`) of the list? */
const covers = (list: Iterable<string>, name: string) => [...list].some((n) => (n.endsWith('*') ? name.startsWith(n.slice(0, -1)) : n === name));

function appReads() {
  const names = new Set<string>();
  const families = new Set<string>();
  const unresolved: string[] = [];
  const connections = new Set<string>();
  for (const file of filesUnder(path.join(ROOT, 'src'), '.ts', ['local', 'cli'])) {
    const text = fs.readFileSync(file, 'utf8');
    const reads = envReads(text, path.relative(ROOT, file));
    reads.names.forEach((n) => names.add(n));
    reads.families.forEach((f) => families.add(f));
    unresolved.push(...reads.unresolved);
    if (file.includes(`${path.sep}functions${path.sep}`)) bindingConnections(text).forEach((c) => connections.add(c));
  }
  const hostJson: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
  const host = hostJsonSettings(hostJson);
  host.references.forEach((n) => names.add(n));
  host.connections.forEach((c) => connections.add(c));
  return { names, families, unresolved, connections, hostJson };
}

function infraSettings(): BicepSetting[] {
  return filesUnder(path.join(ROOT, 'infra'), '.bicep').flatMap((file) => bicepSettings(fs.readFileSync(file, 'utf8')));
}

/** `AzureFunctionsJobHost__a__b` overrides host.json's a.b in Azure. */
const HOST_OVERRIDE = /^AzureFunctionsJobHost__(.+)$/;

describe('infrastructure settings', () => {
  const app = appReads();
  const infra = infraSettings();
  const set = new Set(infra.map((s) => s.name));
  // A connection named by a host.json override the infrastructure sets (the scheduler's).
  for (const s of infra) if (HOST_OVERRIDE.test(s.name) && /__connection(String)?Name$/i.test(s.name)) app.connections.add(s.value);
  /** A connection is set as itself, or as an identity-based connection (`NAME__accountName`, ...). */
  const connectionSet = (c: string) => set.has(c) || [...set].some((s) => s.startsWith(`${c}__`));

  it('finds every way the app reads a setting', () => {
    assert.deepEqual(app.unresolved, [], 'a computed env[...] read whose names the scan cannot find');
    assert.ok(app.names.size > 10 && infra.length > 10, 'the scans found settings at all');
  });

  it('sets every setting the app reads, or lists it as optional with a reason', () => {
    const missing = [...app.names].filter((n) => !set.has(n) && !covers(Object.keys(OPTIONAL), n) && !connectionSet(n));
    const families = [...app.families].filter((f) => !Object.keys(OPTIONAL).includes(f));
    const connections = [...app.connections].filter((c) => !connectionSet(c));
    assert.deepEqual([...missing, ...families, ...connections], [], 'the app reads these, and infra/ neither sets them nor lists them in OPTIONAL');
  });

  it('sets no setting the app, its bindings, host.json or the platform does not read', () => {
    const unread = infra.map((s) => s.name).filter((name) => {
      if (app.names.has(name) || covers(app.families, name) || name in READ_BY_PLATFORM) return false;
      if ([...app.connections].some((c) => name === c || name.startsWith(`${c}__`))) return false;
      const override = HOST_OVERRIDE.exec(name);
      // An override must land in a section host.json has, or it configures nothing the app uses.
      return !(override && hostJsonHas(app.hostJson, override[1].split('__').slice(0, 2)));
    });
    assert.deepEqual(unread, [], 'infra/ sets these, and nothing reads them');
  });

  it('keeps its lists true: optional settings are read and not set, platform settings are set', () => {
    const stale = Object.keys(OPTIONAL).filter((n) => (n.endsWith('*') ? !app.families.has(n) : !app.names.has(n)) || set.has(n));
    assert.deepEqual(stale, [], 'OPTIONAL lists settings the app no longer reads, or infra/ now sets');
    assert.deepEqual(Object.keys(READ_BY_PLATFORM).filter((n) => !set.has(n)), [], 'READ_BY_PLATFORM lists settings infra/ does not set');
  });

  it('gives the seal key as a Key Vault reference, never as a plain value', () => {
    for (const name of ['BLOBFERRY_SEAL_KEY', 'BLOBFERRY_SEAL_KEYS_PREVIOUS']) {
      const values = infra.filter((s) => s.name === name).map((s) => s.value);
      assert.equal(values.length, 1, `${name} is set once`);
      assert.match(values[0], /Reference$/, `${name} comes from the Key Vault module's reference output`);
    }
    assert.match(fs.readFileSync(path.join(ROOT, 'infra', 'app', 'sealKey.bicep'), 'utf8'), /output reference string = '@Microsoft\.KeyVault\(SecretUri=\$\{secretUri\}\)'/);
  });

  it('names the task hub as host.json does, for either backend', () => {
    // The scheduler's task hub must be the hub the app's host.json asks for; the Bicep reads it there.
    assert.match(fs.readFileSync(path.join(ROOT, 'infra', 'main.bicep'), 'utf8'), /^var taskHubName = loadJsonContent\('\.\.\/host\.json'\)\.extensions\.durableTask\.hubName$/m);
    assert.match(String((app.hostJson as { extensions: { durableTask: { hubName: unknown } } }).extensions.durableTask.hubName), /^[A-Za-z][A-Za-z0-9]{2,44}$/, 'a literal hub name, valid for both backends');
  });

  it('gives azd a value for every parameter of main.bicep, and none it does not declare', () => {
    const declared = [...withoutComments(fs.readFileSync(path.join(ROOT, 'infra', 'main.bicep'), 'utf8')).matchAll(/^param\s+(\w+)/gm)].map((m) => m[1]).sort();
    const given = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as { parameters: object }).parameters).sort();
    assert.deepEqual(given, declared);
  });

  it('makes a seal key the app accepts: 43 hexadecimal digits of two GUIDs and "=" are 32 bytes of base64', () => {
    const bicep = fs.readFileSync(path.join(ROOT, 'infra', 'app', 'sealKey.bicep'), 'utf8');
    // The test mirrors this expression; it must change with it.
    assert.ok(bicep.includes("value: '${replace(seedA, '-', '')}${take(replace(seedB, '-', ''), 11)}='"));
    const key = `${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '').slice(0, 11)}=`;
    assert.equal(Buffer.from(key, 'base64').length, 32);
    const saved = process.env.BLOBFERRY_SEAL_KEY;
    process.env.BLOBFERRY_SEAL_KEY = key;
    try {
      assert.equal(unseal(seal('sv=2025&sig=abc', 'source|copy-1'), 'source|copy-1'), 'sv=2025&sig=abc');
    } finally {
      if (saved === undefined) delete process.env.BLOBFERRY_SEAL_KEY;
      else process.env.BLOBFERRY_SEAL_KEY = saved;
    }
  });
});

describe('settings scan', () => {
  it('reads process.env.X, env.X, env?.X, env["X"] and destructuring, but not comments', () => {
    const reads = envReads(`
      // process.env.IN_A_COMMENT
      /* env.IN_A_BLOCK */
      const a = process.env.PLAIN;
      function f(env: NodeJS.ProcessEnv = process.env) { return env.PARAM ?? env?.OPTIONAL_CHAIN ?? env['QUOTED'] ?? env["DOUBLE"]; }
      const { DESTRUCTURED, RENAMED: other } = process.env;
      const url = 'https://example.com/env.NOT_A_READ';
    `);
    assert.deepEqual(reads.names, ['DESTRUCTURED', 'DOUBLE', 'OPTIONAL_CHAIN', 'PARAM', 'PLAIN', 'QUOTED', 'RENAMED']);
  });

  it('reads a template name as a family, and a computed name from the names the file spells', () => {
    assert.deepEqual(envReads('const k = env[`BLOBFERRY_ACCOUNT_KEY_${suffix}`];').families, ['BLOBFERRY_ACCOUNT_KEY_*']);
    const computed = envReads("const D = { BLOBFERRY_A: '1', BLOBFERRY_B: '2' }; const v = (name: keyof typeof D) => env[name];");
    assert.deepEqual(computed.names, ['BLOBFERRY_A', 'BLOBFERRY_B']);
    assert.deepEqual(envReads('const v = (name: string) => env[name];', 'x.ts').unresolved, ['x.ts:1: env[name]']);
  });

  it('takes the keys of Bicep settings objects, ternaries included, not nested keys or other vars', () => {
    const settings = bicepSettings(`
var other = { NOT_A_SETTING: 1 }
// var commentedSettings = { IN_A_COMMENT: 1 }
var appSettings = {
  PLAIN: 'value'
  'QUOTED_NAME': 'https://x/\${y}/z'
  NESTED: { INNER: 1 }
  LIST: [ { IN_A_LIST: 1 } ]
}
var maybeSettings = empty(x) ? {} : { ONE_LINE: 'a', SECOND: '\${f('}')}' }
var afterSettings = union(appSettings, { IN_UNION: true })
`);
    assert.deepEqual(settings.map((s) => s.name), ['PLAIN', 'QUOTED_NAME', 'NESTED', 'LIST', 'ONE_LINE', 'SECOND', 'IN_UNION']);
    assert.equal(settings[0].value, 'value');
  });

  it('finds %NAME% references and connection names in host.json, and binding connections', () => {
    assert.deepEqual(hostJsonSettings({ extensions: { durableTask: { hubName: '%HUB%', storageProvider: { connectionStringName: 'DTS' } } } }), { references: ['HUB'], connections: ['DTS'] });
    assert.deepEqual(bindingConnections("app.storageQueue('q', { queueName: 'x', connection: 'AzureWebJobsStorage' })"), ['AzureWebJobsStorage']);
    assert.ok(hostJsonHas({ extensions: { durableTask: {} } }, ['Extensions', 'DURABLETASK']));
    assert.ok(!hostJsonHas({ extensions: {} }, ['extensions', 'durableTask']));
  });
});
