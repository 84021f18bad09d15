/**
 * One copy measurement, in a fresh process: `node copyWorker.js '<json args>'`. Prints one JSON
 * line {wallMs, cpuMs, peakRssMiB, bytes, blobs, phases?}. Run by bench/run.ts. wallMs is the copy
 * (blobferry's: starting its host to stopping it); cpuMs is the whole process's, start-up
 * included, as AzCopy's is.
 *
 *   tool blobferry  the transfer orchestration on an in-process local host (as `blobferry copy`)
 *   tool sdk        the same storage operations straight from @azure/storage-blob, `concurrency` at a time
 *   tool stream     download through this process and upload again (how most hand-written scripts copy)
 *   tool s3-stream  the same from S3 (@aws-sdk/client-s3 GetObject streams into @azure/storage-blob uploads),
 *                   the S3 service from AWS_ENDPOINT_URL_S3 and the AWS_* credentials of the environment
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlockBlobClient, ContainerClient, StorageSharedKeyCredential, newPipeline } from '@azure/storage-blob';
import { prepareTransfer } from '../src/durable/startTransfer';
import { actForLocalUser } from '../src/storage/registry';
import { transfer } from '../src/durable/orchestrators/transfer';
import { LocalHost } from '../src/local/host';
import { silentLogger } from '../src/local/logger';
import type { TransferSummary } from '../src/durable/types';
import { MiB } from '../src/plan/blocks';

export interface CopyArgs {
  tool: 'blobferry' | 'sdk' | 'stream' | 's3-stream';
  source: string;
  destination: string;
  /** For the SDK: account keys to sign with. */
  sourceKey?: { account: string; key: string };
  destinationKey?: { account: string; key: string };
  recursive?: boolean;
  /** The source is a plain HTTP object (stream: read it with a GET). */
  httpSource?: boolean;
  concurrency: number;
  strategy?: string;
  /** For the SDK on one large blob: each 8 MiB range's MD5 (base64), sent as x-ms-source-content-md5. */
  sourceRangeMd5s?: string[];
}


/**
 * Where blobferry's wall time went, in ms: starting the host, inspecting (which lists the first
 * page of a prefix), the copy itself (later pages are listed while it copies).
 */
export interface BlobferryPhases {
  hostStart: number;
  inspect: number;
  copy: number;
}

interface Measured {
  bytes: number;
  blobs: number;
  /** Set by a tool that leaves something out of its wall time (blobferry: reading its phases). */
  wallMs?: number;
  phases?: BlobferryPhases;
}

