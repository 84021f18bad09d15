/**
 * `npm run bench local`: local disks and Blob Storage, blobferry beside AzCopy and rclone on the
 * same Azurite, each tool a whole process measured from outside (wall time, CPU, peak RSS), the
 * tools alternating run by run:
 *   up-big      upload one BENCH_LOCAL_BIG_MIB (1024) MiB file
 *   up-small    upload BENCH_LOCAL_SMALL_COUNT (2,000) files of 4 KiB
 *   down-big    download that blob
 *   down-small  download those blobs
 *   sync        sync the small files' directory after 1% of them changed (their own 1% each run)
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { azcopyBinary } from './azcopy';
import { MiB, measureProcess, sas, startLatencyProxy, writeRandomFile, type Bench, type Sample } from './copyScenarios';
import { rcloneBinary } from './rclone';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_BLOBFERRY_CONCURRENCY ?? 16);
const CONTAINER = 'bench-local';
const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');

type Tool = 'blobferry' | 'azcopy' | 'rclone';
type Task = 'up-big' | 'up-small' | 'down-big' | 'down-small' | 'sync';
const TASKS: Task[] = ['up-big', 'up-small', 'down-big', 'down-small', 'sync'];

/** `latencyMs`: every tool's requests to Blob Storage through a proxy adding that much to each. */
export async function localPeers(b: Bench, latencyMs?: number): Promise<{ samples: Sample[]; table: string }> {
  const proxy = latencyMs !== undefined ? await startLatencyProxy(b, latencyMs) : undefined;
  try {
    return await localPeersVia(b, (url) => proxy?.via(url) ?? url, latencyMs);
  } finally {
    await proxy?.close();
  }
}

async function localPeersVia(b: Bench, via: (url: string) => string, latencyMs: number | undefined): Promise<{ samples: Sample[]; table: string }> {
  const bigMiB = Number(process.env.BENCH_LOCAL_BIG_MIB ?? 1024);
  const smallCount = Number(process.env.BENCH_LOCAL_SMALL_COUNT ?? 2000);
  const azcopy = azcopyBinary();
  const rclone = rcloneBinary();
  const tools: Tool[] = ['blobferry', ...('missing' in azcopy ? [] : (['azcopy'] as const)), ...('missing' in rclone ? [] : (['rclone'] as const))];
  for (const [name, probe] of [['AzCopy', azcopy], ['rclone', rclone]] as const) if ('missing' in probe) console.log(`  ${name} not run: ${probe.missing}`);

  // The files: one big, and a directory of small ones in 20 folders.
  const data = path.join(b.dir, 'local');
  const big = path.join(data, 'big.bin');
  const small = path.join(data, 'small');
  fs.mkdirSync(small, { recursive: true });
  writeRandomFile(big, bigMiB * MiB);
  for (let i = 0; i < smallCount; i++) {
    const dir = path.join(small, `d${String(i % 20).padStart(2, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f-${String(i).padStart(5, '0')}.bin`), randomBytes(4096));
  }
  const container = via(`${b.azurite.blobEndpoint(b.second.name)}/${CONTAINER}`);
  const containerSas = sas(b.second, CONTAINER, undefined, 'racwdl');
  const url = (blobPath: string) => `${container}/${blobPath}?${containerSas}`;
  await new BlobServiceClient(b.azurite.blobEndpoint(b.second.name), new StorageSharedKeyCredential(b.second.name, b.second.key)).getContainerClient(CONTAINER).createIfNotExists();
  const stateDir = path.join(b.dir, 'blobferry-state');

  /** The command each tool runs for a task; `to` is the run's own destination. */
  const command = (tool: Tool, task: Task, to: string): { exe: string; args: string[]; env: NodeJS.ProcessEnv } => {
    const env: NodeJS.ProcessEnv = { ...process.env, BLOBFERRY_STATE_DIR: stateDir, AZCOPY_LOG_LOCATION: path.join(b.dir, 'azcopy', 'logs'), AZCOPY_JOB_PLAN_LOCATION: path.join(b.dir, 'azcopy', 'plans'), RCLONE_CONFIG: '/dev/null' };
    const remote = (p: string) => `:azureblob,sas_url='${container}?${containerSas}':${CONTAINER}/${p}`;
    const from: Record<Task, { local: string; blob: string; recursive: boolean }> = {
      'up-big': { local: big, blob: `${to}/big.bin`, recursive: false },
      'up-small': { local: small, blob: `${to}/`, recursive: true },
      'down-big': { local: path.join(to, 'big.bin'), blob: 'seed/big.bin', recursive: false },
      'down-small': { local: to, blob: 'seed/small/', recursive: true },
      sync: { local: small, blob: `${to}/`, recursive: true },
    };
    const f = from[task];
    const upload = task.startsWith('up') || task === 'sync';
    switch (tool) {
      case 'blobferry': {
        const verb = task === 'sync' ? 'sync' : 'copy';
        const [src, dst] = upload ? [f.local, url(f.blob)] : [url(f.blob), f.recursive ? `${f.local}/` : f.local];
        return { exe: process.execPath, args: [CLI, verb, src, dst, ...(f.recursive && verb === 'copy' ? ['--recursive'] : []), '--concurrency', String(CONCURRENCY), '--json'], env };
      }
      case 'azcopy': {
        const exe = (azcopy as { path: string }).path;
        if (task === 'sync') return { exe, args: ['sync', f.local, url(f.blob), '--recursive', '--from-to', 'LocalBlob', '--log-level', 'ERROR', '--output-type', 'json'], env };
        // A directory's contents, as the others copy them (AzCopy would add the directory's name).
        const src = upload ? (f.recursive ? `${f.local}/*` : f.local) : url(f.blob.endsWith('/') ? `${f.blob}*` : f.blob);
        const dst = upload ? url(f.blob) : f.local;
        return { exe, args: ['copy', src, dst, ...(f.recursive ? ['--recursive'] : []), '--from-to', upload ? 'LocalBlob' : 'BlobLocal', '--log-level', 'ERROR', '--output-type', 'json'], env };
      }
      case 'rclone': {
        const verb = task === 'sync' ? 'sync' : f.recursive ? 'copy' : 'copyto';
        const [src, dst] = upload ? [f.local, remote(f.blob)] : [remote(f.blob), f.local];
        return { exe: 'rclone', args: [verb, src, dst, '--transfers', String(CONCURRENCY), '--checkers', String(CONCURRENCY), '-q'], env };
      }
    }
  };

  const runOnce = async (tool: Tool, task: Task, to: string): Promise<Sample> => {
    const { exe, args, env } = command(tool, task, to);
    const ran = await measureProcess(exe, args, env);
    if (ran.code !== 0) throw new Error(`${tool} ${task} exited ${ran.code}: ${(ran.stderr || ran.stdout).slice(0, 600)}`);
    return { tool, concurrency: CONCURRENCY, wallMs: ran.wallMs, processMs: ran.wallMs, cpuMs: ran.cpuMs, peakRssMiB: ran.peakRssMiB, bytes: 0, blobs: 0 };
  };

  // Seeds for the downloads, and each tool's synced copy for the sync task (not timed).
  await runOnce('blobferry', 'up-big', 'seed');
  await runOnce('blobferry', 'up-small', 'seed/small');
  for (const tool of tools) await runOnce(tool, 'sync', `sync-${tool}`);

  const samples: Array<Sample & { task: Task }> = [];
  let changed = 0;
  for (const task of TASKS) {
    console.log(`== local: ${task}`);
    for (let i = 0; i < RUNS; i++) {
      if (task === 'sync') changed = changeOnePercent(small, smallCount, changed);
      for (const tool of tools.map((_, k, all) => all[(k + i) % all.length])) {
        const to = task.startsWith('down') ? path.join(b.dir, `out-${tool}-${i}`) : task === 'sync' ? `sync-${tool}` : `${task}-${tool}-${i}`;
        if (task.startsWith('down')) fs.mkdirSync(to, { recursive: true });
        const sample = { ...(await runOnce(tool, task, to)), task };
        if (task === 'down-big') checkSame(path.join(to, 'big.bin'), big);
        if (task.startsWith('down')) fs.rmSync(to, { recursive: true, force: true });
        samples.push(sample);
        console.log(`  run ${i + 1} ${tool}: ${(sample.wallMs / 1000).toFixed(2)} s, CPU ${(sample.cpuMs / 1000).toFixed(2)} s, peak RSS ${sample.peakRssMiB.toFixed(0)} MiB`);
      }
    }
  }
  return { samples, table: localTable(samples, tools, bigMiB, smallCount, latencyMs) };
}

