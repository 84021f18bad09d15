/**
 * `blobferry copy` from S3 as a user runs it: a prefix moved with --delete-source and reported
 * in --json (how each object was verified, how many sources were deleted); a relay killed with
 * SIGKILL that resumes without staging its blocks again; and clear refusals, before anything is
 * written, when no AWS credentials are found or S3 refuses them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SECOND_ACCOUNT, startTestAzurite, type TestAzurite } from '../support/azurite';
import { md5 } from '../support/blobAssert';
import { CLI, copyInChild, killMidCopy } from '../support/cli';
import { startTestS3, type TestS3 } from '../support/s3';
import { startStorageProxy, type StorageProxy } from '../support/storageProxy';
import { makeTempDir, removeDir } from '../support/temp';

const MiB = 1024 * 1024;
const BUCKET = 'cli-source';
let azurite: TestAzurite;
let s3: TestS3;
let proxy: StorageProxy;
let target: ContainerClient;
let stateDir: string;
let home: string;

before(async () => {
  [azurite, s3] = await Promise.all([startTestAzurite(), startTestS3()]);
  proxy = await startStorageProxy(azurite.blobPort);
  target = azurite.blobService(SECOND_ACCOUNT).getContainerClient('target');
  await Promise.all([target.create(), s3.createBucket(BUCKET)]);
  stateDir = makeTempDir('blobferry-cli-s3-state-');
  home = makeTempDir('blobferry-cli-s3-home-');
});
after(async () => {
  await proxy.close();
  await Promise.all([azurite.cleanup(), s3.stop()]);
  removeDir(stateDir);
  removeDir(home);
});

/** The user's environment: s3rver's settings, no ~/.aws of this machine, nothing beyond loopback. */
const env = (aws: Record<string, string | undefined> = s3.env) => {
  const base: NodeJS.ProcessEnv = { ...process.env, HOME: home, BLOBFERRY_STATE_DIR: stateDir, BLOBFERRY_SEAL_KEY: '', AWS_EC2_METADATA_DISABLED: 'true' };
  for (const name of Object.keys(base)) if (name.startsWith('AWS_') && name !== 'AWS_EC2_METADATA_DISABLED') delete base[name];
  return { ...base, ...aws };
};
const dst = (name: string, origin?: string) => {
  const url = `${azurite.blobEndpoint(SECOND_ACCOUNT)}/target/${name}?${new URL(azurite.containerSasUrl('target', SECOND_ACCOUNT)).searchParams}`;
  return origin ? url.replace(/^http:\/\/[^/]+/, origin) : url;
};
const copy = (args: string[], aws?: Record<string, string | undefined>) => spawnSync(process.execPath, [CLI, 'copy', ...args], { env: env(aws), encoding: 'utf8', timeout: 120_000 });
const inS3 = (key: string) => s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(() => true, () => false);

describe('blobferry copy from S3', () => {
  it('moves a prefix with --delete-source, reporting verification and deletions in --json', async () => {
    const bodies = { 'move/a.csv': randomBytes(10), 'move/b.csv': randomBytes(MiB + 7), 'move/skip.log': randomBytes(5) };
    for (const [key, body] of Object.entries(bodies)) await s3.put(BUCKET, key, body);
    const run = copy([`s3://${BUCKET}/move/`, dst('moved/'), '--recursive', '--include', '*.csv', '--delete-source', '--block-size', '1', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.blobs, { total: 2, copied: 2, skipped: 0, failed: 0, deleted: 2 });
    assert.deepEqual(report.verification, { md5: 2 });
    assert.equal(report.strategy, 'relay');
    assert.deepEqual([await inS3('move/a.csv'), await inS3('move/b.csv'), await inS3('move/skip.log')], [false, false, true]);
    assert.equal(md5(await target.getBlobClient('moved/b.csv').downloadToBuffer()), md5(bodies['move/b.csv']));
    assert.doesNotMatch(run.stdout + run.stderr, /S3RVER|X-Amz-Signature/);
  });

  it('resumes a relay killed with SIGKILL without staging again the blocks it had staged', async () => {
    const body = randomBytes(40 * MiB);
    await s3.put(BUCKET, 'resume/big.bin', body);
    // Through the proxy each staged block takes a little while: room to kill mid-copy.
    proxy.rules.push({ match: (r) => r.method === 'PUT' && r.query.get('comp') === 'block', delayMs: 40 });
    const args = [`s3://${BUCKET}/resume/big.bin`, dst('resume/big.bin', proxy.origin), '--block-size', '1', '--concurrency', '2'];
    await killMidCopy(args, env(), proxy, 10);
    const stagedBeforeKill = proxy.stagedBlocks();
    assert.ok(stagedBeforeKill < 40, `killed mid-copy (${stagedBeforeKill} of 40 blocks staged)`);
    assert.equal(await target.getBlobClient('resume/big.bin').exists(), false, 'nothing committed yet');

    const second = await copyInChild(args, env());
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /Resuming copy copy-/);
    // A relay segment cut short by the kill reads its blocks again, but stages only those not yet staged.
    assert.equal(proxy.stagedBlocks(), 40, 'every block staged exactly once across both runs');
    assert.equal(md5(await target.getBlobClient('resume/big.bin').downloadToBuffer()), md5(body));
  });

  it('says so clearly, exit 2 and nothing written, when no AWS credentials are found or S3 refuses them', async () => {
    await s3.put(BUCKET, 'creds/x.txt', 'x');
    const none = copy([`s3://${BUCKET}/creds/x.txt`, dst('creds/x.txt')], { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: 'us-east-1', AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_CONFIG_FILE: path.join(home, 'none') });
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /NO_CREDENTIALS: No AWS credentials were found for s3:\/\/cli-source: set AWS_ACCESS_KEY_ID/);
    // s3rver checks access key ids, not SigV4 signatures: an unknown key stands for refused credentials.
    const refused = copy([`s3://${BUCKET}/creds/x.txt`, dst('creds/x.txt')], { ...s3.env, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN', AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /AUTH_FAILED: S3 refused the AWS credentials/);
    assert.doesNotMatch(refused.stderr, /not-the-secret/);
    assert.equal(await target.getBlobClient('creds/x.txt').exists(), false);
  });
});