async function blobferry(args: CopyArgs): Promise<Measured> {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobferry-bench-'));
  fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: 'bench', maxConcurrentActivityFunctions: 32, maxConcurrentOrchestratorFunctions: 8 } } }));
  process.env.BLOBFERRY_SEAL_KEY = randomBytes(32).toString('base64');
  const host = await LocalHost.start({ appDir: dir, stateDir: path.join(dir, 'state'), http: false, entryPoints: [path.join(__dirname, '..', 'src', 'functions', 'index.js')], logger: silentLogger, minConcurrency: { activities: args.concurrency + 4 } });
  let stopped = false;
  try {
    const started = Date.now();
    actForLocalUser(); // the benchmark copies as the CLI does
    const { instanceId, input } = prepareTransfer({ source: args.source, destination: args.destination, options: { recursive: args.recursive ?? false, concurrency: args.concurrency, overwrite: 'always', ...(args.strategy ? { strategy: args.strategy } : {}) } }, 'user');
    host.engine.startNew(transfer.name, { instanceId, input });
    const status = await host.engine.waitForCompletion(instanceId);
    const done = Date.now();
    const summary = status.output as TransferSummary;
    if (status.runtimeStatus !== 'Completed' || summary.blobs.copied === 0 || summary.blobs.copied !== summary.blobs.total) throw new Error(`copy incomplete: ${status.runtimeStatus} ${JSON.stringify(summary ?? status.output).slice(0, 1500)}`);
    // The history says when the inspection completed (read outside the wall time).
    const completed = (fn: string) => {
      const times = host.engine.list().instances.flatMap((i) => host.engine.getStatus(i.instanceId, { showHistory: true })?.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted' && e.FunctionName === fn).map((e) => Date.parse(String(e.Timestamp)));
      return times.length ? Math.min(...times) : undefined;
    };
    const inspected = completed('inspectTransfer') ?? started;
    const phases = { hostStart: started - t0, inspect: inspected - started, copy: done - inspected };
    const stopping = Date.now();
    await host.stop(1000);
    stopped = true;
    return { bytes: summary.bytes.copied, blobs: summary.blobs.copied, phases, wallMs: done - t0 + (Date.now() - stopping) };
  } finally {
    if (!stopped) await host.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a careful hand-written script does: Put Block From URL per 8 MiB block then Put Block List, or one Copy Blob From URL per small blob. */
async function sdk(args: CopyArgs): Promise<{ bytes: number; blobs: number }> {
  const sourceUrl = new URL(args.source);
  const sourceSas = sourceUrl.search;
  const dest = new URL(args.destination);
  const destCredential = new StorageSharedKeyCredential(args.destinationKey!.account, args.destinationKey!.key);
  const pipeline = newPipeline(destCredential, { keepAliveOptions: { enable: true } });
  const destBase = `${dest.origin}${dest.pathname.replace(/\/$/, '')}`;
  const pool = async <T>(items: T[], work: (item: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(args.concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }));
  };
  if (!args.recursive) {
    const source = new BlockBlobClient(args.source);
    const size = (await source.getProperties()).contentLength ?? 0;
    const target = new BlockBlobClient(`${destBase}`, pipeline);
    const blocks = Array.from({ length: Math.ceil(size / (8 * MiB)) }, (_, i) => i);
    const id = (i: number) => Buffer.from(`block-${String(i).padStart(6, '0')}`).toString('base64');
    const sourceContentMD5 = (i: number) => (args.sourceRangeMd5s ? Buffer.from(args.sourceRangeMd5s[i], 'base64') : undefined);
    await pool(blocks, async (i) => void (await target.stageBlockFromURL(id(i), args.source, i * 8 * MiB, Math.min(8 * MiB, size - i * 8 * MiB), { sourceContentMD5: sourceContentMD5(i) })));
    await target.commitBlockList(blocks.map(id));
    return { bytes: size, blobs: 1 };
  }
  const container = new ContainerClient(`${sourceUrl.origin}${sourceUrl.pathname.split('/').slice(0, 3).join('/')}${sourceSas}`);
  const prefix = sourceUrl.pathname.split('/').slice(3).join('/');
  const items: Array<{ name: string; size: number }> = [];
  for await (const blob of container.listBlobsFlat({ prefix })) items.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
  let bytes = 0;
  await pool(items, async (item) => {
    const relative = item.name.slice(prefix.length);
    const target = new BlockBlobClient(`${destBase}/${relative.split('/').map(encodeURIComponent).join('/')}`, pipeline);
    const src = `${sourceUrl.origin}/${sourceUrl.pathname.split('/')[1]}/${sourceUrl.pathname.split('/')[2]}/${item.name.split('/').map(encodeURIComponent).join('/')}${sourceSas}`;
    // What the strategy table does for small blobs across accounts: one Copy Blob From URL.
    await target.syncCopyFromURL(src);
    bytes += item.size;
  });
  return { bytes, blobs: items.length };
}

/** Download and upload again through this process: the source's bytes flow through the client. */
async function stream(args: CopyArgs): Promise<{ bytes: number; blobs: number }> {
  const dest = new URL(args.destination);
  const pipeline = newPipeline(new StorageSharedKeyCredential(args.destinationKey!.account, args.destinationKey!.key), { keepAliveOptions: { enable: true } });
  const destBase = `${dest.origin}${dest.pathname.replace(/\/$/, '')}`;
  const copyOne = async (source: string, target: string, size: number) => {
    const body = args.httpSource ? await httpGet(source) : (await new BlockBlobClient(source).download()).readableStreamBody!;
    await new BlockBlobClient(target, pipeline).uploadStream(body as NodeJS.ReadableStream as never, 8 * MiB, Math.max(1, Math.min(args.concurrency, 16)));
    return size;
  };
  if (!args.recursive) {
    const size = args.httpSource ? Number((await fetch(args.source, { method: 'HEAD' })).headers.get('content-length')) : ((await new BlockBlobClient(args.source).getProperties()).contentLength ?? 0);
    return { bytes: await copyOne(args.source, destBase, size), blobs: 1 };
  }
  const sourceUrl = new URL(args.source);
  const [, account, containerName] = sourceUrl.pathname.split('/');
  const container = new ContainerClient(`${sourceUrl.origin}/${account}/${containerName}${sourceUrl.search}`);
  const prefix = sourceUrl.pathname.split('/').slice(3).join('/');
  const items: Array<{ name: string; size: number }> = [];
  for await (const blob of container.listBlobsFlat({ prefix })) items.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
  let bytes = 0;
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(args.concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      const src = `${sourceUrl.origin}/${account}/${containerName}/${item.name.split('/').map(encodeURIComponent).join('/')}${sourceUrl.search}`;
      const copied = await copyOne(src, `${destBase}/${item.name.slice(prefix.length).split('/').map(encodeURIComponent).join('/')}`, item.size);
      bytes += copied;
    }
  }));
  return { bytes, blobs: items.length };
}