/** Rewrites the next 1% of the small files (new bytes, same size, a later modification time). */
function changeOnePercent(dir: string, count: number, from: number): number {
  const n = Math.max(1, Math.round(count / 100));
  const later = new Date(Date.now() + 1000);
  for (let i = from; i < from + n; i++) {
    const file = path.join(dir, `d${String(i % 20).padStart(2, '0')}`, `f-${String(i % count).padStart(5, '0')}.bin`);
    fs.writeFileSync(file, randomBytes(4096));
    fs.utimesSync(file, later, later);
  }
  return from + n;
}

function checkSame(copy: string, original: string): void {
  const digest = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');
  if (digest(copy) !== digest(original)) throw new Error(`${copy} differs from ${original}`);
}

function localTable(samples: Array<Sample & { task: Task }>, tools: Tool[], bigMiB: number, smallCount: number, latencyMs: number | undefined): string {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const titles: Record<Task, string> = {
    'up-big': `upload one ${bigMiB} MiB file`,
    'up-small': `upload ${smallCount.toLocaleString('en')} × 4 KiB files`,
    'down-big': `download the ${bigMiB} MiB blob`,
    'down-small': `download the ${smallCount.toLocaleString('en')} blobs`,
    sync: `sync ${smallCount.toLocaleString('en')} files, 1% changed`,
  };
  const rows = TASKS.map((task) => {
    const of = (tool: Tool) => samples.filter((s) => s.task === task && s.tool === tool);
    const wall = (tool: Tool) => (of(tool).length ? median(of(tool).map((s) => s.wallMs)) : NaN);
    const peers = tools.filter((t) => t !== 'blobferry').map(wall).filter(Number.isFinite);
    const ratio = peers.length ? wall('blobferry') / Math.min(...peers) : NaN;
    const cell = (tool: Tool) => (of(tool).length ? `${(wall(tool) / 1000).toFixed(2)} s, ${median(of(tool).map((s) => s.peakRssMiB)).toFixed(0)} MiB` : 'not run');
    return `| ${titles[task]} | ${cell('blobferry')} | ${cell('azcopy')} | ${cell('rclone')} | ${Number.isFinite(ratio) ? `**${ratio.toFixed(2)}**` : '—'} |`;
  });
  return [
    `Whole processes, medians of ${RUNS} alternating runs (wall time, peak RSS); blobferry at --concurrency ${CONCURRENCY}, rclone at --transfers ${CONCURRENCY}, AzCopy at its defaults${latencyMs !== undefined ? `; every request to Blob Storage +${latencyMs} ms through a loopback proxy` : ''}.`,
    '',
    '| task | blobferry | AzCopy 10.32.2 | rclone | blobferry / faster peer (goal ≤ 0.8) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
