/** The endpoint layer's pure parts: which URL is which kind of place, S3 facts from headers, S3 errors, digests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DigestRun } from '../../src/durable/activities/digests';
import { displayObjectUrl, displayUrl, openSource, parseLocation, sameObject } from '../../src/storage/registry';
import { s3Error } from '../../src/storage/s3/client';
import { fullObjectChecksum, md5FromEtag } from '../../src/storage/s3/source';
import { sealedTransfer } from '../support/transfers';

const noEnv = {};

describe('S3 URLs', () => {
  it('reads s3:// keys as written, like the AWS CLI: no percent-decoding, "#", "?" and "%" in the key', () => {
    assert.deepEqual(parseLocation('s3://my-bucket/dir/a b#1?x%20.txt', 'source', noEnv), { kind: 's3', bucket: 'my-bucket', path: 'dir/a b#1?x%20.txt' });
    assert.deepEqual(parseLocation('s3://my-bucket', 'source', noEnv), { kind: 's3', bucket: 'my-bucket', path: '' });
    assert.deepEqual(parseLocation('s3://my-bucket/logs/', 'source', noEnv), { kind: 's3', bucket: 'my-bucket', path: 'logs/' });
  });

  it('takes an S3-compatible endpoint from AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL', () => {
    assert.equal((parseLocation('s3://b-1/k', 'source', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/' }) as { endpoint?: string }).endpoint, 'http://127.0.0.1:9000');
    assert.equal((parseLocation('s3://b-1/k', 'source', { AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://b:2' }) as { endpoint?: string }).endpoint, 'http://b:2');
    assert.throws(() => parseLocation('s3://b-1/k', 'source', { AWS_ENDPOINT_URL_S3: 'not a url' }), { code: 'CONFIG_INVALID' });
  });

  it('knows S3 https URLs in virtual-hosted and path style, with their region; a presigned one is a plain HTTP source', () => {
    const cases: Array<[string, { bucket: string; path: string; region?: string }]> = [
      ['https://data-lake.s3.eu-west-1.amazonaws.com/raw/2024/x.parquet', { bucket: 'data-lake', path: 'raw/2024/x.parquet', region: 'eu-west-1' }],
      ['https://data-lake.s3.amazonaws.com/x%20y.csv', { bucket: 'data-lake', path: 'x y.csv' }],
      ['https://data-lake.s3-us-west-2.amazonaws.com/a/', { bucket: 'data-lake', path: 'a/', region: 'us-west-2' }],
      ['https://data-lake.s3.dualstack.ap-south-1.amazonaws.com/k', { bucket: 'data-lake', path: 'k', region: 'ap-south-1' }],
      ['https://s3.eu-central-1.amazonaws.com/data.lake/k/v', { bucket: 'data.lake', path: 'k/v', region: 'eu-central-1' }],
      ['https://my.s3.bucket.s3.us-east-2.amazonaws.com/k', { bucket: 'my.s3.bucket', path: 'k', region: 'us-east-2' }],
    ];
    for (const [url, expected] of cases) {
      const location = parseLocation(url, 'source', noEnv);
      assert.equal(location.kind, 's3', url);
      assert.deepEqual({ bucket: (location as { bucket: string }).bucket, path: (location as { path: string }).path, region: (location as { region?: string }).region }, { region: undefined, ...expected }, url);
    }
    assert.equal(parseLocation('https://data-lake.s3.eu-west-1.amazonaws.com/x?X-Amz-Signature=abc&X-Amz-Credential=c', 'source', noEnv).kind, 'http');
    assert.equal(parseLocation('https://data-lake.s3-website-us-east-1.amazonaws.com/index.html', 'source', noEnv).kind, 'http', 'a website endpoint is not the S3 API');
    assert.throws(() => parseLocation('https://data-lake.s3.amazonaws.com/x?versionId=1', 'source', noEnv), { code: 'UNSUPPORTED_URL' });
  });

  it('refuses invalid bucket names and S3 as a destination', () => {
    for (const bad of ['s3://ab/k', 's3://Upper/k', 's3://under_score/k', 's3://-dash/k', 's3://a..b/k', 's3://192.168.1.1/k', 's3:///k']) {
      assert.throws(() => parseLocation(bad, 'source', noEnv), { code: 'INVALID_URL' }, bad);
    }
    assert.throws(() => parseLocation('s3://good-bucket/k', 'destination', noEnv), { code: 'UNSUPPORTED_URL' });
  });

  it('shows S3 locations without secrets, and never takes an S3 object for the destination blob', () => {
    const location = parseLocation('s3://good-bucket/p/', 'source', noEnv);
    assert.equal(displayUrl(location), 's3://good-bucket/p/');
    assert.equal(displayObjectUrl(location, 'p/x y'), 's3://good-bucket/p/x y');
    assert.equal(sameObject(location, parseLocation('https://acct.blob.core.windows.net/cont/p/', 'destination', noEnv)), false);
  });
});

describe('RA-GRS secondary endpoints', () => {
  it('reads <account>-secondary as a read-only Azure Blob source of its account, host-style and on Azurite', () => {
    const host = parseLocation('https://acct-secondary.blob.core.windows.net/cont/x.bin?sv=1&sig=s', 'source', noEnv);
    assert.deepEqual(host, { kind: 'azure-blob', serviceUrl: 'https://acct-secondary.blob.core.windows.net', account: 'acct', container: 'cont', path: 'x.bin', emulator: false, secondary: true, secret: 'sv=1&sig=s' });
    const azurite = parseLocation('http://127.0.0.1:10000/devstoreaccount1-secondary/cont/x.bin', 'source', noEnv);
    assert.deepEqual(azurite, { kind: 'azure-blob', serviceUrl: 'http://127.0.0.1:10000/devstoreaccount1-secondary', account: 'devstoreaccount1', container: 'cont', path: 'x.bin', emulator: true, secondary: true });
    assert.throws(() => parseLocation('https://acct-secondary.blob.core.windows.net/cont/x.bin?sv=1&sig=s', 'destination', noEnv), { code: 'UNSUPPORTED_URL' });
  });

  it('a secondary holds its primary\'s data: the same blob, the same container, but no lease and no delete', async () => {
    const secondary = parseLocation('https://acct-secondary.blob.core.windows.net/cont/x.bin?sv=1&sig=s', 'source', noEnv);
    assert.equal(sameObject(secondary, parseLocation('https://acct.blob.core.windows.net/cont/x.bin?sv=1&sig=s', 'destination', noEnv)), true);
    const endpoint = await openSource(sealedTransfer(secondary));
    assert.equal(endpoint.facts.container, 'https://acct.blob.core.windows.net/cont');
    assert.equal(endpoint.facts.account?.secondary, true);
    assert.equal(endpoint.lease, undefined);
    assert.equal(endpoint.delete, undefined);
    assert.ok((await openSource(sealedTransfer(parseLocation('https://acct.blob.core.windows.net/cont/x.bin?sv=1&sig=s', 'source', noEnv)))).delete, 'a primary can delete');
  });
});

describe('S3 facts', () => {
  it('takes a single-part ETag for the MD5, but not a multipart one or an encrypted object\'s', () => {
    assert.deepEqual(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3"'), { contentMD5: 'XrY7u+Ae7tCTyyK7j1rNww==' });
    assert.deepEqual(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3-2"'), {});
    assert.deepEqual(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3"', { sse: 'aws:kms' }), {});
    assert.deepEqual(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3"', { customerKey: true }), {});
    assert.deepEqual(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3"', { sse: 'AES256' }), { contentMD5: 'XrY7u+Ae7tCTyyK7j1rNww==' });
    assert.deepEqual(md5FromEtag(undefined), {});
  });

  it('keeps a whole-object checksum, never a composite multipart one', () => {
    assert.deepEqual(fullObjectChecksum({ ChecksumCRC64NVME: 'rosUhgp5mIg=', ChecksumType: 'FULL_OBJECT' }), { algorithm: 'crc64nvme', value: 'rosUhgp5mIg=' });
    assert.deepEqual(fullObjectChecksum({ ChecksumSHA256: 'abc=' }), { algorithm: 'sha256', value: 'abc=' }, 'a single PUT has a full-object checksum');
    assert.equal(fullObjectChecksum({ ChecksumSHA256: 'rVWt=-3', ChecksumType: 'COMPOSITE' }), undefined);
    assert.equal(fullObjectChecksum({ ChecksumCRC32: 'AAAA-2' }), undefined);
    assert.equal(fullObjectChecksum({}), undefined);
  });

  it('turns S3 failures into stable codes with actionable messages', () => {
    const where = { bucket: 'b-1' };
    const wrongRegion = s3Error({ name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 }, $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } }, 'listing', { ...where, region: 'us-east-1' });
    assert.equal(wrongRegion.code, 'WRONG_REGION');
    assert.match(wrongRegion.message, /in eu-west-1, not us-east-1.*AWS_REGION=eu-west-1/);
    assert.equal(s3Error({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'reading x', where).code, 'PERMISSION_DENIED');
    assert.equal(s3Error({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }, 'reading x', where).code, 'AUTH_FAILED');
    assert.equal(s3Error({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, 'listing', where).code, 'SOURCE_NOT_FOUND');
    assert.equal(s3Error({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }, 'reading', where).code, 'SOURCE_CHANGED');
    assert.equal(s3Error({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'reading', where).code, 'THROTTLED', 'S3 asks to slow down: its own class');
    assert.doesNotMatch(s3Error({ name: 'X', message: 'https://b.s3.amazonaws.com/k?X-Amz-Signature=secret123' }, 'reading', where).message, /secret123/);
  });
});

describe('digests computed while relaying', () => {
  it('match the published check values, and carry over from one activity to the next', async () => {
    const check = Buffer.from('123456789');
    const expected = { crc32: 'cbf43926', crc32c: 'e3069283', crc64nvme: 'ae8b14860a799888', sha1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441', sha256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225' } as const;
    for (const [algorithm, hex] of Object.entries(expected) as Array<[keyof typeof expected, string]>) {
      const whole = await DigestRun.open({ md5: true, algorithm });
      whole.update(check);
      const first = await DigestRun.open({ md5: true, algorithm });
      first.update(check.subarray(0, 4));
      const second = await DigestRun.open({ md5: true, algorithm }, first.save());
      second.update(check.subarray(4));
      const [a, b] = [whole.finish(), second.finish()];
      assert.equal(Buffer.from(a.checksum!, 'base64').toString('hex'), hex, algorithm);
      assert.deepEqual(b, a, `${algorithm} resumed from saved state`);
      assert.equal(a.md5, 'JfnnlDI7RTiF9RgfG2JNCw==');
    }
  });
});
