/**
 * package.json "main" as Azure's Node worker reads it: a file or a glob, expanded by globby 11
 * (fast-glob) in the app folder. The expected lists below are what globby 11.0.4 with
 * fast-glob 3.2.7 (the worker's versions) answered for the same tree, order included, except
 * where fast-glob's order depends on timing (there the sets are compared).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appEntryPoints, expandEntryPattern } from '../../src/local/hostConfig';
import { makeTempDir, removeDir } from '../support/temp';

let app: string;

before(() => {
  app = makeTempDir('blobferry-main-');
  const files = ['functions/b.js', 'functions/a.js', 'functions/B.js', 'functions/_x.js', 'functions/.hidden.js', 'functions/sub/c.js', 'functions/sub/deeper/d.js', 'functions/z.mjs', 'functions/10.js', 'functions/9.js', 'other/o.js', 'node_modules/x/i.js', '.hid/h.js', 'top.js'];
  for (const file of files) {
    fs.mkdirSync(path.join(app, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(app, file), '//\n');
  }
  fs.mkdirSync(path.join(app, 'functions', 'dir.js')); // a folder whose name looks like a file
  fs.symlinkSync('../other', path.join(app, 'functions', 'link'));
  fs.symlinkSync('../top.js', path.join(app, 'functions', 'ltop.js'));
  fs.symlinkSync('missing.js', path.join(app, 'functions', 'broken.js'));
});
after(() => removeDir(app));

const expand = (pattern: string) => expandEntryPattern(app, pattern).map((f) => path.relative(app, f));
const sorted = (list: string[]) => [...list].sort();
const FUNCTIONS_JS = ['functions/10.js', 'functions/9.js', 'functions/B.js', 'functions/_x.js', 'functions/a.js', 'functions/b.js', 'functions/ltop.js'];

describe('package.json "main" expanded as the Node worker expands it', () => {
  it('takes a folder\'s files in byte order of their names, skipping dot files, folders and broken links, following links', () => {
    assert.deepEqual(expand('functions/*.js'), FUNCTIONS_JS);
    assert.deepEqual(expand('./functions/*.js'), FUNCTIONS_JS);
    assert.deepEqual(expand(path.join(app, 'functions/*.js')), FUNCTIONS_JS, 'an absolute pattern');
  });

  it('reads folders breadth first: a folder\'s files before its sub-folders\'', () => {
    assert.deepEqual(expand('functions/**/*.js'), [...FUNCTIONS_JS, 'functions/link/o.js', 'functions/sub/c.js', 'functions/sub/deeper/d.js']);
    assert.deepEqual(expand('functions/sub/**'), ['functions/sub/c.js', 'functions/sub/deeper/d.js']);
  });

  it('matches classes, braces and case as globby does', () => {
    assert.deepEqual(expand('functions/[ab].js'), ['functions/a.js', 'functions/b.js']);
    assert.deepEqual(expand('functions/*.JS'), []);
    assert.deepEqual(expand('functions/*.{js,mjs}'), [...FUNCTIONS_JS, 'functions/z.mjs']);
    // fast-glob runs one walk per brace alternative's base; which ends first decides its order.
    assert.deepEqual(sorted(expand('{functions,other}/*.js')), sorted([...FUNCTIONS_JS, 'other/o.js']));
    assert.deepEqual(sorted(expand('**/*.js')), sorted(['top.js', ...FUNCTIONS_JS, 'other/o.js', 'node_modules/x/i.js', 'functions/link/o.js', 'functions/sub/c.js', 'functions/sub/deeper/d.js']));
  });

  it('takes a plain path as that file, a folder as everything under it, and a negation as nothing', () => {
    assert.deepEqual(expand('functions/a.js'), ['functions/a.js']);
    assert.deepEqual(expand('functions/missing.js'), []);
    assert.deepEqual(expand('functions/dir.js'), []);
    assert.deepEqual(expand('functions'), [...FUNCTIONS_JS, 'functions/z.mjs', 'functions/link/o.js', 'functions/sub/c.js', 'functions/sub/deeper/d.js']);
    assert.deepEqual(expand('!functions/a.js'), []);
    assert.deepEqual(expand('nowhere/*.js'), []);
    assert.deepEqual(expand('top.js/*.js'), [], 'a file where a folder should be');
  });

  it('ends on symbolic links that loop back up the tree', () => {
    const loop = makeTempDir('blobferry-main-loop-');
    try {
      for (const dir of ['f', 'g']) fs.mkdirSync(path.join(loop, dir));
      fs.writeFileSync(path.join(loop, 'f', 'a.js'), '//\n');
      fs.writeFileSync(path.join(loop, 'g', 'b.js'), '//\n');
      fs.symlinkSync('..', path.join(loop, 'f', 'up'));
      fs.symlinkSync('../g', path.join(loop, 'f', 'toG'));
      fs.symlinkSync('../f', path.join(loop, 'g', 'toF'));
      assert.deepEqual(expandEntryPattern(loop, 'f/**/*.js').map((f) => path.relative(loop, f)), ['f/a.js', 'f/toG/b.js', 'f/up/g/b.js']);
    } finally {
      removeDir(loop);
    }
  });
});

describe('the app\'s entry points from package.json', () => {
  const withPackage = (pkg: unknown) => {
    fs.writeFileSync(path.join(app, 'package.json'), typeof pkg === 'string' ? pkg : JSON.stringify(pkg));
    return () => appEntryPoints(app);
  };
  const fails = (run: () => unknown, message: RegExp) => assert.throws(run, (err: { code?: string; message?: string }) => err.code === 'CONFIG_INVALID' && message.test(err.message ?? ''));

  it('expands a glob "main"', () => {
    assert.deepEqual(withPackage({ main: 'functions/[ab].js' })().map((f) => path.relative(app, f)), ['functions/a.js', 'functions/b.js']);
  });

  it('says what is wrong with a "main" that names nothing, and what to run', () => {
    fails(withPackage({ main: 'dist/functions/*.js', scripts: { build: 'tsc' } }), /No file in .* matches "main": "dist\/functions\/\*\.js".*run "npm run build" first/);
    fails(withPackage({ main: 'dist/index.js', scripts: { build: 'tsc' } }), /entry point .*dist\/index\.js \("main" in .*\) does not exist\. If the app is compiled, run "npm run build" first/);
    fails(withPackage({ main: 'dist/index.js' }), /does not exist\.$/);
    fails(withPackage({ main: ['functions/*.js'] }), /"main" in .* must be a string.*loads no functions/);
    fails(withPackage({ name: 'x' }), /has no "main"/);
    fails(withPackage('{"main": '), /is not valid JSON/);
    fs.rmSync(path.join(app, 'package.json'));
    fails(() => appEntryPoints(app), /package\.json does not exist/);
  });
});
