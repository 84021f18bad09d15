/**
 * S3 for tests and benchmarks: s3rver (a real S3 server, on disk) in a child process
 * (s3rverChild.ts), on a free loopback port in a temporary folder, removed afterwards; and the
 * AWS settings that point blobferry's S3 client at it. The SDK's instance-metadata lookup is
 * switched off: tests send nothing beyond loopback.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { makeTempDir, removeDir } from './temp';

// On Node 20 the SDK warns at every start that its releases after January 2027 want Node 22: not news to the tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** s3rver's fixed credentials (it checks signatures against them). */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  /** The s3rver process (its CPU time is what a benchmark reads). */
  pid: number;
  client: S3Client;
  /** What blobferry needs to reach this S3 from a child process or this one. */
  env: Record<string, string>;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Buffer | string, extra?: Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body'> & { tags?: Record<string, string> }): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const dir = makeTempDir('blobferry-s3rver-');
  fs.mkdirSync(path.join(dir, 'data'));
  const child = fork(path.join(__dirname, 's3rverChild.js'), [path.join(dir, 'data')], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
    });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  child.stdout!.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3RVER_KEY });
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    endpoint,
    pid: child.pid!,
    client,
    env,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    put: async (bucket, key, body, extra = {}) => {
      const { tags, ...rest } = extra;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...rest }));
      if (tags) await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      removeDir(dir);
    },
  };
}
