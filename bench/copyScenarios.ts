/**
 * Copy benchmarks on one Azurite (two accounts, temp folder, free ports): blobferry against the
 * bare SDK doing the same operations at its best concurrency (the ceiling of this machine and
 * emulator), alternating A B A B; and relay of a large object from a local HTTP server (memory).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobSASPermissions, BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { DEV_ACCOUNT, startAzurite, type RunningAzurite, type StorageAccount } from '../src/local/azurite';
import { startStorageProxy, type StorageProxy } from '../test/support/storageProxy';
import type { BlobferryPhases, CopyArgs } from './copyWorker';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface Sample {
  tool: string;
  concurrency: number;
  /**
   * The copy, timed inside the process (modules already loaded; blobferry's from starting its host
   * to stopping it); AzCopy's is its whole process.
   */
  wallMs: number;
  /** The whole process, from spawn to exit, as `time` would show it (what AzCopy is measured by). */
  processMs?: number;
  /** CPU time Azurite spent while this process ran. */
  azuriteCpuMs?: number;
  /** CPU time the source service (s3rver) spent while this process ran. */
  sourceCpuMs?: number;
  /** blobferry only: where its wall time went. */
  phases?: BlobferryPhases;
  cpuMs: number;
  peakRssMiB: number;
  bytes: number;
  blobs: number;
}

export interface Bench {
  azurite: RunningAzurite;
  second: StorageAccount;
  dir: string;
  close(): Promise<void>;
}

/** `noCrc64`: the Azurite variant of azuriteNoCrc64.ts (what Azurite's CRC-64 loop costs the peers). */
export async function startBenchAzurite(options: { noCrc64?: boolean } = {}): Promise<Bench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobferry-bench-azurite-'));
  const second = { name: 'benchsecond', key: randomBytes(64).toString('base64') };
  const variant = options.noCrc64 ? ['--require', path.join(__dirname, 'azuriteNoCrc64.js')] : [];
  const azurite = await startAzurite({ location: path.join(dir, 'data'), extraAccounts: [second], execArgv: [...profileArgs('azurite'), ...variant] });
  return {
    azurite,
    second,
    dir,
    async close() {
      await azurite.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback proxy in front of the bench Azurite's Blob service that adds `delayMs` to every request (Azure's round trip); `via` sends a URL through it. */
export interface LatencyProxy {
  proxy: StorageProxy;
  via(url: string): string;
  close(): Promise<void>;
}

export async function startLatencyProxy(bench: Bench, delayMs: number): Promise<LatencyProxy> {
  const proxy = await startStorageProxy(bench.azurite.blobPort, { accounts: bench.azurite.accounts });
  proxy.rules.push({ match: () => true, delayMs });
  return { proxy, via: (url) => url.replace(`http://127.0.0.1:${bench.azurite.blobPort}`, proxy.origin), close: () => proxy.close() };
}

export function service(bench: Bench, account: StorageAccount): BlobServiceClient {
  return new BlobServiceClient(bench.azurite.blobEndpoint(account.name), new StorageSharedKeyCredential(account.name, account.key));
}

export function sas(account: StorageAccount, container: string, blob?: string, permissions = 'rl'): string {
  const credential = new StorageSharedKeyCredential(account.name, account.key);
  const expiresOn = new Date(Date.now() + 6 * 3600_000);
  return (blob
    ? generateBlobSASQueryParameters({ containerName: container, blobName: blob, permissions: BlobSASPermissions.parse(permissions), expiresOn }, credential)
    : generateBlobSASQueryParameters({ containerName: container, permissions: ContainerSASPermissions.parse(permissions), expiresOn }, credential)
  ).toString();
}

/**
 * BENCH_PROFILE=<dir>: every process of the run (Azurite, each worker) writes a V8 CPU profile
 * there, named after it, to open in Chrome DevTools or summarise with `npm run bench:profile`.
 */
export function profileArgs(name: string): string[] {
  const dir = process.env.BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
}

/** From /proc (Linux): a process's CPU time (user + system) so far, or that of its children it has waited for. */
export function processCpuMs(pid: number | 'self', which: 'own' | 'waited-for children' = 'own'): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses): utime is the 12th, cutime the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = which === 'own' ? 11 : 13;
  return ((Number(fields[at]) + Number(fields[at + 1])) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux. */
const CLOCK_TICKS = 100;

/** From /proc (Linux): a process's resident memory now (VmRSS) and its peak so far (VmHWM), in KiB; undefined once it has exited. */
export function memoryKiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * A peer's process (AzCopy, rclone, the blobferry CLI) measured from outside: its wall time; its
 * CPU time, exact once it has been waited for (runs never overlap); its peak RSS, sampled from
 * /proc. `watch` follows it meanwhile: its pid once spawned, each line it prints on stdout.
 */
export function measureProcess(exe: string, args: string[], env: NodeJS.ProcessEnv, watch: { spawned?(pid: number): void; stdoutLine?(line: string): void } = {}): Promise<{ code: number | null; stdout: string; stderr: string; wallMs: number; cpuMs: number; peakRssMiB: number }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(exe, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    watch.spawned?.(child.pid!);
    let stdout = '';
    let stderr = '';
    let partialLine = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!watch.stdoutLine) return;
      const lines = (partialLine + c.toString()).split('\n');
      partialLine = lines.pop()!;
      for (const line of lines) watch.stdoutLine(line);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const childrenCpu0 = processCpuMs('self', 'waited-for children');
    let peakRssKiB = 0;
    const sample = () => (peakRssKiB = Math.max(peakRssKiB, memoryKiB(child.pid!)?.peak ?? 0));
    const sampler = setInterval(sample, 20);
    child.once('close', (code) => {
      clearInterval(sampler);
      resolve({ code, stdout, stderr, wallMs: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: processCpuMs('self', 'waited-for children') - childrenCpu0, peakRssMiB: peakRssKiB / 1024 });
    });
  });
}

