/**
 * S3 sources on s3rver into Azurite: single objects of every awkward size, prefixes with
 * filters and awkward keys, metadata, headers and tags mapped, invalid keys and metadata beside
 * valid ones, an object that changes mid-copy, --delete-source, the HTTP API and a queue job,
 * and every copy checked by MD5. Azurite reads no external URL, so S3 objects are relayed here;
 * the presigned URLs the storage service would read on Azure are checked to serve the right bytes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DigestRun } from '../../src/durable/activities/digests';
import type { CopyView } from '../../src/durable/copyStatus';
import { openSource, parseLocation } from '../../src/storage/registry';
import { SECOND_ACCOUNT, type TestAzurite } from '../support/azurite';
import { md5, withoutMarker } from '../support/blobAssert';
import { startCopyHost, type CopyHost } from '../support/copyHost';
import { startProxiedCopyFixture, type ProxiedCopyFixture } from '../support/copyFixture';
import type { StorageProxy } from '../support/storageProxy';
import { startTestS3, type TestS3 } from '../support/s3';
import { sealedTransfer } from '../support/transfers';

const MiB = 1024 * 1024;
const BUCKET = 'blobferry-src';
let fixture: ProxiedCopyFixture;
let azurite: TestAzurite;
let copies: CopyHost;
let proxy: StorageProxy;
let target: ContainerClient;
let s3: TestS3;

before(async () => {
  s3 = await startTestS3();
  Object.assign(process.env, s3.env);
  fixture = await startProxiedCopyFixture();
  ({ azurite, copies, proxy, target } = fixture);
  await s3.createBucket(BUCKET);
});
after(async () => {
  await fixture.stop();
  await s3.stop();
});

const dst = (path: string, origin?: string) => {
  const url = `${azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${path}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
  return origin ? url.replace(/^http:\/\/[^/]+/, origin) : url;
};
const download = async (name: string) => target.getBlobClient(name).downloadToBuffer();
const exists = async (key: string) => s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(() => true, () => false);

async function putAll(entries: Array<[string, Buffer]>, parallel = 16): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < entries.length) {
      const [key, body] = entries[next++];
      await s3.put(BUCKET, key, body);
    }
  }));
}

async function assertCopied(entries: Array<[string, Buffer]>, from: string, to: string): Promise<void> {
  for (const [key, body] of entries) assert.equal(md5(await download(key.replace(from, to))), md5(body), key);
}

describe('S3 objects', () => {
  it('copies objects of 0, 1, block-1, block, block+1 bytes and several blocks, each verified against its ETag', async () => {
    for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 5]) {
      const body = randomBytes(size);
      await s3.put(BUCKET, `sizes/${size}.bin`, body);
      const result = await copies.copy({ source: `s3://${BUCKET}/sizes/${size}.bin`, destination: dst(`sizes/${size}.bin`), options: { blockSizeMiB: 1 } });
      assert.deepEqual(result.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 }, `${size}: ${JSON.stringify(result)}`);
      assert.equal(result.strategy, 'relay', 'Azurite cannot read S3: relayed');
      assert.deepEqual(result.verification, { md5: 1 }, 'the MD5 computed on the way matched the single-part ETag');
      assert.equal(md5(await download(`sizes/${size}.bin`)), md5(body), `${size} bytes`);
      const props = await target.getBlobClient(`sizes/${size}.bin`).getProperties();
      assert.equal(Buffer.from(props.contentMD5 ?? []).toString('hex'), createHash('md5').update(body).digest('hex'), 'Content-MD5 stored');
    }
  });

  it('copies a prefix of awkward keys (spaces, unicode, %, #, ?, +, deep folders) under their own names', async () => {
    const entries: Array<[string, Buffer]> = [
      ['odd/with space.txt', Buffer.from('space')],
      ['odd/ünïcödé-名前.txt', Buffer.from('unicode')],
      ['odd/100% #1?.txt', Buffer.from('percent hash question')],
      ['odd/a+b=c&d.txt', Buffer.from('plus')],
      ['odd/a/b/c/d/e/f/g/h/deep.txt', Buffer.from('deep')],
      ['odd/empty.txt', Buffer.alloc(0)],
    ];
    await putAll(entries);
    const result = await copies.copy({ source: `s3://${BUCKET}/odd/`, destination: dst('odd-copy/'), options: { recursive: true } });
    assert.deepEqual(result.blobs, { total: entries.length, copied: entries.length, skipped: 0, failed: 0 }, JSON.stringify(result));
    await assertCopied(entries, 'odd/', 'odd-copy/');
  });

  it('copies 1,000 objects under a prefix (two listing pages) with --include and --exclude', async () => {
    const entries: Array<[string, Buffer]> = [];
    for (let i = 0; i < 1000; i++) {
      const dir = i % 10 === 0 ? 'skip' : `d${i % 7}`;
      entries.push([`many/${dir}/object-${String(i).padStart(4, '0')}.${i % 2 === 0 ? 'csv' : 'log'}`, randomBytes(50 + (i % 60))]);
    }
    await putAll(entries, 32);
    const result = await copies.copy({ source: `s3://${BUCKET}/many/`, destination: dst('many-copy/'), options: { recursive: true, include: ['*.csv'], exclude: ['skip/**'] } });
    const expected = entries.filter(([key]) => key.endsWith('.csv') && !key.includes('/skip/'));
    assert.deepEqual(result.blobs, { total: expected.length, copied: expected.length, skipped: 0, failed: 0 }, JSON.stringify(result).slice(0, 400));
    assert.deepEqual(result.verification, { md5: expected.length });
    let copied = 0;
    for await (const blob of target.listBlobsFlat({ prefix: 'many-copy/' })) {
      assert.ok(blob.name.endsWith('.csv') && !blob.name.includes('/skip/'), blob.name);
      copied++;
    }
    assert.equal(copied, expected.length);
    await assertCopied(expected, 'many/', 'many-copy/');
  });

  it('carries content headers over, maps metadata names and tags Azure refuses, or fails the object when asked', async () => {
    await s3.put(BUCKET, 'meta/report.csv', 'a,b\n1,2\n', {
      ContentType: 'text/csv; charset=utf-8',
      ContentLanguage: 'en-GB',
      ContentDisposition: 'attachment; filename="report.csv"',
      CacheControl: 'max-age=3600',
      Metadata: { 'original-name': 'Report 2024.csv', owner: 'finance' },
      tags: { team: 'data', 'cost@center': 'ü-42' },
    });
    const tagged = (key: string) => (key === 'meta/report.csv' ? { 'x-amz-tagging-count': '2' } : undefined);
    await throughS3Proxy(tagged, async () => {
      // One object (described by HeadObject), then the same in a prefix (described by the GET that relays it).
      for (const [source, destination, options] of [
        [`s3://${BUCKET}/meta/report.csv`, dst('meta/report.csv'), {}],
        [`s3://${BUCKET}/meta/`, dst('meta-batch/'), { recursive: true }],
      ] as const) {
        const result = await copies.copy({ source, destination, options });
        assert.equal(result.blobs.copied, 1, JSON.stringify(result));
        const copy = target.getBlobClient(destination.includes('meta-batch') ? 'meta-batch/report.csv' : 'meta/report.csv');
        const props = await copy.getProperties();
        assert.equal(props.contentType, 'text/csv; charset=utf-8');
        assert.equal(props.contentLanguage, 'en-GB');
        assert.equal(props.contentDisposition, 'attachment; filename="report.csv"');
        assert.equal(props.cacheControl, 'max-age=3600');
        assert.deepEqual(withoutMarker(props.metadata), { owner: 'finance', rename_original_name: 'Report 2024.csv', rename_key_original_name: 'original-name' });
        assert.deepEqual((await copy.getTags()).tags, { team: 'data', cost_center: '_-42' });
      }
      const strict = await copies.copy({ source: `s3://${BUCKET}/meta/`, destination: dst('meta-strict/'), options: { recursive: true, invalidMetadata: 'fail' } });
      assert.deepEqual(strict.blobs, { total: 1, copied: 0, skipped: 0, failed: 1 });
      assert.equal(strict.failures[0].code, 'INVALID_METADATA');
      assert.match(strict.failures[0].message, /original-name/);
      assert.equal(await target.getBlobClient('meta-strict/report.csv').exists(), false, 'nothing written');
    });
  });

  it('fails keys that are not valid blob names beside valid ones, or renames them when asked', async () => {
    await putAll([
      ['names/ok.txt', Buffer.from('ok')],
      ['names/trailing-dot.', Buffer.from('dot')],
      ['names/folder-with-data/', Buffer.from('not a marker')],
    ]);
    const result = await copies.copy({ source: `s3://${BUCKET}/names/`, destination: dst('names-copy/'), options: { recursive: true } });
    assert.deepEqual(result.blobs, { total: 3, copied: 1, skipped: 0, failed: 2 }, JSON.stringify(result));
    assert.deepEqual(result.failures.map((f) => f.code), ['INVALID_NAME', 'INVALID_NAME']);
    assert.equal((await download('names-copy/ok.txt')).toString(), 'ok');

    const renamed = await copies.copy({ source: `s3://${BUCKET}/names/`, destination: dst('names-renamed/'), options: { recursive: true, invalidNames: 'rename' } });
    assert.deepEqual(renamed.blobs, { total: 3, copied: 3, skipped: 0, failed: 0 }, JSON.stringify(renamed));
    const renamedNames: string[] = [];
    for await (const blob of target.listBlobsFlat({ prefix: 'names-renamed/' })) renamedNames.push(blob.name);
    const named = (start: string) => renamedNames.find((n) => n.startsWith(start) && /~[0-9a-f]{8}$/.test(n)) ?? assert.fail(`no ${start}~<hash> in ${renamedNames}`);
    assert.equal((await download(named('names-renamed/trailing-dot%2E'))).toString(), 'dot');
    assert.equal((await download(named('names-renamed/folder-with-data%2F'))).toString(), 'not a marker');
  });

  it('fails an object that changes mid-copy with SOURCE_CHANGED, nothing committed', async () => {
    const key = 'changing/big.bin';
    await s3.put(BUCKET, key, randomBytes(4 * MiB));
    let changed = false;
    proxy.rules.push({
      match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block' && decodeURIComponent(r.path).endsWith('/changing-copy/big.bin'),
      before: async () => {
        if (changed) return;
        changed = true;
        await s3.put(BUCKET, key, randomBytes(4 * MiB));
      },
    });
    const result = await copies.copy({ source: `s3://${BUCKET}/${key}`, destination: dst('changing-copy/big.bin', proxy.origin), options: { blockSizeMiB: 1, concurrency: 1 } });
    assert.ok(changed, 'the object changed while its blocks were staged');
    assert.equal(result.blobs.failed, 1, JSON.stringify(result));
    assert.equal(result.failures[0].code, "SOURCE_CHANGED", JSON.stringify(result.failures));
    assert.equal(await target.getBlobClient('changing-copy/big.bin').exists(), false, 'nothing committed');
  });

  it('--delete-source deletes only the sources whose copies were committed and verified', async () => {
    await putAll([
      ['move/a.txt', Buffer.from('a')],
      ['move/b.txt', Buffer.from('b')],
      ['move/c.', Buffer.from('c')],
    ]);
    await target.getBlockBlobClient('moved/b.txt').upload('already there', 13);
    const result = await copies.copy({ source: `s3://${BUCKET}/move/`, destination: dst('moved/'), options: { recursive: true, deleteSource: true } });
    assert.deepEqual(result.blobs, { total: 3, copied: 1, skipped: 1, failed: 1, deleted: 1 }, JSON.stringify(result));
    assert.equal(await exists('move/a.txt'), false, 'copied: deleted');
    assert.equal(await exists('move/b.txt'), true, 'skipped: kept');
    assert.equal(await exists('move/c.'), true, 'failed: kept');
    assert.equal((await download('moved/a.txt')).toString(), 'a');

    await s3.put(BUCKET, 'move/single.bin', randomBytes(MiB + 3));
    const single = await copies.copy({ source: `s3://${BUCKET}/move/single.bin`, destination: dst('moved/single.bin'), options: { deleteSource: true, verify: 'md5', blockSizeMiB: 1 } });
    assert.deepEqual(single.blobs, { total: 1, copied: 1, skipped: 0, failed: 0, deleted: 1 }, JSON.stringify(single));
    assert.equal(await exists('move/single.bin'), false);
  });

  it('fails an object deleted after it was listed on its own (SOURCE_NOT_FOUND); the rest of the prefix copies', async () => {
    await putAll(['a', 'b', 'c', 'd', 'e', 'f', 'z'].map((k): [string, Buffer] => [`vanishing/${k}.txt`, Buffer.from(k)]));
    // At --concurrency 1 the window holds two batches that relay one object at a time each, in name
    // order ([a, b], [c, d], [e, f], [z]): z.txt (listed already) is read only after the first
    // batches are written, and it goes away as the first write arrives.
    proxy.rules.push({
      match: (r) => r.method === 'PUT' && decodeURIComponent(r.path).includes('/vanished/'),
      before: async () => void (await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'vanishing/z.txt' }))),
      times: 1,
    });
    const result = await copies.copy({ source: `s3://${BUCKET}/vanishing/`, destination: dst('vanished/', proxy.origin), options: { recursive: true, concurrency: 1 } });
    assert.deepEqual(result.blobs, { total: 7, copied: 6, skipped: 0, failed: 1 }, JSON.stringify(result));
    assert.equal(result.failures[0].code, 'SOURCE_NOT_FOUND');
    assert.match(result.failures[0].source, /vanishing\/z\.txt$/);
    assert.equal((await download('vanished/b.txt')).toString(), 'b');
  });

  it('refuses filters that match nothing with NOTHING_TO_COPY, and says when a prefix is empty', async () => {
    await s3.put(BUCKET, 'filtered/x.log', 'x');
    const refused = await copies.copy({ source: `s3://${BUCKET}/filtered/`, destination: dst('filtered/'), options: { recursive: true, include: ['*.parquet'] } });
    assert.equal(refused.runtimeStatus, 'Failed');
    assert.equal(refused.error?.code, 'NOTHING_TO_COPY');
    const empty = await copies.copy({ source: `s3://${BUCKET}/no-such-prefix/`, destination: dst('empty/'), options: { recursive: true } });
    assert.equal(empty.runtimeStatus, 'Completed');
    assert.deepEqual(empty.blobs, { total: 0, copied: 0, skipped: 0, failed: 0 });
    assert.match((empty.notes ?? []).join(' '), /Nothing was found/);
  });

  it('refuses an unknown bucket and a missing key before anything is written', async () => {
    const noBucket = await copies.copy({ source: 's3://no-such-bucket-here/x.bin', destination: dst('refused/x.bin') });
    assert.equal(noBucket.error?.code, 'SOURCE_NOT_FOUND');
    assert.match(noBucket.error?.message ?? '', /bucket no-such-bucket-here does not exist/);
    const noKey = await copies.copy({ source: `s3://${BUCKET}/no/such/key.bin`, destination: dst('refused/y.bin') });
    assert.equal(noKey.error?.code, 'SOURCE_NOT_FOUND');
    assert.match(noKey.error?.message ?? '', /no\/such\/key\.bin/);
    for await (const blob of target.listBlobsFlat({ prefix: 'refused/' })) assert.fail(`nothing should be written, found ${blob.name}`);
  });

  it('hands the storage service presigned URLs that serve the pinned bytes (what Put Block From URL reads on Azure)', async () => {
    const body = randomBytes(64 * 1024);
    await s3.put(BUCKET, 'presigned/o b#.bin', body);
    const source = await openSource(sealedTransfer(parseLocation(`s3://${BUCKET}/presigned/o b#.bin`, 'source')));
    const blob = await source.stat('presigned/o b#.bin', { tags: false });
    const access = await source.serviceAccess(blob);
    assert.match(access.url, /X-Amz-Signature=/);
    assert.match(access.url, /X-Amz-Expires=900/, 'valid minutes, not days');
    const ranged = await fetch(access.url, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), body.subarray(1000, 2000));
  });
});

/**
 * What real S3 says and s3rver does not: x-amz-tagging-count on HEAD and GET of an object with
 * tags; for a multipart object an ETag ending "-<parts>" (not an MD5) and a whole-object
 * CRC-64/NVME checksum (S3's default since 2025). A loopback proxy in front of s3rver adds the
 * headers `headersFor` gives to HEAD and GET answers; copies made meanwhile read S3 through it.
 */
