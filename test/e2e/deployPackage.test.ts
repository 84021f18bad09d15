/**
 * The package as Azure runs it. The deployable artifact is built as azd builds it (the built
 * tree less what .funcignore excludes, then `npm ci --omit=dev`), in a temporary folder; it
 * must install without devDependencies and without a build, load through @azure/functions'
 * own registration path (the @azure/functions-core stand-in records what it registers, as the
 * Node worker would), register every function with the bindings Azure needs, and reach no
 * devDependency and nothing of src/local from its entry point.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildArtifact, packageOf, reachableRequires, readIgnoreRules, treeFiles, type Artifact } from '../support/deployArtifact';
import { makeTempDir, removeDir } from '../support/temp';

const ROOT = path.join(__dirname, '..', '..', '..');
const LOADER = path.join(__dirname, '..', 'support', 'artifactLoader.js');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const DEV_ONLY = Object.keys(pkg.devDependencies);

interface Binding {
  type: string;
  direction: string;
  name?: string;
  [option: string]: unknown;
}
interface Loaded {
  entryPoints: string[];
  programmingModel: string;
  functions: Array<{ name: string; bindings: Record<string, Binding> }>;
  modules: string[];
}

/** Loads an app folder's entry points in a process of their own, as the Node worker would. */
function loadApp(dir: string): Loaded {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BLOBFERRY_')));
  const run = spawnSync(process.execPath, [LOADER, dir], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, `loading ${dir} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as Loaded;
}

describe('.funcignore', () => {
  const rules = readIgnoreRules(fs.readFileSync(path.join(ROOT, '.funcignore'), 'utf8'));

  it('means the same to azd (gitignore rules) and to the Functions Core Tools (prefixes) for every file of the tree', () => {
    const disagreements = treeFiles(ROOT).filter((file) => rules.gitignore(file) !== rules.coreTools(file));
    assert.deepEqual(disagreements, []);
  });

  it('keeps sources, tests, benchmarks, the local host, local settings, state and Azurite data out, and the app in', () => {
    const never = [
      'src/functions/index.ts', 'test/unit/x.test.ts', 'bench/run.ts', 'docs/architecture.md', 'infra/main.bicep', 'tsconfig.json',
      'dist/test/run.js', 'dist/bench/run.js', 'dist/src/local/host.js', 'dist/src/local/azuriteChild.js', 'dist/src/cli/main.js', 'dist/src/functions/index.js.map',
      '.blobferry/state/seal.key', '.blobferry/azurite/__azurite_db_blob__.json', 'local.settings.json', '__azurite_db_queue__.json', '__blobstorage__/abc', 'npm-debug.log',
    ];
    for (const file of never) assert.ok(rules.gitignore(file) && rules.coreTools(file), `${file} must not ship`);
    for (const file of ['package.json', 'package-lock.json', 'host.json', 'dist/src/functions/index.js', 'dist/src/durable/calls.js', 'node_modules/durable-functions/package.json', 'src/web/index.html']) {
      assert.ok(!rules.gitignore(file) && !rules.coreTools(file), `${file} must ship`);
    }
  });
});

describe('the deployable artifact', () => {
  const temp = makeTempDir('blobferry-deploy-');
  let artifact: Artifact;
  before(() => {
    artifact = buildArtifact(ROOT, path.join(temp, 'app'));
  });
  after(() => removeDir(temp));

  it('holds the compiled app, the dashboard\'s page and its configuration, nothing else of the tree', (t) => {
    t.diagnostic(`${artifact.shipped.length} files copied; npm ci --omit=dev --prefer-offline took ${artifact.installMs} ms`);
    const outside = artifact.shipped.filter((file) => !file.startsWith('dist/src/') && !file.startsWith('src/web/') && !['package.json', 'package-lock.json', 'host.json'].includes(file));
    assert.deepEqual(outside, []);
    for (const file of artifact.shipped) assert.doesNotMatch(file, /^dist\/src\/(local|cli)\/|\.map$|\.ts$/);
    assert.ok(artifact.shipped.includes('dist/src/functions/index.js'));
    assert.ok(artifact.shipped.includes('src/web/index.html'), 'the dashboard page ships');
  });

  it('installs with npm ci --omit=dev: no devDependency, and no build (there is no TypeScript to build with)', () => {
    assert.match(artifact.installLog, /not built here/);
    assert.ok(!fs.existsSync(path.join(artifact.dir, 'tsconfig.json')));
    for (const name of DEV_ONLY) assert.ok(!fs.existsSync(path.join(artifact.dir, 'node_modules', name)), `${name} (a devDependency) was installed`);
    for (const name of Object.keys(pkg.dependencies)) assert.ok(fs.existsSync(path.join(artifact.dir, 'node_modules', name, 'package.json')), `${name} is installed`);
  });

  it('registers every function through @azure/functions with the bindings Azure needs, as the built tree does', () => {
    const loaded = loadApp(artifact.dir);
    assert.deepEqual(loaded.entryPoints, [path.join(artifact.dir, 'dist', 'src', 'functions', 'index.js')]);
    assert.equal(loaded.programmingModel, '@azure/functions');
    assert.deepEqual(loaded.functions, loadApp(ROOT).functions, 'the artifact registers exactly what the built tree registers');

    const byName = new Map(loaded.functions.map((fn) => [fn.name, Object.values(fn.bindings)]));
    for (const [name, bindings] of byName) {
      const triggers = bindings.filter((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
      assert.equal(triggers.length, 1, `${name} has one trigger`);
      const trigger = triggers[0];
      for (const b of bindings) assert.ok(b.name && ['in', 'out'].includes(b.direction), `${name}: binding ${JSON.stringify(b)} has a name and a direction`);
      if (trigger.type === 'httpTrigger') {
        assert.ok(Array.isArray(trigger.methods) && typeof trigger.route === 'string' && ['anonymous', 'function', 'admin'].includes(String(trigger.authLevel)), `${name}: ${JSON.stringify(trigger)}`);
        assert.ok(bindings.some((b) => b.type === 'http' && b.direction === 'out'), `${name} answers through an http output`);
      }
      if (trigger.type === 'queueTrigger') {
        assert.equal(trigger.connection, 'AzureWebJobsStorage', `${name} reads the app's storage account`);
        assert.match(String(trigger.queueName), /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/, `${name}: a valid queue name`);
      }
    }
    const triggerOf = (name: string) => byName.get(name)?.find((b) => b.type.endsWith('Trigger'));
    const hasClient = (name: string) => byName.get(name)?.some((b) => b.type === 'durableClient' && b.direction === 'in') ?? false;

    // The contract with Azure and with running instances: names are in durable history.
    for (const name of ['transfer', 'copyBlob', 'migrate', 'prune', 'serverCopy', 'copyJob']) assert.equal(triggerOf(name)?.type, 'orchestrationTrigger', name);
    const activities = ['inspectTransfer', 'listPage', 'copySmallBlobs', 'prepareBlob', 'stageBlocks', 'relaySegment', 'relayStream', 'commitBlob', 'discardStaged', 'pruneDestination', 'syncCopyBlob', 'startServerCopy', 'serverCopyStatus', 'finishServerCopy', 'undoServerCopy', 'leaseSource', 'releaseSource', 'deleteSource', 'writeJobSummary', 'verifyCopy', 'forwardCancel', 'checkCredentials'];
    for (const name of activities) assert.equal(triggerOf(name)?.type, 'activityTrigger', name);
    assert.ok(hasClient('forwardCancel'), 'forwardCancel raises events through a durable client');
    const routes: Array<[string, string, string, boolean]> = [
      ['health', 'GET', 'health', false], ['startCopy', 'POST', 'copies', true], ['listCopies', 'GET', 'copies', true],
      ['getCopy', 'GET', 'copies/{id}', true], ['cancelCopy', 'POST', 'copies/{id}/cancel', true], ['setCopyCredentials', 'POST', 'copies/{id}/credentials', true],
    ];
    for (const [name, method, route, client] of routes) {
      assert.deepEqual([triggerOf(name)?.type, triggerOf(name)?.methods, triggerOf(name)?.route, hasClient(name)], ['httpTrigger', [method], route, client], name);
    }
    assert.deepEqual([triggerOf('copyJobs')?.type, triggerOf('copyJobs')?.queueName, hasClient('copyJobs')], ['queueTrigger', 'copy-jobs', true]);
    assert.deepEqual([triggerOf('blobCreated')?.type, hasClient('blobCreated')], ['eventGridTrigger', true]);

    const outside = loaded.modules.filter((m) => !m.startsWith(artifact.dir + path.sep));
    assert.deepEqual(outside, [], 'the app loaded only modules of the artifact');
  });

  it('reaches from "main" only its own files and production dependencies: no devDependency, nothing of src/local or the CLI', () => {
    const edges = reachableRequires([path.join(artifact.dir, 'dist', 'src', 'functions', 'index.js')]);
    assert.ok(edges.length > 50, `${edges.length} requires found`);
    const problems: string[] = [];
    for (const { from, request, resolved } of edges) {
      const where = `${path.relative(artifact.dir, from)}: require("${request}")`;
      const isPackage = !request.startsWith('.') && !request.startsWith('/');
      // The Node worker provides @azure/functions-core itself: @azure/functions requires it, our files never should.
      if (!resolved) problems.push(`${where} does not resolve in the artifact`);
      else if (!resolved.startsWith(artifact.dir + path.sep)) problems.push(`${where} resolves outside the artifact: ${resolved}`);
      else if (/[\\/]dist[\\/]src[\\/](local|cli)[\\/]/.test(resolved)) problems.push(`${where} reaches the local host or the CLI`);
      if (isPackage && DEV_ONLY.includes(packageOf(request))) problems.push(`${where} needs a devDependency`);
      if (isPackage && !(packageOf(request) in pkg.dependencies)) problems.push(`${where} needs a package that is not a dependency`);
    }
    assert.deepEqual(problems, []);
  });
});