/** Runs one measurement in a fresh process (asynchronously: the relay's file server lives in this one), with the process's whole wall time. */
export async function runWorker(args: CopyArgs): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const sample = await runJsonWorker<Omit<Sample, 'tool' | 'concurrency'>>('copyWorker.js', args);
  return { tool: args.tool, concurrency: args.concurrency, ...sample, processMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/**
 * One measurement, with the CPU time Azurite spent while it ran (all of it serves that tool: runs
 * never overlap). A run that writes into a container of its own (runDestination) finds it created
 * and has it deleted afterwards, outside the measurement and in one request, so that every run
 * meets the same Azurite (its index slows down as it grows) and 10,000 copies do not cost minutes
 * of deletes one by one.
 */
export async function measureRun(bench: Bench, destination: string, measure: () => Promise<Sample>): Promise<Sample> {
  const target = runContainerOf(bench, destination);
  await target?.createIfNotExists();
  const before = processCpuMs(bench.azurite.pid);
  const sample = await measure();
  const azuriteCpuMs = processCpuMs(bench.azurite.pid) - before;
  await target?.delete();
  return { ...sample, azuriteCpuMs };
}

const RUN_CONTAINER_PREFIX = 'run-';

/** A run's own destination container in the second account: run-<id>, in the characters a container name allows. */
export function runContainer(run: string): string {
  return `${RUN_CONTAINER_PREFIX}${run.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/** The URL (with a read-write SAS) of a run's own container, or of `blob` in it. */
export function runDestination(bench: Bench, run: string, blob = ''): string {
  const container = runContainer(run);
  return `${bench.azurite.blobEndpoint(bench.second.name)}/${container}/${blob}?${sas(bench.second, container, undefined, 'racwdl')}`;
}

/** The run container a destination URL names (directly or through a latency proxy: both are path-style), if it does. */
function runContainerOf(bench: Bench, destination: string) {
  const [, account, container] = new URL(destination).pathname.split('/');
  return account === bench.second.name && container.startsWith(RUN_CONTAINER_PREFIX) ? service(bench, bench.second).getContainerClient(container) : undefined;
}

/** Runs work(0) … work(count - 1), `width` at a time. */
export async function inParallel(count: number, width: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

/** `node bench/<script> '<json args>'`; resolves with the JSON of its last line of output. */
export function runJsonWorker<T>(script: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const name = `${path.basename(script, '.js')}-${(args as { tool?: string }).tool ?? 'run'}`;
    const child = spawn(process.execPath, [...profileArgs(name), path.join(__dirname, script), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => {
      if (status !== 0) return reject(new Error(`${script} failed:\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
  });
}

