/** The copy engine's pure parts: block plans, names, filters, overwrite decisions, strategy, waves, metadata, verification. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockId, blockRange, MAX_BLOCKS, MiB, planBlocks, planRuns, runLengthFor, versionTag } from '../../src/plan/blocks';
import { azureMetadata, azureTags } from '../../src/plan/metadata';
import { asPrefix, blobNameProblem, destinationNameFor, prefixDestinationName, renamedName, singleDestinationName, suffixFromGuid, validBlobName } from '../../src/plan/names';
import { checkDigests, digestsWanted } from '../../src/plan/verification';
import { conditionsFit, copyMarker, decideOverwrite, keptByListing, looksAtDestination, ownWrite, renameSuffix, type SourceSide } from '../../src/plan/overwrite';
import { listedNames, listFilter, nameFilter } from '../../src/plan/select';
import { checkRequestFits, checkStrategyFits, chooseStrategy, routeFor, SYNC_COPY_MAX_BYTES, type RouteFacts } from '../../src/plan/strategy';
import { nextPollWaitMs } from '../../src/plan/polling';
import { nextRetry, RETRY_BUDGET, retryBudget, retryWaitMs } from '../../src/plan/retry';
import { nextPace, paceAfterTask, startPace } from '../../src/plan/pace';
import { failureClass } from '../../src/contracts/errors';
import { toBlobferryError } from '../../src/storage/azureBlob/errors';
import { s3Error } from '../../src/storage/s3/client';
import { mirrorCopy, parseMirrorRules, ruleFor, underADestination } from '../../src/plan/mirror';
import { blobCreatedOf, writtenByBlobferry } from '../../src/contracts/blobEvents';
import { formatDuration, parseDuration } from '../../src/contracts/duration';
import { OVERWRITE_POLICIES, parseCopyRequest } from '../../src/contracts/copyRequest';
import { copyLimits } from '../../src/durable/settings';
import { bytesPerSecond } from '../../src/plan/rate';
import type { SourceBlob } from '../../src/contracts/blobFacts';

const blob = (etag?: string): SourceBlob => ({ name: 'x', size: 1, etag, blobType: 'BlockBlob', properties: {} });

describe('block plans', () => {
  it('starts at 8 MiB and grows in whole MiB so the blob fits in 50,000 blocks', () => {
    assert.deepEqual(planBlocks(0), { size: 0, blockSize: 8 * MiB, blockCount: 0 });
    assert.equal(planBlocks(1).blockCount, 1);
    assert.equal(planBlocks(8 * MiB).blockCount, 1);
    assert.equal(planBlocks(8 * MiB + 1).blockCount, 2);
    const huge = 50_000 * 8 * MiB + 1;
    const plan = planBlocks(huge);
    assert.equal(plan.blockSize, 9 * MiB);
    assert.ok(plan.blockCount <= MAX_BLOCKS);
    assert.equal(planBlocks(190 * 1024 * 1024 * MiB).blockSize, 3985 * MiB);
    assert.throws(() => planBlocks(50_000 * 4000 * MiB + 1), { code: 'BLOB_TOO_LARGE' });
  });

  it('takes a user block size and refuses one that needs more than 50,000 blocks, suggesting one that fits', () => {
    assert.equal(planBlocks(10 * MiB, MiB).blockCount, 10);
    assert.throws(() => planBlocks(50_001 * MiB, MiB), { code: 'TOO_MANY_BLOCKS', message: /at least 2 MiB/ });
  });

  it('ranges cover the blob exactly; the last block is short', () => {
    const plan = planBlocks(2 * MiB + 5, MiB);
    assert.deepEqual([0, 1, 2].map((i) => blockRange(plan, i)), [{ offset: 0, count: MiB }, { offset: MiB, count: MiB }, { offset: 2 * MiB, count: 5 }]);
  });

  it('block ids are stable, equal in length, at most 64 bytes, and change with the source version', () => {
    const tag = versionTag(blob('"0x1"'));
    const ids = [0, 9, 49_999].map((i) => blockId(tag, i));
    assert.equal(new Set(ids.map((id) => id.length)).size, 1);
    assert.ok(ids.every((id) => Buffer.from(id, 'base64').length <= 64));
    assert.equal(blockId(tag, 7), blockId(versionTag(blob('"0x1"')), 7));
    assert.notEqual(blockId(tag, 7), blockId(versionTag(blob('"0x2"')), 7));
  });

  it('runs cover every block once and stay under the cap', () => {
    const runs = planRuns(50_000, runLengthFor(50_000, 400));
    assert.ok(runs.length <= 400);
    assert.equal(runs[0].first, 0);
    assert.equal(runs[runs.length - 1].last, 49_999);
    runs.slice(1).forEach((run, i) => assert.equal(run.first, runs[i].last + 1));
  });
});

describe('names', () => {
  it('maps single blobs and prefixes onto the destination', () => {
    assert.equal(singleDestinationName('copy.bin', 'a/b/orig.bin'), 'copy.bin');
    assert.equal(singleDestinationName('landing/', 'a/b/orig.bin'), 'landing/orig.bin');
    assert.equal(singleDestinationName('', 'a/orig.bin'), 'orig.bin');
    assert.equal(prefixDestinationName('mirror', 'data/', 'data/x/y.txt'), 'mirror/x/y.txt');
    assert.equal(prefixDestinationName('', '', 'x.txt'), 'x.txt');
    assert.equal(asPrefix('a'), 'a/');
  });

  it('renames with a suffix before the extension', () => {
    assert.equal(renamedName('dir/report.pdf', 'x7Kq2a'), 'dir/report_x7Kq2a.pdf');
    assert.equal(renamedName('dir.v2/README', 'x7Kq2a'), 'dir.v2/README_x7Kq2a');
    assert.equal(renamedName('.env', 'x7Kq2a'), '.env_x7Kq2a');
    assert.match(suffixFromGuid('0f8fad5b-d9cb-469f-a165-70867728950e'), /^[A-Za-z0-9]{6}$/);
  });
});

describe('--include / --exclude', () => {
  it('matches base names without a slash, relative paths with one', () => {
    const keep = nameFilter(['*.csv', 'logs/**'], ['skip/**', '*.tmp.csv']);
    assert.equal(keep('a/b/x.csv'), true);
    assert.equal(keep('skip/x.csv'), false);
    assert.equal(keep('a/x.tmp.csv'), false);
    assert.equal(keep('logs/2024/app.log'), true);
    assert.equal(keep('a/x.log'), false);
    assert.equal(nameFilter([], [])('.hidden/anything'), true);
  });

  it('hashes only what is checked or kept: the declared MD5 (unless --check-md5 off), a stored Content-MD5, --verify md5', () => {
    const options = { checkMd5: 'fail' as const, putMd5: true, verify: 'size' };
    const declared = { properties: { contentMD5: 'AAA=' } };
    const bare = { properties: {} };
    assert.deepEqual(digestsWanted(declared, options, false), { md5: true, checksum: false }, 'a download checks the blob\'s MD5');
    assert.deepEqual(digestsWanted(bare, options, false), { md5: false, checksum: false }, 'a download of a blob without one hashes nothing');
    assert.deepEqual(digestsWanted(bare, options, true), { md5: true, checksum: false }, 'an upload keeps it as Content-MD5');
    assert.deepEqual(digestsWanted(bare, { ...options, putMd5: false }, true), { md5: false, checksum: false });
    assert.deepEqual(digestsWanted(declared, { ...options, checkMd5: 'off' }, false), { md5: false, checksum: false });
    assert.deepEqual(digestsWanted(bare, { ...options, verify: 'md5' }, false), { md5: true, checksum: false });
    assert.deepEqual(digestsWanted({ ...bare, checksum: { algorithm: 'crc64nvme', value: 'x' } }, options, false), { md5: false, checksum: true });
  });

  it('--list-of-files: names as listed, directories with what is under them, and nothing else', () => {
    const names = listedNames('a.txt\r\n./sp ace #%?ü.txt\n\n  # a comment\n/dir/\ndeep/er\nmissing.txt\n');
    assert.deepEqual(names, ['a.txt', 'sp ace #%?ü.txt', 'dir/', 'deep/er', 'missing.txt']);
    const keep = listFilter(names);
    for (const name of ['a.txt', 'sp ace #%?ü.txt', 'dir/x.txt', 'dir/sub/y.txt', 'deep/er', 'deep/er/z.csv']) assert.equal(keep(name), true, name);
    for (const name of ['b.txt', 'a.txt.bak', 'dirt/x.txt', 'deep/e', 'deep/err/x', 'x/a.txt']) assert.equal(keep(name), false, name);
  });
});

describe('overwrite decisions', () => {
  const existing = { exists: true as const, etag: '"e1"', lastModified: '2024-01-02T00:00:00.000Z' };
  const at = (lastModified: string, more: Partial<SourceSide> = {}): SourceSide => ({ lastModified, size: 10, ...more });
  it('never, always, if-source-newer and rename', () => {
    assert.deepEqual(decideOverwrite('never', 'x', { exists: false }, at('2024-01-01T00:00:00Z'), 's'), { action: 'copy', name: 'x', conditions: { ifNoneMatch: '*' } });
    assert.equal(decideOverwrite('never', 'x', existing, at('2024-01-01T00:00:00Z'), 's').action, 'skip');
    assert.deepEqual(decideOverwrite('always', 'x', existing, at('2024-01-01T00:00:00Z'), 's'), { action: 'copy', name: 'x', conditions: {} });
    assert.deepEqual(decideOverwrite('if-source-newer', 'x', existing, at('2024-01-03T00:00:00Z'), 's'), { action: 'copy', name: 'x', conditions: { ifMatch: '"e1"' } });
    assert.equal(decideOverwrite('if-source-newer', 'x', existing, at('2024-01-02T00:00:00Z'), 's').action, 'skip');
    assert.deepEqual(decideOverwrite('rename', 'r.pdf', existing, at('2024-01-01T00:00:00Z'), 'abcdef'), { action: 'copy', name: 'r_abcdef.pdf', conditions: { ifNoneMatch: '*' } });
  });

  it('if-different (sync): missing or different by size, modification time or MD5, else the same', () => {
    const file = { ...existing, size: 10, mtime: '2024-01-01T10:00:00.123456789Z', md5: 'AAA=' };
    const same = at('2024-01-05T00:00:00Z', { mtime: '2024-01-01T10:00:00.123456Z' });
    assert.deepEqual(decideOverwrite('if-different', 'x', { exists: false }, same, 's'), { action: 'copy', name: 'x', conditions: { ifNoneMatch: '*' } });
    assert.equal(decideOverwrite('if-different', 'x', file, same, 's').action, 'skip', 'times equal to the microsecond');
    assert.deepEqual(decideOverwrite('if-different', 'x', file, { ...same, size: 11 }, 's'), { action: 'copy', name: 'x', conditions: { ifMatch: '"e1"' } });
    assert.equal(decideOverwrite('if-different', 'x', file, { ...same, mtime: '2024-01-01T10:00:00.125Z' }, 's').action, 'copy', 'a time 2 ms apart');
    // Without an mtime on the destination (written by another tool): the source counts as changed when newer.
    assert.equal(decideOverwrite('if-different', 'x', { ...existing, size: 10 }, at('2024-01-01T00:00:00Z'), 's').action, 'skip');
    assert.equal(decideOverwrite('if-different', 'x', { ...existing, size: 10 }, at('2024-01-03T00:00:00Z'), 's').action, 'copy');
    // MD5 when asked and both are known: the times no longer matter.
    assert.equal(decideOverwrite('if-different', 'x', file, { ...same, mtime: '2030-01-01T00:00:00Z', md5: 'AAA=' }, 's', undefined, 'md5').action, 'skip');
    assert.equal(decideOverwrite('if-different', 'x', file, { ...same, md5: 'BBB=' }, 's', undefined, 'md5').action, 'copy');
    assert.equal(decideOverwrite('if-different', 'x', file, { ...same, md5: 'BBB=' }, 's').action, 'skip', 'MD5s count only with --compare md5');
    // An mtime another tool wrote as epoch seconds counts as absent, never as "the same".
    assert.equal(decideOverwrite('if-different', 'x', { ...file, mtime: '1700000000' }, at('2024-01-03T00:00:00Z', { mtime: '2024-01-03T00:00:00Z' }), 's').action, 'copy');
    assert.equal(decideOverwrite('if-different', 'x', { ...file, mtime: '1700000000' }, at('2024-01-01T00:00:00Z', { mtime: 'yesterday' }), 's').action, 'skip', 'falls back to newer-than');
    assert.equal(conditionsFit('if-different', { ifMatch: '"e1"' }), true);
    assert.equal(conditionsFit('if-different', {}), false);
  });

  it('a destination listing settles only the skips a look would decide, for the policies that look', () => {
    const file = { ...existing, size: 10, mtime: '2024-01-01T10:00:00Z', md5: 'AAA=' };
    const same = at('2024-01-05T00:00:00Z', { mtime: '2024-01-01T10:00:00Z' });
    assert.equal(keptByListing('if-different', 'size-mtime', same, file), true);
    assert.equal(keptByListing('if-different', 'size-mtime', { ...same, size: 11 }, file), false);
    assert.equal(keptByListing('if-source-newer', 'size-mtime', at('2024-01-01T00:00:00Z'), existing), true);
    assert.equal(keptByListing('if-source-newer', 'size-mtime', at('2024-01-03T00:00:00Z'), existing), false);
    // Policies that never skip after looking, or skip at the write ("never"), are left to the copy.
    for (const policy of ['never', 'always', 'rename'] as const) assert.equal(keptByListing(policy, 'size-mtime', same, file), false, policy);
    // --compare md5 with the source's MD5 unknown: the copy would hash the source, so the listing settles nothing.
    assert.equal(keptByListing('if-different', 'md5', same, file), false);
    assert.equal(keptByListing('if-different', 'md5', { ...same, md5: 'AAA=' }, file), true);
  });

  it('the policies that look at the destination before writing, and those a write condition settles alone', () => {
    assert.deepEqual(OVERWRITE_POLICIES.filter(looksAtDestination).sort(), ['if-different', 'if-source-newer', 'rename']);
    // Those that do not look write under a condition that keeps what they must not overwrite.
    assert.deepEqual(decideOverwrite('never', 'x', { exists: false }, at('2024-01-01T00:00:00Z'), 's'), { action: 'copy', name: 'x', conditions: { ifNoneMatch: '*' } });
    assert.deepEqual(decideOverwrite('always', 'x', { exists: false }, at('2024-01-01T00:00:00Z'), 's'), { action: 'copy', name: 'x', conditions: {} });
  });

  const blob = { name: 'r.pdf', size: 10, etag: '"src1"', blobType: 'BlockBlob', properties: {} } as SourceBlob;
  const marker = copyMarker('run-1', blob);
  it('adopt this run\'s own earlier write of this source version, under every policy', () => {
    const own = { ...existing, marker, size: 10 };
    for (const policy of OVERWRITE_POLICIES) {
      assert.deepEqual(decideOverwrite(policy, 'r.pdf', own, at('2024-01-01T00:00:00Z'), 'abcdef', { marker, size: 10 }), { action: 'adopt', name: 'r.pdf' }, policy);
    }
  });
  it('do not adopt another run\'s write, another source version, a torn or a pending one', () => {
    const cases = [
      { ...existing, marker: copyMarker('run-0', blob), size: 10 },
      { ...existing, marker: copyMarker('run-1', { ...blob, etag: '"src2"' }), size: 10 },
      { ...existing, marker, size: 9 },
      { ...existing, marker, size: 10, copyPending: true },
      existing,
    ];
    for (const state of cases) assert.notEqual(decideOverwrite('never', 'r.pdf', state, at('2024-01-01T00:00:00Z'), 's', { marker, size: 10 }).action, 'adopt', JSON.stringify(state));
    assert.equal(ownWrite({ exists: false }, marker, 10), false);
  });
  it('rename to the same name in every run of an activity, another on each attempt', () => {
    assert.equal(renameSuffix(marker, 'r.pdf', 1), renameSuffix(marker, 'r.pdf', 1));
    assert.match(renameSuffix(marker, 'r.pdf', 1), /^[A-Za-z0-9]{6}$/);
    assert.notEqual(renameSuffix(marker, 'r.pdf', 1), renameSuffix(marker, 'r.pdf', 2));
    assert.notEqual(renameSuffix(marker, 'r.pdf', 1), renameSuffix(copyMarker('run-2', blob), 'r.pdf', 1));
  });
  it('take write conditions only as strict as the policy or stricter', () => {
    assert.equal(conditionsFit('never', { ifNoneMatch: '*' }), true);
    assert.equal(conditionsFit('never', {}), false);
    assert.equal(conditionsFit('rename', { ifMatch: '"e"' }), false);
    assert.equal(conditionsFit('if-source-newer', { ifMatch: '"e"' }), true);
    assert.equal(conditionsFit('if-source-newer', {}), false);
    assert.equal(conditionsFit('always', {}), true);
  });
});

describe('retries', () => {
  it('class failures once by code: retryable, throttled, final', () => {
    assert.equal(failureClass('STORAGE_ERROR'), 'retryable');
    assert.equal(failureClass('SOURCE_UNREACHABLE'), 'retryable');
    assert.equal(failureClass('THROTTLED'), 'throttled');
    for (const code of ['STORAGE_REFUSED', 'AUTH_FAILED', 'DESTINATION_EXISTS', 'SOURCE_CHANGED', 'SEAL_MISMATCH']) assert.equal(failureClass(code), 'final', code);
  });
  it('map the service\'s answers to those classes', () => {
    const azure = (statusCode: number, errorCode = '', message = '') => toBlobferryError({ statusCode, details: { errorCode }, message }, 'destination', 'writing x').code;
    assert.equal(azure(503, 'ServerBusy'), 'THROTTLED');
    assert.equal(azure(503, 'InternalError', 'Operations per second is over the account limit.'), 'THROTTLED');
    assert.equal(azure(429), 'THROTTLED');
    for (const status of [500, 502, 503, 504, 408]) assert.equal(azure(status, 'InternalError'), 'STORAGE_ERROR', String(status));
    for (const status of [400, 409, 413, 501, 505]) assert.equal(azure(status, 'Whatever'), 'STORAGE_REFUSED', String(status));
    const s3 = (status: number, name = '') => s3Error({ name, $metadata: { httpStatusCode: status } }, 'reading k', { bucket: 'b' }).code;
    assert.equal(s3(503, 'SlowDown'), 'THROTTLED');
    assert.equal(s3(500, 'InternalError'), 'SOURCE_UNREACHABLE');
    assert.equal(s3(400, 'InvalidArgument'), 'STORAGE_REFUSED');
  });
  it('run an activity again after 1x, then 2x the wait (4x when throttled), three runs at most', () => {
    assert.equal(retryWaitMs('STORAGE_ERROR', 1, 5), 5000);
    assert.equal(retryWaitMs('STORAGE_ERROR', 2, 5), 10_000);
    assert.equal(retryWaitMs('STORAGE_ERROR', 3, 5), undefined);
    assert.equal(retryWaitMs('THROTTLED', 1, 5), 20_000);
    assert.equal(retryWaitMs('AUTH_FAILED', 1, 5), undefined);
  });
  it('spend one budget per orchestration run: once it is gone, nothing is run again', () => {
    const budget = retryBudget(5);
    let spent = 0;
    for (let blob = 0; blob < 100 && nextRetry('STORAGE_ERROR', 1, budget) !== undefined; blob++) spent++;
    assert.equal(spent, RETRY_BUDGET);
    assert.equal(nextRetry('THROTTLED', 1, budget), undefined);
    assert.equal(nextRetry('AUTH_FAILED', 1, retryBudget(5)), undefined, 'a final failure spends nothing');
  });
});

describe('the pacer', () => {
  it('halves on throttling, down to one; doubles after two calm waves, up to --concurrency', () => {
    let pace = startPace(16);
    pace = nextPace(pace, 16, 3, 'dst');
    assert.deepEqual(pace, { limit: 8, calm: 0, note: 'throttled by dst: 16 → 8' });
    for (let i = 0; i < 5; i++) pace = nextPace(pace, 16, 1, 'dst');
    assert.equal(pace.limit, 1);
    pace = nextPace(pace, 16, 0, 'dst');
    assert.equal(pace.limit, 1, 'one calm wave is not enough');
    pace = nextPace(pace, 16, 0, 'dst');
    assert.deepEqual(pace, { limit: 2, calm: 0, note: 'recovering on dst: 1 → 2' });
    for (let i = 0; i < 20; i++) pace = nextPace(pace, 16, 0, 'dst');
    assert.equal(pace.limit, 16);
    assert.equal(pace.note, undefined, 'back at full speed, nothing to say');
  });

  it('in a sliding window: halves once per window of throttled tasks; a window of calm tasks counts as one calm wave', () => {
    let pace = paceAfterTask(startPace(16), 16, { throttled: 2, weight: 4, slowdowns: 0 }, 32, 'dst');
    assert.equal(pace.limit, 8);
    assert.equal(paceAfterTask(pace, 16, { throttled: 5, weight: 4, slowdowns: 0 }, 32, 'dst'), pace, 'a task started before the slowdown does not halve it again');
    pace = paceAfterTask(pace, 16, { throttled: 0, weight: 8, slowdowns: 1 }, 16, 'dst');
    assert.deepEqual([pace.limit, pace.calm, pace.calmWeight], [8, 0, 8], 'half a window is not a wave');
    pace = paceAfterTask(pace, 16, { throttled: 0, weight: 8, slowdowns: 1 }, 16, 'dst');
    assert.deepEqual([pace.limit, pace.calm, pace.calmWeight], [8, 1, 0], 'a full window is one calm wave');
    for (let i = 0; i < 3; i++) pace = paceAfterTask(pace, 16, { throttled: 0, weight: 16, slowdowns: 1 }, 16, 'dst');
    assert.equal(pace.limit, 16, 'two calm waves double it');
    pace = paceAfterTask(pace, 16, { throttled: 1, weight: 1, slowdowns: 1 }, 32, 'dst');
    assert.deepEqual([pace.limit, pace.slowdowns], [8, 2], 'a task started after the last slowdown halves it at once');
  });
});

describe('strategy table', () => {
  interface Over {
    source?: Partial<RouteFacts['source']>;
    destination?: Partial<RouteFacts['destination']>;
    requested?: RouteFacts['requested'];
    blobType?: RouteFacts['blobType'];
  }
  const azureSource: RouteFacts['source'] = { servesUrl: true, account: { origin: 'https://a.blob.core.windows.net', name: 'a' }, serviceCopiesProperties: true };
  const facts = (over: Over): RouteFacts => ({
    source: { ...azureSource, ...over.source },
    destination: { account: { origin: 'https://b.blob.core.windows.net', name: 'b' }, emulator: false, readsUrls: true, ...over.destination },
    requested: over.requested ?? 'auto',
    blobType: over.blobType ?? 'detect',
  });
  const block = (size: number) => ({ size, blobType: 'BlockBlob' });
  const pick = (over: Over, blob = block(1)) => chooseStrategy(routeFor(facts(over)), blob).strategy;
  const sameAccount: Over = { destination: { account: { origin: 'https://a.blob.core.windows.net', name: 'a' } } };
  const azurite = (sourceAccount: string, destinationAccount: string, port = 1): Over => ({
    source: { account: { origin: 'http://127.0.0.1:1', name: sourceAccount }, privateBecause: 'loopback' },
    destination: { account: { origin: `http://127.0.0.1:${port}`, name: destinationAccount }, emulator: true },
  });
  const s3: Over = { source: { account: undefined, serviceCopiesProperties: false } };

  it('same account: server-copy, whatever the size', () => {
    assert.equal(pick(sameAccount), 'server-copy');
    assert.equal(pick(sameAccount, block(10 * 1024 * MiB)), 'server-copy');
    // Azurite path-style: same origin, same account name.
    assert.equal(pick(azurite('x', 'x')), 'server-copy');
    // A secondary endpoint is another host: not "the same account" for Copy Blob.
    assert.equal(pick({ ...sameAccount, source: { account: { origin: 'https://a.blob.core.windows.net', name: 'a', secondary: true } } }), 'sync-copy');
  });
  it('another account: sync-copy up to 256 MiB, block-copy above', () => {
    assert.equal(pick({}, block(0)), 'sync-copy');
    assert.equal(pick({}, block(SYNC_COPY_MAX_BYTES)), 'sync-copy');
    assert.equal(pick({}, block(SYNC_COPY_MAX_BYTES + 1)), 'block-copy');
    assert.equal(pick(azurite('x', 'y'), block(5)), 'sync-copy');
  });
  it('not an Azure blob (S3, HTTP): block-copy from its URL at any size, so the commit sets its properties', () => {
    assert.equal(pick(s3, block(1)), 'block-copy');
    assert.equal(pick(s3, block(SYNC_COPY_MAX_BYTES + 1)), 'block-copy');
    assert.match(chooseStrategy(routeFor(facts(s3)), block(1)).reason, /properties/);
  });
  it('a source the service cannot read: relay', () => {
    assert.equal(pick({ source: { account: undefined, serviceCopiesProperties: false, privateBecause: 'the source is on plain http' } }), 'relay');
    assert.equal(pick(azurite('x', 'x', 2)), 'relay');
    assert.equal(pick({ ...s3, destination: { emulator: true } }), 'relay', 'Azurite reads nothing outside itself');
    assert.equal(pick({ source: { privateBecause: 'private' } }, { size: 5, blobType: 'PageBlob' }), 'relay');
    assert.equal(pick({ source: { servesUrl: false } }), 'relay', 'a source without a URL');
  });
  it('page and append blobs: server-copy keeps their type, unless a block blob is asked for', () => {
    assert.equal(pick({}, { size: 5, blobType: 'PageBlob' }), 'server-copy');
    assert.equal(pick({}, { size: 5, blobType: 'AppendBlob' }), 'server-copy');
    assert.equal(pick({ blobType: 'block' }, { size: 5, blobType: 'AppendBlob' }), 'block-copy');
    assert.equal(pick({ ...sameAccount, blobType: 'block' }, { size: 5, blobType: 'PageBlob' }), 'block-copy', 'Copy Blob would keep the page blob');
  });
  it('refuses server-copy and sync-copy forced on a source that is not an Azure blob', () => {
    assert.throws(() => checkRequestFits(routeFor(facts({ ...s3, requested: 'server-copy' }))), { code: 'CONFLICTING_OPTIONS', message: /Azure blob sources only/ });
    assert.throws(() => checkRequestFits(routeFor(facts({ ...s3, requested: 'sync-copy' }))), { code: 'CONFLICTING_OPTIONS' });
    checkRequestFits(routeFor(facts({ ...s3, requested: 'block-copy' })));
    checkRequestFits(routeFor(facts({ requested: 'sync-copy' })));
  });
  it('a forced strategy is honoured, with the reason saying so', () => {
    for (const requested of ['server-copy', 'sync-copy', 'block-copy', 'relay'] as const) {
      assert.deepEqual(chooseStrategy(routeFor(facts({ requested, source: { privateBecause: 'private' } })), block(1)), { strategy: requested, reason: `${requested} was asked for` });
    }
  });
  it('every choice has a reason, and sync-copy refuses blobs over 256 MiB', () => {
    assert.match(chooseStrategy(routeFor(facts({})), block(1)).reason, /256 MiB/);
    assert.throws(() => checkStrategyFits('sync-copy', { name: 'big', size: SYNC_COPY_MAX_BYTES + 1 }), { code: 'BLOB_TOO_LARGE' });
    checkStrategyFits('sync-copy', { name: 'ok', size: SYNC_COPY_MAX_BYTES });
    checkStrategyFits('server-copy', { name: 'big', size: SYNC_COPY_MAX_BYTES * 100 });
  });
});

describe('durations, polling and time limits', () => {
  it('parses durations and refuses what is not one', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('2h'), 7200);
    assert.equal(parseDuration('7d'), 604800);
    assert.equal(parseDuration('250ms'), 0.25);
    assert.equal(parseDuration('42'), 42);
    assert.equal(parseDuration(1.5), 1.5);
    for (const bad of ['', 'soon', '-5s', '5 weeks', '1h30m']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(5400), '1h 30m');
    assert.equal(formatDuration(0.5), '500 ms');
  });
  it('waits longer between polls up to the longest wait, never past the deadline', () => {
    const limits = { pollFirstSeconds: 2, pollMaxSeconds: 10 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((polls) => nextPollWaitMs(polls, limits, 60_000)), [2000, 3000, 4500, 6750, 10000, 10000]);
    assert.equal(nextPollWaitMs(3, limits, 1500), 1500);
    assert.equal(nextPollWaitMs(0, limits, -5), 0);
  });
  it('takes the timeout from the request, else from the settings, and refuses bad settings', () => {
    const options = parseCopyRequest({ source: 's', destination: 'd' }).options;
    assert.deepEqual(copyLimits(options, {}), { timeoutSeconds: 86400, pollFirstSeconds: 2, pollMaxSeconds: 60, retryWaitSeconds: 5, credentialsWaitSeconds: 30, credentialsMaxWaitSeconds: 86400 });
    assert.equal(copyLimits(options, { BLOBFERRY_RETRY_WAIT: '1s' }).retryWaitSeconds, 1);
    assert.throws(() => copyLimits(options, { BLOBFERRY_RETRY_WAIT: 'soon' }), { code: 'CONFIG_INVALID' });
    assert.equal(copyLimits({ ...options, timeout: 30 }, { BLOBFERRY_COPY_TIMEOUT: '1h' }).timeoutSeconds, 30);
    assert.equal(copyLimits(options, { BLOBFERRY_COPY_TIMEOUT: '1h', BLOBFERRY_POLL_INTERVAL: '100ms', BLOBFERRY_POLL_MAX_INTERVAL: '1s' }).timeoutSeconds, 3600);
    assert.throws(() => copyLimits(options, { BLOBFERRY_POLL_INTERVAL: 'often' }), { code: 'CONFIG_INVALID' });
    assert.throws(() => copyLimits(options, { BLOBFERRY_COPY_TIMEOUT: '0' }), { code: 'CONFIG_INVALID' });
  });
});

describe('rates', () => {
  it('is bytes over the seconds between two points, 0 when no time passed', () => {
    assert.equal(bytesPerSecond({ at: 0, bytes: 0 }, { at: 2000, bytes: 4000 }), 2000);
    assert.equal(bytesPerSecond({ at: 5, bytes: 0 }, { at: 5, bytes: 10 }), 0);
  });
});

describe('mirror rules and BlobCreated events', () => {
  const rules = parseMirrorRules(JSON.stringify([{ source: 'https://src.blob.core.windows.net/uploads/incoming?sv=1&sig=s', destination: 'https://dst.blob.core.windows.net/mirror/?sv=2&sig=d', options: { overwrite: 'always' } }]));
  it('finds the rule of a blob and the copy it makes, with the rules\' SAS tokens', () => {
    const match = ruleFor(rules, 'https://src.blob.core.windows.net/uploads/incoming/a%20b/c%23.txt');
    assert.equal(match?.relative, 'a b/c#.txt');
    assert.deepEqual(mirrorCopy(match!, 'https://src.blob.core.windows.net/uploads/incoming/a%20b/c%23.txt'), {
      source: 'https://src.blob.core.windows.net/uploads/incoming/a%20b/c%23.txt?sv=1&sig=s',
      destination: 'https://dst.blob.core.windows.net/mirror/a%20b/c%23.txt?sv=2&sig=d',
      options: { overwrite: 'always' },
    });
    assert.equal(ruleFor(rules, 'https://src.blob.core.windows.net/uploads/incomingX/a.txt'), undefined, 'a prefix is a folder');
    assert.equal(ruleFor(rules, 'https://src.blob.core.windows.net/uploads/incoming/'), undefined);
    assert.ok(underADestination(rules, 'https://dst.blob.core.windows.net/mirror/a.txt'));
    assert.ok(!underADestination(rules, 'https://dst.blob.core.windows.net/other/a.txt'));
  });
  it('refuses rules that are not a list of source/destination', () => {
    assert.deepEqual(parseMirrorRules(undefined), []);
    for (const bad of ['nope', '{}', '[{"source": "x"}]', '[{"source": "x", "destination": "y", "options": 3}]']) assert.throws(() => parseMirrorRules(bad), { code: 'CONFIG_INVALID' }, bad);
  });
  it('reads BlobCreated events in both schemas and knows blobferry\'s own writes', () => {
    const data = { url: 'https://a.blob.core.windows.net/c/x.txt?x=1', clientRequestId: 'blobferry-123' };
    assert.deepEqual(blobCreatedOf({ id: '1', eventType: 'Microsoft.Storage.BlobCreated', data }), { id: '1', url: 'https://a.blob.core.windows.net/c/x.txt', clientRequestId: 'blobferry-123' });
    assert.equal(blobCreatedOf({ id: '2', type: 'Microsoft.Storage.BlobCreated', data })?.id, '2');
    assert.equal(blobCreatedOf({ id: '3', eventType: 'Microsoft.Storage.BlobDeleted', data }), undefined);
    assert.ok(writtenByBlobferry(blobCreatedOf({ id: '1', eventType: 'Microsoft.Storage.BlobCreated', data })!));
  });
});

describe('metadata and tags as Azure takes them', () => {
  it('keeps valid names, renames the others with the key they had, or fails the object when asked', () => {
    assert.deepEqual(azureMetadata({ owner: 'x', 'original-name': 'a b', '2fa': 'y' }, 'rename'), { owner: 'x', rename_original_name: 'a b', rename_key_original_name: 'original-name', rename_2fa: 'y', rename_key_2fa: '2fa' });
    assert.equal(azureMetadata(undefined, 'rename'), undefined);
    assert.throws(() => azureMetadata({ 'original-name': 'a' }, 'fail'), { code: 'INVALID_METADATA', message: /original-name.*--invalid-metadata rename/ });
    assert.throws(() => azureMetadata({ 'a-b': '1', rename_a_b: '2' }, 'rename'), { code: 'INVALID_METADATA', message: /twice/ });
  });
  it('replaces tag characters Azure refuses under rename, fails them otherwise, and fails what no rename fits', () => {
    assert.deepEqual(azureTags({ team: 'data', 'cost@center': 'ü-42' }, 'rename'), { team: 'data', cost_center: '_-42' });
    assert.deepEqual(azureTags({ 'a b+-.:=_/': 'Z 9' }, 'fail'), { 'a b+-.:=_/': 'Z 9' });
    assert.throws(() => azureTags({ 'k@': 'v' }, 'fail'), { code: 'INVALID_METADATA' });
    assert.throws(() => azureTags(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v'])), 'rename'), { code: 'INVALID_METADATA', message: /11 tags/ });
    assert.throws(() => azureTags({ k: 'v'.repeat(257) }, 'rename'), { code: 'INVALID_METADATA' });
    assert.equal(azureTags({}, 'rename'), undefined);
  });
});

describe('blob names from other stores', () => {
  it('says why a name cannot be a blob name', () => {
    assert.equal(blobNameProblem('a/b c/ü#%?.txt'), undefined);
    assert.match(blobNameProblem('report.')!, /ends with/);
    assert.match(blobNameProblem('dir/')!, /ends with/);
    assert.match(blobNameProblem('a/./b')!, /segment/);
    assert.match(blobNameProblem('a/../b')!, /segment/);
    assert.match(blobNameProblem('x'.repeat(1025))!, /1024/);
    assert.match(blobNameProblem(Array.from({ length: 255 }, () => 'd').join('/'))!, /254/);
    assert.equal(blobNameProblem(Array.from({ length: 254 }, () => 'd').join('/')), undefined);
  });
  it('renames when asked, into a valid name that says what it was and never meets another name', () => {
    const hashed = (renamed: string, start: string) => assert.match(renamed, new RegExp(`^${start.replace(/[.%/]/g, (c) => `\\${c}`)}~[0-9a-f]{8}$`), renamed);
    hashed(validBlobName('report.'), 'report%2E');
    hashed(validBlobName('dir/folder./'), 'dir/folder%2E%2F');
    hashed(validBlobName('a/../b/./c'), 'a/%2E%2E/b/%2E/c');
    assert.notEqual(validBlobName('x.'), validBlobName('x%2E'), 'a real "x%2E" and a renamed "x." stay apart');
    const deep = validBlobName(Array.from({ length: 300 }, () => 'd').join('/'));
    assert.equal(blobNameProblem(deep), undefined);
    assert.equal(deep.split('/').length, 254);
    const long = validBlobName(`${'x'.repeat(1100)}.txt`);
    assert.equal(long.length, 1024);
    assert.equal(blobNameProblem(long), undefined);
    assert.notEqual(validBlobName(`${'x'.repeat(1100)}a`), validBlobName(`${'x'.repeat(1100)}b`), 'a hash of the whole keeps them apart');
    assert.deepEqual(destinationNameFor('ok.txt', 'fail', 'ok.txt'), { name: 'ok.txt' });
    const renamed = destinationNameFor('p/bad.', 'rename', 'bad.');
    assert.ok('name' in renamed && renamed.name.startsWith('p/bad%2E~'));
    const refused = destinationNameFor('p/bad.', 'fail', 'bad.');
    assert.ok('code' in refused && refused.code === 'INVALID_NAME' && /--invalid-names rename/.test(refused.message));
  });
});

describe('checking a copy against its source', () => {
  const blob = (properties: Record<string, string>, checksum?: { algorithm: 'crc64nvme'; value: string }) => ({ name: 'x', size: 9, blobType: 'Object' as const, properties, ...(checksum ? { checksum } : {}) });
  it('says which check passed, and refuses bytes that differ from what the source declares', () => {
    const md5 = 'JfnnlDI7RTiF9RgfG2JNCw==';
    assert.equal(checkDigests(blob({ contentMD5: md5 }), { md5 }), 'md5');
    assert.equal(checkDigests(blob({}, { algorithm: 'crc64nvme', value: 'rosUhgp5mIg=' }), { md5, checksum: 'rosUhgp5mIg=' }), 'crc64nvme');
    assert.equal(checkDigests(blob({}), { md5 }), 'size', 'nothing declared to compare with');
    assert.equal(checkDigests(blob({ contentMD5: md5 }), undefined), 'size', 'nothing computed (the service copied)');
    assert.throws(() => checkDigests(blob({ contentMD5: 'AAAAAAAAAAAAAAAAAAAAAA==' }), { md5 }), { code: 'MD5_MISMATCH' });
    assert.throws(() => checkDigests(blob({}, { algorithm: 'crc64nvme', value: 'AAAAAAAAAAA=' }), { md5, checksum: 'rosUhgp5mIg=' }), { code: 'CHECKSUM_MISMATCH' });
  });
});
