/** Parsing copy URLs, sealing secrets, static SAS checks, status views and the progress line. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseCopyRequest } from '../../src/contracts/copyRequest';
import { modifiedFilter } from '../../src/plan/select';
import { progressLine, formatClock } from '../../src/cli/progressBar';
import { DEFAULT_PAGE, pageOfCopies, parseCopyListQuery } from '../../src/contracts/copyList';
import { copyView } from '../../src/durable/copyStatus';
import { prepareTransfer } from '../../src/durable/startTransfer';
import { authFor } from '../../src/storage/azureBlob/credentials';
import { checkSas } from '../../src/storage/azureBlob/errors';
import { blobUrl } from '../../src/storage/azureBlob/location';
import { displayUrl, parseLocation } from '../../src/storage/registry';
import { seal, unseal } from '../../src/storage/seal';
import type { BlobLocation } from '../../src/contracts/locations';

process.env.BLOBFERRY_SEAL_KEY ??= randomBytes(32).toString('base64');

describe('URLs', () => {
  it('parses host-style Azure URLs as blob, prefix or container', () => {
    const blob = parseLocation('https://acct.blob.core.windows.net/cont/dir/name%20with%20space%23.txt?sv=1&sig=abc', 'source');
    assert.deepEqual(blob, { kind: 'azure-blob', serviceUrl: 'https://acct.blob.core.windows.net', account: 'acct', container: 'cont', path: 'dir/name with space#.txt', emulator: false, secret: 'sv=1&sig=abc' });
    assert.equal((parseLocation('https://acct.blob.core.windows.net/cont/dir/', 'source') as { path: string }).path, 'dir/');
    assert.equal((parseLocation('https://acct.blob.core.windows.net/cont', 'source') as { path: string }).path, '');
    assert.equal(blobUrl(blob as never, 'a b/ü%#?+.txt'), 'https://acct.blob.core.windows.net/cont/a%20b/%C3%BC%25%23%3F%2B.txt');
  });

  it('parses Azurite path-style URLs on loopback, and other URLs as HTTP sources', () => {
    const az = parseLocation('http://127.0.0.1:10000/devstoreaccount1/cont/x.bin', 'source');
    assert.equal(az.kind, 'azure-blob');
    assert.deepEqual([az.kind === 'azure-blob' && az.account, az.kind === 'azure-blob' && az.emulator], ['devstoreaccount1', true]);
    assert.equal(parseLocation('http://127.0.0.1:8080/files/x.bin', 'source').kind, 'http', 'an unknown account on loopback is a plain HTTP source');
    assert.equal(parseLocation('http://127.0.0.1:8080/acct2/files/x.bin?sv=1&sig=x', 'source').kind, 'azure-blob', 'a SAS makes it Azurite');
    assert.equal(parseLocation('https://example.com/data/file.tar?X-Amz-Signature=s', 'source').kind, 'http');
  });

  it('never shows secrets in display URLs', () => {
    const loc = parseLocation('https://acct.blob.core.windows.net/cont/x?sv=1&sig=secret', 'source');
    assert.doesNotMatch(displayUrl(loc), /secret|sig/);
    assert.doesNotMatch(displayUrl(parseLocation('https://example.com/f?token=secret', 'source')), /secret/);
  });
});

describe('request options', () => {
  const request = (options: Record<string, unknown>) => ({ source: 'https://acct1.blob.core.windows.net/cont/x', destination: 'https://acct2.blob.core.windows.net/cont/x', options });
  it('takes a timeout as seconds or a duration, and refuses zero, negative or unreadable ones', () => {
    assert.equal(prepareTransfer(request({ timeout: '90m' }), 'user').input.limits.timeoutSeconds, 5400);
    assert.equal(prepareTransfer(request({ timeout: 30 }), 'user').input.limits.timeoutSeconds, 30);
    for (const timeout of [0, -5, '0s', '-1h', 'soon', true]) {
      assert.throws(() => prepareTransfer(request({ timeout }), 'user'), (err: { code: string; details: { errors: Array<{ field: string; message: string }> } }) => {
        assert.equal(err.code, 'BAD_REQUEST');
        assert.equal(err.details.errors[0].field, 'options.timeout');
        return true;
      }, String(timeout));
    }
  });
  it('takes --include-after / --include-before as times, with --recursive, in order', () => {
    const options = parseCopyRequest(request({ recursive: true, includeAfter: '2026-11-01', includeBefore: '2026-11-02T12:00:00+01:00' })).options;
    assert.equal(options.includeAfter, '2026-11-01T00:00:00.000Z');
    assert.equal(options.includeBefore, '2026-11-02T11:00:00.000Z');
    assert.throws(() => parseCopyRequest(request({ recursive: true, includeAfter: 'yesterday' })), { code: 'BAD_REQUEST' });
    assert.throws(() => parseCopyRequest(request({ includeAfter: '2026-11-01' })), { code: 'CONFLICTING_OPTIONS' });
    assert.throws(() => parseCopyRequest(request({ recursive: true, includeAfter: '2026-11-02', includeBefore: '2026-11-01' })), { code: 'CONFLICTING_OPTIONS' });
    const inTime = modifiedFilter('2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z');
    assert.deepEqual(['2026-10-31T23:59:59Z', '2026-11-01T00:00:00Z', '2026-11-01T12:00:00Z', '2026-11-02T00:00:00Z'].map(inTime), [false, false, true, false]);
    assert.equal(inTime(undefined), true, 'an object of unknown age is kept');
  });
  it('knows every strategy and refuses others; refuses a lease on a prefix', () => {
    for (const strategy of ['auto', 'server-copy', 'sync-copy', 'block-copy', 'relay']) prepareTransfer(request({ strategy }), 'user');
    assert.throws(() => prepareTransfer(request({ strategy: 'teleport' }), 'user'), { code: 'BAD_REQUEST' });
    assert.throws(() => prepareTransfer(request({ leaseSource: true, recursive: true }), 'user'), { code: 'CONFLICTING_OPTIONS' });
    assert.throws(() => prepareTransfer(request({ onPendingCopy: 'sometimes' }), 'user'), { code: 'BAD_REQUEST' });
    assert.throws(() => prepareTransfer(request({ blobType: 'PageBlob' }), 'user'), { code: 'BAD_REQUEST' });
  });
});

describe('listing copies', () => {
  const copy = (id: string, minute: number) => ({ id, createdTime: `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z` });
  it('reads the query, listing every bad parameter', () => {
    const q = parseCopyListQuery(new URLSearchParams('status=Running,failed&from=2026-11-01T00:00:00Z&top=10'));
    assert.deepEqual(q.statuses, ['Running', 'Failed']);
    assert.equal(q.top, 10);
    assert.equal(q.from?.toISOString(), '2026-11-01T00:00:00.000Z');
    assert.equal(parseCopyListQuery(new URLSearchParams('')).top, DEFAULT_PAGE);
    assert.throws(
      () => parseCopyListQuery(new URLSearchParams('status=asleep&to=soon&top=501&continuationToken=xyz')),
      (err: { code: string; details: { errors: Array<{ field: string }> } }) => err.code === 'BAD_REQUEST' && err.details.errors.map((e) => e.field).join() === 'status,to,top,continuationToken',
    );
    assert.throws(() => parseCopyListQuery(new URLSearchParams('from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z')), { code: 'BAD_REQUEST' });
  });
  it('pages newest first with a cursor that copies started meanwhile do not shift', () => {
    const copies = [copy('a', 1), copy('b', 2), copy('c', 3), copy('d', 3)];
    const first = pageOfCopies(copies, parseCopyListQuery(new URLSearchParams('top=2')));
    assert.deepEqual(first.copies.map((c) => c.id), ['d', 'c']);
    // A copy started after the first page does not move the second.
    const later = [...copies, copy('e', 9)];
    const second = pageOfCopies(later, parseCopyListQuery(new URLSearchParams(`top=2&continuationToken=${first.continuationToken}`)));
    assert.deepEqual(second.copies.map((c) => c.id), ['b', 'a']);
    assert.equal(second.continuationToken, undefined, 'the last page has no token');
  });
});

describe('sealed secrets', () => {
  it('seals and unseals, and orchestration inputs carry only sealed SAS tokens', () => {
    const sealed = seal('sv=1&sig=topsecret', 'a use');
    assert.match(sealed, /^sealed:v2:[0-9a-f]{8}:/);
    assert.doesNotMatch(sealed, /topsecret/);
    assert.equal(unseal(sealed, 'a use'), 'sv=1&sig=topsecret');
    const { input, instanceId } = prepareTransfer({ source: 'https://srcacct.blob.core.windows.net/cont/x?sv=1&sig=s1', destination: 'https://dstacct.blob.core.windows.net/cont/x?sv=1&sig=s2' }, 'user');
    assert.doesNotMatch(JSON.stringify(input), /sig=s[12]/);
    const again = prepareTransfer({ source: 'https://srcacct.blob.core.windows.net/cont/x?sv=2&sig=new', destination: 'https://dstacct.blob.core.windows.net/cont/x?sv=2&sig=new2' }, 'user');
    assert.equal(again.instanceId, instanceId, 'a fresh SAS is still the same copy');
    assert.match(instanceId, /^copy-[0-9a-f]{32}$/);
  });
});

describe('SAS checks without calling the service', () => {
  it('refuses expired tokens and missing permissions, and trusts stored access policies', () => {
    assert.throws(() => checkSas('sp=r&se=2000-01-01T00:00:00Z&sig=x', 'source', []), { code: 'SAS_EXPIRED' });
    assert.throws(() => checkSas('sp=r&se=2999-01-01T00:00:00Z&sig=x', 'destination', [{ permission: 'w', why: 'writing' }]), { code: 'PERMISSION_DENIED', message: /needs "w"/ });
    checkSas('si=policy&sig=x', 'destination', [{ permission: 'w', why: 'writing' }]);
    checkSas(undefined, 'source', [{ permission: 'r', why: 'reading' }]);
  });
});

describe('credentials', () => {
  it('signs a real account without a SAS or key with one Entra credential, and keys emulator accounts', () => {
    const location = parseLocation('https://nokeyaccount.blob.core.windows.net/data/b.bin', 'source') as BlobLocation;
    const first = authFor(location);
    assert.equal(first.kind, 'entra');
    assert.equal(typeof (first.credential as { getToken?: unknown }).getToken, 'function');
    assert.equal(authFor(location).credential, first.credential);
    assert.equal(authFor(parseLocation('http://127.0.0.1:10000/devstoreaccount1/data/b.bin', 'source') as BlobLocation).kind, 'key');
    assert.equal(authFor(parseLocation('https://nokeyaccount.blob.core.windows.net/data/b.bin?sv=2024-01-01&sig=x', 'source') as BlobLocation).kind, 'sas');
  });
});

describe('status for people', () => {
  it('counts a single blob as one, with its size, before its copy reports progress', () => {
    const view = copyView({ instanceId: 'copy-2', runtimeStatus: 'Running', customStatus: { phase: 'copying', kind: 'blob', child: 'copy-2:blob', blobs: { total: 1, copied: 0, skipped: 0, failed: 0 }, bytes: { total: 5000, copied: 0 } } });
    assert.deepEqual(view.blobs, { total: 1, copied: 0, skipped: 0, failed: 0 });
    assert.equal(view.bytes.total, 5000);
    assert.match(progressLine(view), /0\/1 blobs/);
    assert.equal(copyView({ instanceId: 'copy-3', runtimeStatus: 'Running', customStatus: { phase: 'copying', kind: 'blob' } }).blobs.total, 1);
  });
  it('shows a worker child progress while running and the summary when done', () => {
    const running = copyView(
      { instanceId: 'copy-1', runtimeStatus: 'Running', customStatus: { phase: 'copying', child: 'copy-1:blob', strategy: 'relay', strategyReason: 'r' } },
      { instanceId: 'copy-1:blob', runtimeStatus: 'Running', customStatus: { phase: 'copying', bytes: { total: 100, copied: 40 }, rateBytesPerSec: 10 } },
    );
    assert.equal(running.phase, 'copying');
    assert.deepEqual(running.bytes, { total: 100, copied: 40 });
    assert.equal(running.rateBytesPerSec, 10);
    assert.match(progressLine(running), /40%.*ETA 0:06/);
    const failed = copyView({ instanceId: 'copy-2', runtimeStatus: 'Failed', customStatus: { phase: 'failed', error: { code: 'SOURCE_NOT_FOUND', message: 'no' } } });
    assert.deepEqual(failed.error, { code: 'SOURCE_NOT_FOUND', message: 'no' });
    assert.equal(formatClock(3725), '1:02:05');
  });

  it('shows a server copy being followed, and a copy that waits or restores', () => {
    const transfer = { instanceId: 'copy-3', runtimeStatus: 'Running', customStatus: { phase: 'copying', child: 'copy-3:blob', strategy: 'server-copy' } };
    const polling = copyView(transfer, { instanceId: 'copy-3:blob', runtimeStatus: 'Running', customStatus: { phase: 'copying', bytes: { total: 100, copied: 25 }, serverCopy: { id: 'c1', status: 'pending', polls: 3 }, deadline: '2026-11-24T10:00:00.000Z' } });
    assert.deepEqual(polling.serverCopy, { id: 'c1', status: 'pending', polls: 3 });
    assert.equal(polling.deadline, '2026-11-24T10:00:00.000Z');
    assert.match(progressLine(polling), /25%.*server copy pending, 3 poll\(s\)/);
    assert.match(progressLine(copyView(transfer, { instanceId: 'copy-3:blob', runtimeStatus: 'Running', customStatus: { phase: 'waiting' } })), /waiting for another copy/);
    assert.match(progressLine(copyView(transfer, { instanceId: 'copy-3:blob', runtimeStatus: 'Running', customStatus: { phase: 'restoring' } })), /restoring the destination/);
    const cancelled = copyView({ ...transfer, runtimeStatus: 'Completed', output: { blobs: { total: 1, copied: 0, skipped: 0, failed: 1 }, bytes: { total: 100, copied: 0 }, failures: [], cancelled: true, strategy: 'server-copy', strategyReason: 'r' } });
    assert.equal(cancelled.phase, 'cancelled');
    assert.equal(cancelled.cancelled, true);
  });
});
