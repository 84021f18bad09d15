/** The dashboard's numbers (src/web/format.mjs, a browser ES module loaded here as it is): percent, ETA, sizes, durations. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, it } from 'node:test';
import { RUNTIME_STATUSES } from '../../src/contracts/copyList';
import { OVERWRITE_POLICIES, STRATEGIES, VERIFY_MODES } from '../../src/contracts/copyRequest';

interface Copy {
  runtimeStatus: string;
  cancelled?: boolean;
  listing?: boolean;
  rateBytesPerSec?: number;
  blobs: { failed: number };
  bytes: { total: number; copied: number };
}

let format: {
  percent(done: number, total: number, whole: boolean): number;
  isWhole(copy: Copy): boolean;
  etaSeconds(copy: Copy): number | undefined;
  formatBytes(n: number): string;
  formatDuration(seconds: number | undefined): string;
};

before(async () => {
  format = await import(pathToFileURL(path.join(__dirname, '..', '..', '..', 'src', 'web', 'format.mjs')).href);
});

const copy = (over: Partial<Copy> = {}): Copy => ({ runtimeStatus: 'Running', blobs: { failed: 0 }, bytes: { total: 1000, copied: 250 }, ...over });

it('says 100% only when everything is done, and for nothing to count only when the copy ended whole', () => {
  assert.equal(format.percent(999, 1000, false), 99, 'never rounded up to done');
  assert.equal(format.percent(1000, 1000, false), 100);
  assert.equal(format.percent(0, 0, format.isWhole(copy({ runtimeStatus: 'Completed', bytes: { total: 0, copied: 0 } }))), 100);
  assert.equal(format.percent(0, 0, format.isWhole(copy({ runtimeStatus: 'Failed' }))), 0, 'a copy that could not start is not done');
  assert.equal(format.isWhole(copy({ runtimeStatus: 'Completed', cancelled: true })), false);
  assert.equal(format.isWhole(copy({ runtimeStatus: 'Completed', blobs: { failed: 1 } })), false);
});

it('gives a time left from the rate only while the total is known and bytes move', () => {
  assert.equal(format.etaSeconds(copy({ rateBytesPerSec: 250 })), 3);
  assert.equal(format.etaSeconds(copy({ rateBytesPerSec: 250, listing: true })), undefined, 'a prefix still listed has a growing total');
  assert.equal(format.etaSeconds(copy({ rateBytesPerSec: 0 })), undefined);
  assert.equal(format.etaSeconds(copy({ runtimeStatus: 'Completed', rateBytesPerSec: 250 })), undefined);
});

it('writes sizes in binary units and durations in words', () => {
  assert.deepEqual([0, 1023, 1024, 1536, 10 * 1048576, 3 * 1024 ** 4].map(format.formatBytes), ['0 B', '1023 B', '1.00 KiB', '1.50 KiB', '10.0 MiB', '3.00 TiB']);
  assert.deepEqual([0.2, 59, 61, 3600, 90061, undefined].map((s) => format.formatDuration(s)), ['1 s', '59 s', '1 min 1 s', '1 h 0 min', '1 d 1 h', '—']);
});

it('offers the same choices as the request schema and the runtime statuses (src/web/choices.mjs, copied because the page has no build step)', async () => {
  const choices = await import(pathToFileURL(path.join(__dirname, '..', '..', '..', 'src', 'web', 'choices.mjs')).href);
  assert.deepEqual(choices.OVERWRITE_POLICIES, [...OVERWRITE_POLICIES]);
  assert.deepEqual(choices.STRATEGIES, [...STRATEGIES]);
  assert.deepEqual(choices.VERIFY_MODES, [...VERIFY_MODES]);
  assert.deepEqual(choices.RUNTIME_STATUSES, [...RUNTIME_STATUSES]);
});