async function throughS3Proxy(headersFor: (key: string, answer: http.IncomingHttpHeaders) => Record<string, string> | undefined, run: () => Promise<void>, listingEtag?: (key: string, etag: string) => string): Promise<void> {
  const upstream = new URL(s3.endpoint);
  const server = http.createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? '').split('?')[0].replace(`/${BUCKET}/`, ''));
    const forwarded = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const listing = req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '');
      if (listing && listingEtag) {
        // A listing names the same ETags as HEAD and GET do.
        let xml = '';
        answer.on('data', (c: Buffer) => (xml += c.toString()));
        answer.on('end', () => {
          const body = xml.replace(/<Key>([^<]*)<\/Key>(.*?)<ETag>([^<]*)<\/ETag>/gs, (_, k: string, between: string, etag: string) => `<Key>${k}</Key>${between}<ETag>${listingEtag(k, etag)}</ETag>`);
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        return;
      }
      const added = req.method === 'HEAD' || req.method === 'GET' ? headersFor(key, answer.headers) : undefined;
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...added });
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = process.env.AWS_ENDPOINT_URL_S3;
  process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run();
  } finally {
    process.env.AWS_ENDPOINT_URL_S3 = saved;
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('multipart S3 objects, checked by their whole-object checksum', () => {
  it('verifies a multipart object by its CRC-64/NVME, and refuses bytes that do not match it, nothing committed', async () => {
    const body = randomBytes(2 * MiB + 11);
    const crc = await DigestRun.open({ md5: true, algorithm: 'crc64nvme' });
    crc.update(body);
    await s3.put(BUCKET, 'checksum/good.bin', body);
    await s3.put(BUCKET, 'checksum/bad.bin', body);
    const declared = new Map([['checksum/good.bin', crc.finish().checksum!], ['checksum/bad.bin', 'AAAAAAAAAAA=']]);
    const multipart = (key: string, answer: http.IncomingHttpHeaders) => {
      const checksum = declared.get(key);
      return checksum === undefined ? undefined : { etag: `${String(answer.etag).replace(/"$/, '')}-2"`, 'x-amz-checksum-crc64nvme': checksum, 'x-amz-checksum-type': 'FULL_OBJECT' };
    };
    const multipartEtag = (key: string, etag: string) => (declared.has(key) ? etag.replace(/(&quot;|")$/, '-2$1') : etag);
    await throughS3Proxy(multipart, async () => {
      // 2 MiB + 11 bytes in 1 MiB blocks: a copyBlob relay, segments carrying the digests.
      const good = await copies.copy({ source: `s3://${BUCKET}/checksum/good.bin`, destination: dst('checksum/good.bin'), options: { blockSizeMiB: 1 } });
      assert.deepEqual(good.blobs, { total: 1, copied: 1, skipped: 0, failed: 0 }, JSON.stringify(good));
      assert.deepEqual(good.verification, { crc64nvme: 1 }, 'no MD5 to compare with: the checksum was');
      assert.equal(md5(await download('checksum/good.bin')), md5(body));
      const bad = await copies.copy({ source: `s3://${BUCKET}/checksum/bad.bin`, destination: dst('checksum/bad.bin'), options: { blockSizeMiB: 1 } });
      assert.equal(bad.failures[0]?.code, 'CHECKSUM_MISMATCH', JSON.stringify(bad));
      assert.equal(await target.getBlobClient('checksum/bad.bin').exists(), false, 'nothing committed');
      // Small objects in a prefix batch: the one GET that reads them says all this too.
      const batch = await copies.copy({ source: `s3://${BUCKET}/checksum/`, destination: dst('checksum-batch/'), options: { recursive: true } });
      assert.deepEqual(batch.blobs, { total: 2, copied: 1, skipped: 0, failed: 1 }, JSON.stringify(batch));
      assert.deepEqual(batch.verification, { crc64nvme: 1 });
      assert.equal(batch.failures[0]?.code, 'CHECKSUM_MISMATCH');
    }, multipartEtag);
  });
});

describe('S3 sources through the HTTP API and a queue job', () => {
  let queued: CopyHost;
  before(async () => {
    process.env.AzureWebJobsStorage = azurite.connectionString();
    // Remote callers borrow the app's AWS credentials only where the operator allows: this bucket.
    process.env.BLOBFERRY_ACCESS_POLICY = JSON.stringify([{ read: `s3://${BUCKET}/` }]);
    queued = await startCopyHost({ queues: { visibilityTimeout: '00:00:00', maxPollingInterval: '00:00:00.200' } });
  });
  after(async () => {
    await queued.stop();
    delete process.env.AzureWebJobsStorage;
    delete process.env.BLOBFERRY_ACCESS_POLICY;
  });

  it('copies an S3 prefix posted to the API; the status holds no AWS secret or signature', async () => {
    await putAll([['remote/one.txt', Buffer.from('one')], ['remote/two.txt', Buffer.from('two')]]);
    const posted = await fetch(`${queued.host.url}/api/copies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: `s3://${BUCKET}/remote/`, destination: dst('api/'), options: { recursive: true } }),
    });
    assert.equal(posted.status, 202);
    const { id } = (await posted.json()) as { id: string };
    const view: CopyView = await queued.finish(id);
    assert.deepEqual(view.blobs, { total: 2, copied: 2, skipped: 0, failed: 0 }, JSON.stringify(view));
    assert.equal((await download('api/two.txt')).toString(), 'two');
    const status = await (await fetch(`${queued.host.url}/api/copies/${id}`)).text();
    assert.match(status, /"runtimeStatus":"Completed"/);
    assert.doesNotMatch(status, /S3RVER|X-Amz-Signature|X-Amz-Credential/i);
    // A copy's own children are not copies: the API neither shows nor cancels them.
    assert.equal((await fetch(`${queued.host.url}/api/copies/${encodeURIComponent(`${id}:prefix`)}`)).status, 404);
    assert.equal((await fetch(`${queued.host.url}/api/copies/${encodeURIComponent(`${id}:prefix`)}/cancel`, { method: 'POST' })).status, 404);
  });

  it('copies an S3 object named in a queue job', async () => {
    await s3.put(BUCKET, 'queued/job.bin', randomBytes(2 * MiB + 1));
    const jobs = QueueServiceClient.fromConnectionString(azurite.connectionString()).getQueueClient('copy-jobs');
    await jobs.createIfNotExists();
    const job = { id: 's3-job', requests: [{ source: `s3://${BUCKET}/queued/job.bin`, destination: dst('queued/job.bin') }] };
    await jobs.sendMessage(Buffer.from(JSON.stringify(job)).toString('base64'));
    let status;
    for (let i = 0; i < 600 && !['Completed', 'Failed'].includes(status?.runtimeStatus ?? ''); i++) {
      await sleep(50);
      status = queued.host.engine.getStatus('job-s3-job');
    }
    assert.equal(status?.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal((status?.output as { totals: { blobsCopied: number } }).totals.blobsCopied, 1);
    const copied = await download('queued/job.bin');
    assert.equal(copied.length, 2 * MiB + 1);
  });
});
