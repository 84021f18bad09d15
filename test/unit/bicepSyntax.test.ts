/**
 * Every Bicep file under infra/ parses. A syntax check only, with tree-sitter-bicep: the one Bicep
 * tool that installs from the npm registry alone (the Bicep compiler and its linter, and
 * `az bicep install`, download from GitHub). Resource types, API versions and module parameters
 * are not checked here; docs/deploy.md says how they were.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { treeFiles } from '../support/deployArtifact';
import { parseBicep, type BicepNode } from '../support/settingsScan';

const INFRA = path.join(__dirname, '..', '..', '..', 'infra');

/** Where the text does not parse: "line:column" of each error or missing token. */
function syntaxErrors(text: string): string[] {
  const found: string[] = [];
  const walk = (node: BicepNode) => {
    if (node.type === 'ERROR' || node.isMissing) found.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1}`);
    node.children.forEach(walk);
  };
  walk(parseBicep(text));
  return found;
}

describe('the Bicep under infra/', () => {
  const files = treeFiles(INFRA).filter((file) => file.endsWith('.bicep')).map((file) => path.join(INFRA, file));

  it('is there: main.bicep and its modules', () => {
    assert.ok(files.some((f) => f.endsWith(`${path.sep}main.bicep`)), `found ${files.length} files`);
    assert.ok(files.length >= 2);
  });

  for (const file of files) {
    it(`${path.relative(INFRA, file)} parses`, () => {
      assert.deepEqual(syntaxErrors(fs.readFileSync(file, 'utf8')), []);
    });
  }

  it('would be caught broken: a dropped brace, a misspelt keyword', () => {
    const main = fs.readFileSync(path.join(INFRA, 'main.bicep'), 'utf8');
    const lastBrace = main.lastIndexOf('}');
    assert.notDeepEqual(syntaxErrors(main.slice(0, lastBrace) + main.slice(lastBrace + 1)), []);
    assert.notDeepEqual(syntaxErrors(main.replace(/^param /m, 'parm ')), []);
  });
});