/** S3 to Azure through this process: GetObject bodies streamed into uploads, `concurrency` objects (or blocks of one object) at a time. */
async function s3Stream(args: CopyArgs): Promise<{ bytes: number; blobs: number }> {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3;
  const s3 = new S3Client({ region: process.env.AWS_REGION ?? 'us-east-1', ...(endpoint ? { endpoint, forcePathStyle: true } : {}), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const [, bucket, path] = /^s3:\/\/([^/]+)\/(.*)$/.exec(args.source)!;
  const dest = new URL(args.destination);
  const pipeline = newPipeline(new StorageSharedKeyCredential(args.destinationKey!.account, args.destinationKey!.key), { keepAliveOptions: { enable: true } });
  const destBase = `${dest.origin}${dest.pathname.replace(/\/$/, '')}`;
  if (!args.recursive) {
    const size = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: path }))).ContentLength ?? 0;
    const body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: path }))).Body as NodeJS.ReadableStream;
    await new BlockBlobClient(destBase, pipeline).uploadStream(body as never, 8 * MiB, args.concurrency);
    return { bytes: size, blobs: 1 };
  }
  const items: Array<{ key: string; size: number }> = [];
  for (let token: string | undefined, first = true; first || token; first = false) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: path, ContinuationToken: token }));
    items.push(...(page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 })));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  }
  let bytes = 0;
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(args.concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.key }))).Body!.transformToByteArray());
      await new BlockBlobClient(`${destBase}/${item.key.slice(path.length).split('/').map(encodeURIComponent).join('/')}`, pipeline).upload(body, body.length);
      bytes += item.size;
    }
  }));
  return { bytes, blobs: items.length };
}

function httpGet(url: string): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => http.get(url, (res) => (res.statusCode === 200 ? resolve(res) : reject(new Error(`GET ${url}: ${res.statusCode}`)))).on('error', reject));
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as CopyArgs;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const t0 = process.hrtime.bigint();
  const tools = { blobferry, sdk, stream, 's3-stream': s3Stream };
  const measured: Measured = await tools[args.tool](args);
  const wallMs = measured.wallMs ?? Number(process.hrtime.bigint() - t0) / 1e6;
  // The whole process's CPU, start-up included: comparable with AzCopy's, measured from outside.
  const cpu = process.cpuUsage();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(JSON.stringify({ ...measured, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: peakRss / MiB }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
