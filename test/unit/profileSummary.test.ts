/** The benchmark's CPU-profile summary (bench/profileSummary.ts): self time by area and function. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { areaOf, summarise } from '../../bench/profileSummary';

describe('CPU profile summary', () => {
  it('names the area of a frame: package, node module, V8 pseudo-frame or blobferry', () => {
    assert.equal(areaOf('file:///x/node_modules/azurite/dist/src/common/utils/utils.js', 'update'), 'azurite');
    assert.equal(areaOf('/x/node_modules/@azure/storage-blob/dist/commonjs/Clients.js', 'f'), '@azure/storage-blob');
    assert.equal(areaOf('node:internal/streams/readable', 'read'), 'node:internal');
    assert.equal(areaOf('', '(garbage collector)'), '(garbage collector)');
    assert.equal(areaOf('', 'writeBuffer'), '(native)');
    assert.equal(areaOf('/work/main/dist/src/durable/engine.js', 'pump'), 'blobferry');
  });

  it('adds up self time per sampled node, not per call tree', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('crc', '/a/node_modules/azurite/u.js') },
        { id: 3, callFrame: frame('(idle)', '') },
        { id: 4, callFrame: frame('update', 'node:internal/crypto/hash') },
      ],
      // Each delta is the time before its sample: a sample lasts until the next one.
      samples: [2, 2, 2, 4, 3, 1],
      timeDeltas: [7000, 1000, 1000, 1000, 500, 1500],
    };
    const s = summarise(profile);
    assert.equal(s.totalMs, 5);
    assert.deepEqual(s.areas, [{ area: 'azurite', ms: 3 }, { area: '(idle)', ms: 1.5 }, { area: 'node:internal', ms: 0.5 }]);
    assert.deepEqual(s.functions[0], { name: 'crc azurite/u.js:10', ms: 3 });
  });
});