/** Sizes of mixed scenarios: spread evenly on a log scale from 1 KiB to `maxBytes`, the same every run. */
export function mixedSize(index: number, maxBytes = 64 * MiB): number {
  const spread = (index * 0.6180339887) % 1;
  return Math.round(1024 * (maxBytes / 1024) ** spread);
}

/** Source data: one large blob, and prefixes of medium (8 MiB), mixed-size and small blobs. */
export async function seed(bench: Bench, what: { bigBytes?: number; smallCount?: number; smallBytes?: number; mediumCount?: number; mixedCount?: number }): Promise<void> {
  const src = service(bench, DEV_ACCOUNT).getContainerClient('bench-source');
  await src.createIfNotExists();
  await service(bench, bench.second).getContainerClient('bench-target').createIfNotExists();
  if (what.bigBytes) {
    const block = 8 * MiB;
    const client = src.getBlockBlobClient('big/one.bin');
    const ids: string[] = [];
    for (let i = 0; i * block < what.bigBytes; i++) {
      const id = Buffer.from(`seed-${String(i).padStart(6, '0')}`).toString('base64');
      const size = Math.min(block, what.bigBytes - i * block);
      await client.stageBlock(id, randomFill(size), size);
      ids.push(id);
    }
    await client.commitBlockList(ids);
  }
  await inParallel(what.mediumCount ?? 0, 8, async (i) => void (await src.getBlockBlobClient(`medium/file-${String(i).padStart(4, '0')}.bin`).uploadData(randomFill(8 * MiB))));
  await inParallel(what.mixedCount ?? 0, 8, async (i) => void (await src.getBlockBlobClient(`mixed/file-${String(i).padStart(4, '0')}.bin`).uploadData(randomFill(mixedSize(i)))));
  await inParallel(what.smallCount ?? 0, 64, async (i) => {
    const body = randomFill(what.smallBytes ?? 4096);
    await src.getBlockBlobClient(`small/${String(i % 100).padStart(2, '0')}/file-${String(i).padStart(5, '0')}.bin`).upload(body, body.length);
  });
}

const randomFill = (size: number): Buffer => randomBytes(size);

/** The source prefix (or, for big, blob) a copy reads: bench-source/<kind>/. */
export type CopyKind = 'big' | 'small' | 'medium' | 'mixed' | 'scale';

export function copyArgs(bench: Bench, tool: CopyArgs['tool'], kind: CopyKind, run: string, concurrency: number): CopyArgs {
  const src = bench.azurite.blobEndpoint(DEV_ACCOUNT.name);
  const destinationKey = { account: bench.second.name, key: bench.second.key };
  return kind === 'big'
    ? { tool, concurrency, source: `${src}/bench-source/big/one.bin?${sas(DEV_ACCOUNT, 'bench-source', 'big/one.bin', 'r')}`, destination: runDestination(bench, run, 'one.bin'), destinationKey }
    : { tool, concurrency, recursive: true, source: `${src}/bench-source/${kind}/?${sas(DEV_ACCOUNT, 'bench-source')}`, destination: runDestination(bench, run), destinationKey };
}

/** A file on disk served with ranges, ETag and Last-Modified: the relay source. */
export async function serveFile(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const stat = fs.statSync(file);
  const etag = `"${stat.size}-${stat.mtimeMs}"`;
  const server = http.createServer((req, res) => {
    const headers = { etag, 'last-modified': stat.mtime.toUTCString(), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (req.headers['if-match'] && req.headers['if-match'] !== etag) return void res.writeHead(412).end();
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), stat.size - 1) : stat.size - 1;
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${stat.size}`, 'content-length': end - start + 1 });
      if (req.method === 'HEAD') return void res.end();
      return void fs.createReadStream(file, { start, end }).pipe(res);
    }
    res.writeHead(200, { ...headers, 'content-length': stat.size });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/object.bin`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export function writeRandomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  const chunk = randomFill(16 * MiB);
  for (let written = 0; written < bytes; written += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
  fs.closeSync(fd);
}

export { GiB, MiB };
