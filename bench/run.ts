/**
 * `npm run bench [scenario...]`: benchmarks, never part of `npm test`. Each measurement runs in
 * a fresh process; results go to bench/results/<date>.json and the tables in docs/benchmarks.md
 * (between the markers of each scenario).
 *
 * Scenarios:
 *   fanout      the local host's orchestration overhead: fan-out of N no-op activities
 *   copy-big    one 1 GiB blob across accounts: blobferry vs the bare SDK ceiling
 *   copy-small  10,000 blobs of 4 KiB under one prefix: blobferry vs the bare SDK ceiling
 *   relay       a 1 GiB object from a local HTTP server, relayed, beside a stream-through script: peak memory
 *   server-copy one 1 GiB blob within one account: server-copy vs block-copy
 *   polling     a server copy pending for 20 status polls: the orchestration's own cost
 *   peers       blobferry, AzCopy, the bare SDK and a stream-through script, alternating: (a) 1 GiB
 *               across accounts, (b) 200 × 8 MiB across accounts, (d) 1 GiB within one account
 *   azcopy-small  (c) AzCopy on 4 KiB blobs: whether it can run on Azurite at all (it cannot)
 *   azurite-crc   Put Block From URL with and without a source MD5: what Azurite's CRC-64 costs
 *   peers-no-crc64  (a) on an Azurite variant without that CRC-64 loop (bench/azuriteNoCrc64.ts)
 *   s3          s3rver -> Azurite: blobferry, rclone and an S3 SDK stream-through script, alternating:
 *               (s3-a) one 1 GiB object, (s3-b) 2,000 × 64 KiB objects
 *   faults      1 GiB across accounts through a proxy adding BENCH_LATENCY_MS (20) to every
 *               request and answering BENCH_BUSY_PERCENT (5) % of writes 503 ServerBusy:
 *               blobferry and AzCopy alternating, and blobferry through the same proxy without the 503s
 *   latency     (a), (b), (c) and mixed sizes with BENCH_LATENCIES (0,20,60) ms added to every destination
 *               request by a loopback proxy: blobferry, AzCopy and the bare SDK through the same proxy
 *               (BENCH_LATENCY_ONLY=latency-c,...: only those)
 *   startup     (b) alone, blobferry and the bare SDK alternating: what a copy's fixed cost leaves of the ceiling
 *   local       local disks: uploads, downloads and a sync with 1% changed, blobferry beside AzCopy and
 *               rclone (bench/localDisk.ts; BENCH_LOCAL_BIG_MIB, BENCH_LOCAL_SMALL_COUNT)
 *   s3-latency, local-latency  the same with BENCH_LATENCY_MS (20) added to every request any tool
 *               sends to Blob Storage, through the loopback proxy (S3 and the disks stay direct)
 *   scale       BENCH_SCALE_COUNT (100000) blobs of 1 KiB–1 MiB under one prefix across accounts, once
 *               with `blobferry copy` and once through `blobferry host` (bench/scale.ts; BENCH_RUNS does
 *               not apply): throughput per 10%, RSS, state folder size, largest history, replay time
 *
 * BENCH_RUNS (default 3), BENCH_BIG_MIB (1024), BENCH_SMALL_COUNT (10000), BENCH_MEDIUM_COUNT (200),
 * BENCH_RELAY_MIB (1024), BENCH_BLOBFERRY_CONCURRENCY (16), BENCH_S3_BIG_MIB (1024), BENCH_S3_SMALL_COUNT (2000). BENCH_PROFILE=<dir>: CPU profiles of
 * Azurite and each copy worker go there (summarise them with `npm run bench:profile`), and nothing
 * is recorded (profiling slows the runs down).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RELAY_BUFFER_BUDGET, relayParallel } from '../src/durable/activities/relay';
import { BlobServiceClient, BlockBlobClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { DEV_ACCOUNT } from '../src/local/azurite';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestS3, type TestS3 } from '../test/support/s3';
import { azcopyBinary, runAzcopy } from './azcopy';
import { localPeers } from './localDisk';
import { rcloneBinary, runRclone } from './rclone';
import { scale } from './scale';
import { copyArgs, type CopyKind, inParallel, measureRun, MiB, processCpuMs, runContainer, runDestination, runJsonWorker, runWorker, sas, seed, serveFile, startBenchAzurite, startLatencyProxy, writeRandomFile, type Bench, type Sample } from './copyScenarios';
import type { CopyArgs } from './copyWorker';

const ROOT = path.join(__dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface FanoutSample {
  n: number;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
}

function fanoutOnce(n: number): FanoutSample {
  const out = spawnSync(process.execPath, [path.join(__dirname, 'fanoutWorker.js'), String(n)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`fan-out of ${n} failed:\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as FanoutSample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fanout(): { samples: FanoutSample[]; table: string } {
  const samples: FanoutSample[] = [];
  const rows: string[] = [];
  for (const n of [100, 1000, 5000]) {
    const runs = Array.from({ length: RUNS }, () => fanoutOnce(n));
    samples.push(...runs);
    const wall = runs.map((r) => r.wallMs);
    rows.push(
      `| ${n.toLocaleString('en')} | ${median(wall).toFixed(0)} | ${Math.min(...wall).toFixed(0)} – ${Math.max(...wall).toFixed(0)} | ${(median(wall) / n).toFixed(3)} | ${median(runs.map((r) => r.cpuMs)).toFixed(0)} | ${median(runs.map((r) => r.peakRssMiB)).toFixed(0)} |`,
    );
    console.log(rows[rows.length - 1]);
  }
  const table = [
    '| activities (N) | wall ms (median) | wall ms (min – max) | ms per activity | CPU ms | peak RSS MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  return { samples, table };
}

const SDK_SWEEP = [8, 16, 32, 64];
/** The round trip `faults`, `s3-latency` and `local-latency` add to every request to Blob Storage. */
const BENCH_LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const BLOBFERRY_CONCURRENCY = Number(process.env.BENCH_BLOBFERRY_CONCURRENCY ?? 16);

let bench: Bench | undefined;
async function azurite(options: { noCrc64?: boolean } = {}): Promise<Bench> {
  bench ??= await startBenchAzurite(options);
  return bench;
}

function stats(samples: Sample[], unit: (s: Sample) => number) {
  const wall = samples.map((s) => s.wallMs);
  return {
    median: median(wall),
    min: Math.min(...wall),
    max: Math.max(...wall),
    rate: median(samples.map(unit)),
    rss: median(samples.map((s) => s.peakRssMiB)),
    cpu: median(samples.map((s) => s.cpuMs)),
    process: median(samples.map((s) => s.processMs ?? s.wallMs)),
    azuriteCpu: median(samples.map((s) => s.azuriteCpuMs ?? NaN)),
  };
}

/** Azurite's CPU time, or a dash where it was not measured. */
const azuriteCell = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '–');

/** One copy worker run, measured with Azurite's CPU, its copies deleted afterwards. */
const measure = (b: Bench, args: CopyArgs): Promise<Sample> => measureRun(b, args.destination, () => runWorker(args));

const mibPerSecond = (s: Sample) => s.bytes / MiB / (s.wallMs / 1000);

/** The bare SDK at each concurrency of SDK_SWEEP, and the fastest (the same bytes each time, so wall time decides). */
async function sweepSdk(b: Bench, kind: CopyKind, via: (url: string) => string = (url) => url): Promise<{ samples: Sample[]; best: number }> {
  const samples: Sample[] = [];
  for (const c of SDK_SWEEP) {
    const args = copyArgs(b, 'sdk', kind, `sweep-${kind}-${c}-${samples.length}-${Date.now()}`, c);
    samples.push(await measure(b, { ...args, destination: via(args.destination) }));
  }
  console.log(`  ${sweepText(samples)}`);
  return { samples, best: samples.reduce((a, s) => (s.wallMs < a.wallMs ? s : a)).concurrency };
}

const sweepText = (samples: Sample[]) => `SDK sweep (wall ms): ${samples.map((s) => `${s.concurrency} → ${s.wallMs.toFixed(0)}`).join(', ')}.`;

/** Sweep the SDK's concurrency, then alternate blobferry and the SDK at its best (A B, B A, …), RUNS times each. */
async function versusCeiling(kind: 'big' | 'small', unitName: string, unit: (s: Sample) => number): Promise<{ samples: Sample[]; table: string }> {
  const b = await azurite();
  let run = 0;
  const { samples: sweep, best } = await sweepSdk(b, kind);
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const runOurs = async () => ours.push(await measure(b, copyArgs(b, 'blobferry', kind, `bf-${kind}-${run++}`, BLOBFERRY_CONCURRENCY)));
    const runTheirs = async () => theirs.push(await measure(b, copyArgs(b, 'sdk', kind, `sdk-${kind}-${run++}`, best)));
    for (const step of i % 2 === 0 ? [runOurs, runTheirs] : [runTheirs, runOurs]) await step();
    console.log(`  run ${i + 1}: blobferry ${ours[i].wallMs.toFixed(0)} ms, sdk ${theirs[i].wallMs.toFixed(0)} ms`);
  }
  const a = stats(ours, unit);
  const c = stats(theirs, unit);
  const ratios = ours.map((o, i) => unit(o) / unit(theirs[i]));
  const row = (tool: string, st: ReturnType<typeof stats>) => `| ${tool} | ${st.median.toFixed(0)} | ${st.min.toFixed(0)} – ${st.max.toFixed(0)} | ${st.rate.toFixed(1)} ${unitName} | ${st.cpu.toFixed(0)} | ${azuriteCell(st.azuriteCpu)} | ${st.rss.toFixed(0)} |`;
  const table = [
    `| tool | wall ms (median) | wall ms (min – max) | throughput (median) | CPU ms | Azurite CPU ms | peak RSS MiB |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(`blobferry (concurrency ${BLOBFERRY_CONCURRENCY})`, a),
    row(`bare SDK (best concurrency ${best})`, c),
    '',
    `blobferry / ceiling throughput, per pair: ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; median **${(median(ratios) * 100).toFixed(0)}%**. ${sweepText(sweep)}`,
    phaseText(ours) ?? '',
  ].join('\n');
  return { samples: [...sweep, ...ours, ...theirs], table };
}

async function copyBig() {
  const mib = Number(process.env.BENCH_BIG_MIB ?? 1024);
  await seed(await azurite(), { bigBytes: mib * MiB });
  return versusCeiling('big', 'MiB/s', mibPerSecond);
}

async function copySmall() {
  const count = Number(process.env.BENCH_SMALL_COUNT ?? 10_000);
  await seed(await azurite(), { smallCount: count, smallBytes: 4096 });
  return versusCeiling('small', 'blobs/s', (s) => s.blobs / (s.wallMs / 1000));
}

async function relay() {
  const b = await azurite();
  const mib = Number(process.env.BENCH_RELAY_MIB ?? 1024);
  await seed(b, {});
  const file = path.join(b.dir, 'relay-source.bin');
  writeRandomFile(file, mib * MiB);
  const server = await serveFile(file);
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const base = copyArgs(b, 'blobferry', 'big', `relay-${i}`, BLOBFERRY_CONCURRENCY);
      ours.push(await measure(b, { ...base, source: server.url, strategy: 'relay' }));
      theirs.push({ ...(await measure(b, { ...base, tool: 'stream', httpSource: true, source: server.url, destination: base.destination.replace(`relay-${i}`, `relay-stream-${i}`) })), tool: 'stream' });
      console.log(`  run ${i + 1}: blobferry ${ours[i].wallMs.toFixed(0)} ms, peak RSS ${ours[i].peakRssMiB.toFixed(0)} MiB; stream-through ${theirs[i].wallMs.toFixed(0)} ms, ${theirs[i].peakRssMiB.toFixed(0)} MiB`);
    }
  } finally {
    await server.close();
    fs.rmSync(file, { force: true });
  }
  const row = (tool: string, runs: Sample[]) => {
    const st = stats(runs, mibPerSecond);
    return `| ${tool} | ${mib} MiB | ${st.median.toFixed(0)} | ${st.min.toFixed(0)} – ${st.max.toFixed(0)} | ${st.rate.toFixed(1)} MiB/s | ${st.cpu.toFixed(0)} | ${azuriteCell(st.azuriteCpu)} | ${st.rss.toFixed(0)}, ${Math.max(...runs.map((s) => s.peakRssMiB)).toFixed(0)} |`;
  };
  const samples = [...ours, ...theirs];
  const table = [
    '| tool | object | wall ms (median) | wall ms (min – max) | throughput | CPU ms | Azurite CPU ms | peak RSS MiB (median, max) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(`blobferry relay (concurrency ${BLOBFERRY_CONCURRENCY})`, ours),
    row('stream-through script (GET, uploadStream 8 MiB × 16)', theirs),
    '',
    `blobferry relay at concurrency ${BLOBFERRY_CONCURRENCY}, 8 MiB blocks: ${relayParallel(BLOBFERRY_CONCURRENCY, 8 * MiB)} blocks in flight (the relay's ${RELAY_BUFFER_BUDGET / MiB} MiB budget).`,
  ].join('\n');
  return { samples, table };
}

/** 1 GiB within one account: Copy Blob (the service copies) against staging every block. */
async function serverCopy() {
  const b = await azurite();
  const mib = Number(process.env.BENCH_BIG_MIB ?? 1024);
  await seed(b, { bigBytes: mib * MiB });
  const samples: Sample[] = [];
  const byStrategy: Record<string, Sample[]> = { 'server-copy': [], 'block-copy': [] };
  for (let i = 0; i < RUNS; i++) {
    for (const strategy of Object.keys(byStrategy)) {
      const base = copyArgs(b, 'blobferry', 'big', `same-${strategy}-${i}`, BLOBFERRY_CONCURRENCY);
      const sample = await runWorker({ ...base, destination: `${b.azurite.blobEndpoint(DEV_ACCOUNT.name)}/bench-source/same-${strategy}-${i}/one.bin`, strategy });
      byStrategy[strategy].push({ ...sample, tool: strategy });
      samples.push({ ...sample, tool: strategy });
    }
    console.log(`  run ${i + 1}: server-copy ${byStrategy['server-copy'][i].wallMs.toFixed(0)} ms, block-copy ${byStrategy['block-copy'][i].wallMs.toFixed(0)} ms`);
  }
  const row = (name: string) => {
    const st = stats(byStrategy[name], mibPerSecond);
    return `| ${name} | ${st.median.toFixed(0)} | ${st.min.toFixed(0)} – ${st.max.toFixed(0)} | ${st.rate.toFixed(0)} MiB/s | ${st.cpu.toFixed(0)} | ${st.rss.toFixed(0)} |`;
  };
  const speedups = byStrategy['block-copy'].map((s, i) => s.wallMs / byStrategy['server-copy'][i].wallMs);
  const table = [
    `| strategy | wall ms (median) | wall ms (min – max) | throughput | CPU ms | peak RSS MiB |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('server-copy'),
    row('block-copy'),
    '',
    `${mib} MiB, one account, concurrency ${BLOBFERRY_CONCURRENCY}. block-copy / server-copy wall time, per pair: ${speedups.map((x) => `${x.toFixed(1)}×`).join(', ')}; median **${median(speedups).toFixed(1)}×**.`,
  ].join('\n');
  return { samples, table };
}

interface PeerScenario {
  marker: string;
  title: string;
  kind: 'big' | 'medium' | 'mixed' | 'small';
  sameAccount?: boolean;
  tools: Array<'blobferry' | 'azcopy' | 'sdk' | 'stream'>;
}

const AZCOPY_MEDIUM_BLOCK_MIB = 4;

const PEER_SCENARIOS: PeerScenario[] = [
  { marker: 'peers-a', title: '1 GiB across accounts', kind: 'big', tools: ['blobferry', 'azcopy', 'sdk', 'stream'] },
  { marker: 'peers-b', title: '200 × 8 MiB across accounts', kind: 'medium', tools: ['blobferry', 'azcopy', 'sdk', 'stream'] },
  { marker: 'peers-d', title: '1 GiB within one account', kind: 'big', sameAccount: true, tools: ['blobferry', 'azcopy'] },
];

/** blobferry against AzCopy, the bare SDK and a stream-through script on the same Azurite, tool after tool, RUNS rounds. */
const peers = () => runPeers(PEER_SCENARIOS, {});

/** (b) alone, blobferry beside the bare SDK: the fixed cost of a copy (start, inspection, first listing) against the ceiling. */
const startup = () => runPeers([{ ...PEER_SCENARIOS[1], marker: 'startup-b', tools: ['blobferry', 'sdk'] }], {});

/** (a) again, on the Azurite variant without its CRC-64 loop (bench/azuriteNoCrc64.ts): what would move the goal against AzCopy. */
const peersNoCrc64 = () => runPeers([{ ...PEER_SCENARIOS[0], marker: 'peers-a-no-crc64' }], { noCrc64: true });

/**
 * Azure's round trips, on loopback: a proxy in front of Azurite adds BENCH_LATENCIES (0, 20 and
 * 60 ms) to every request the tools send to the destination (the sources stay direct: the
 * service reads them itself). (a), (b) and mixed sizes (BENCH_MIXED_COUNT blobs, 1 KiB–64 MiB on
 * a log scale): blobferry, AzCopy (not on mixed sizes: it sends blobs up to a block with Put Blob
 * From URL, which Azurite lacks) and the bare SDK, all through the same proxy.
 */
async function latency() {
  const sections: Record<string, string> = {};
  const samples: unknown[] = [];
  for (const ms of LATENCIES) {
    const result = await runPeers(LATENCY_SCENARIOS.map((s) => ({ ...s, marker: `${s.marker}-${ms}`, title: `${s.title}, +${ms} ms per request` })), { latencyMs: ms });
    samples.push(...result.samples.map((x) => ({ ...x, latencyMs: ms })));
    Object.assign(sections, result.sections);
    await bench?.close();
    bench = undefined;
  }
  return { samples, table: '', sections };
}

const ALL_LATENCY_SCENARIOS: PeerScenario[] = [
  { marker: 'latency-a', title: '1 GiB across accounts', kind: 'big', tools: ['blobferry', 'azcopy', 'sdk'] },
  { marker: 'latency-b', title: '200 × 8 MiB across accounts', kind: 'medium', tools: ['blobferry', 'azcopy', 'sdk'] },
  { marker: 'latency-mixed', title: 'mixed sizes across accounts', kind: 'mixed', tools: ['blobferry', 'sdk'] },
  // AzCopy sends blobs of up to one block with Put Blob From URL, which Azurite lacks.
  { marker: 'latency-c', title: '10,000 × 4 KiB across accounts', kind: 'small', tools: ['blobferry', 'sdk'] },
];
const LATENCY_SCENARIOS = ALL_LATENCY_SCENARIOS.filter((s) => !process.env.BENCH_LATENCY_ONLY || process.env.BENCH_LATENCY_ONLY.split(',').includes(s.marker));
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,20,60').split(',').map(Number);
const LATENCY_MARKERS = LATENCIES.flatMap((ms) => LATENCY_SCENARIOS.map((s) => `${s.marker}-${ms}`));

async function runPeers(scenarios: PeerScenario[], variant: { noCrc64?: boolean; latencyMs?: number }) {
  const b = await azurite(variant);
  const exe = azcopyBinary();
  const count = (kind: PeerScenario['kind'], env: string, fallback: number) => (scenarios.some((s) => s.kind === kind) ? Number(process.env[env] ?? fallback) : 0);
  await seed(b, { bigBytes: scenarios.some((s) => s.kind === 'big') ? Number(process.env.BENCH_BIG_MIB ?? 1024) * MiB : 0, mediumCount: count('medium', 'BENCH_MEDIUM_COUNT', 200), mixedCount: count('mixed', 'BENCH_MIXED_COUNT', 1000), smallCount: count('small', 'BENCH_SMALL_COUNT', 10_000), smallBytes: 4096 });
  // The tools' requests to the destination through the latency proxy. blobferry is then told the
  // strategy its table picks across accounts when the service reads the source (sync-copy, Copy
  // Blob From URL, up to 256 MiB; block-copy above): through the proxy it would relay instead, the
  // proxy's origin being another Azurite instance's.
  const proxy = variant.latencyMs !== undefined ? await startLatencyProxy(b, variant.latencyMs) : undefined;
  const via = (url: string) => proxy?.via(url) ?? url;
  const samples: Sample[] = [];
  const tables: Record<string, string> = {};
  let run = 0;
  try {
  for (const scenario of scenarios) {
    console.log(`== peers: ${scenario.title}`);
    const byTool: Record<string, Sample[]> = {};
    // The bare SDK at its best concurrency for this scenario: a sweep first.
    let sdkConcurrency = 0;
    let sweep = '';
    if (scenario.tools.includes('sdk')) {
      const swept = await sweepSdk(b, scenario.kind, via);
      samples.push(...swept.samples);
      sdkConcurrency = swept.best;
      sweep = sweepText(swept.samples);
    }
    for (let i = 0; i < RUNS; i++) {
      // A B C D, then B C D A, …: no tool always runs first on a fresh Azurite.
      for (const tool of scenario.tools.map((_, k, all) => all[(k + i) % all.length])) {
        const id = `peer-${scenario.marker}-${tool}-${run++}`;
        const base = copyArgs(b, tool === 'azcopy' ? 'sdk' : tool, scenario.kind, id, tool === 'sdk' ? sdkConcurrency : BLOBFERRY_CONCURRENCY);
        const devEndpoint = b.azurite.blobEndpoint(DEV_ACCOUNT.name);
        const destination = via(scenario.sameAccount ? `${devEndpoint}/bench-source/${id}/one.bin${tool === 'azcopy' ? `?${sas(DEV_ACCOUNT, 'bench-source', undefined, 'racwdl')}` : ''}` : base.destination);
        let sample: Sample;
        if (tool === 'azcopy') {
          if ('missing' in exe) {
            console.log(`  azcopy skipped: ${exe.missing}`);
            continue;
          }
          // 8 MiB blobs fit AzCopy's default block: it would send them with Put Blob From URL, which Azurite fails.
          sample = await measureRun(b, destination, () => runAzcopy(exe.path, { source: base.source, destination, recursive: base.recursive, blockSizeMiB: scenario.kind === 'medium' ? AZCOPY_MEDIUM_BLOCK_MIB : undefined, dir: path.join(b.dir, 'azcopy') }));
        } else {
          sample = { ...(await measure(b, { ...base, destination, tool, ...(proxy && tool === 'blobferry' ? { strategy: scenario.kind === 'big' ? 'block-copy' : 'sync-copy' } : {}) })), tool };
        }
        (byTool[tool] ??= []).push(sample);
        samples.push(sample);
        console.log(`  run ${i + 1} ${tool}: ${sample.wallMs.toFixed(0)} ms (process ${(sample.processMs ?? sample.wallMs).toFixed(0)} ms), ${mibPerSecond(sample).toFixed(1)} MiB/s, Azurite CPU ${sample.azuriteCpuMs?.toFixed(0)} ms, peak RSS ${sample.peakRssMiB.toFixed(0)} MiB`);
      }
    }
    tables[scenario.marker] = [peerTable(scenario, byTool, sdkConcurrency, 'missing' in exe ? exe.missing : undefined), sweep].filter(Boolean).join('\n');
  }
  } finally {
    await proxy?.close();
  }
  return { samples, table: '', sections: tables };
}

function peerTable(scenario: PeerScenario, byTool: Record<string, Sample[]>, sdkConcurrency: number, azcopyMissing?: string): string {
  const names: Record<string, string> = { blobferry: `blobferry (concurrency ${BLOBFERRY_CONCURRENCY})`, azcopy: `AzCopy 10.32.2${scenario.kind === 'medium' ? ` (--block-size-mb ${AZCOPY_MEDIUM_BLOCK_MIB})` : ''}`, sdk: `bare SDK (best concurrency ${sdkConcurrency})`, stream: 'stream-through script (download, upload)' };
  const rows = scenario.tools.map((tool) => {
    const runs = byTool[tool];
    if (!runs?.length) return `| ${names[tool]} | ${tool === 'azcopy' && azcopyMissing ? `not run: ${azcopyMissing}` : 'no runs'} | | | | | | |`;
    const st = stats(runs, mibPerSecond);
    return `| ${names[tool]} | ${st.median.toFixed(0)} | ${st.min.toFixed(0)} – ${st.max.toFixed(0)} | ${st.process.toFixed(0)} | ${st.rate.toFixed(1)} MiB/s | ${st.cpu.toFixed(0)} | ${azuriteCell(st.azuriteCpu)} | ${st.rss.toFixed(0)} |`;
  });
  const ours = byTool.blobferry ?? [];
  const pairs = (peer: string, f: (o: Sample, p: Sample) => number) => (byTool[peer] ?? []).map((p, i) => (ours[i] ? f(ours[i], p) : NaN)).filter(Number.isFinite);
  const lines: string[] = [];
  // Against AzCopy, whole processes: AzCopy can only be timed from outside, so blobferry is too (its start-up included).
  const vsAzcopy = pairs('azcopy', (o, p) => (o.processMs ?? o.wallMs) / (p.processMs ?? p.wallMs));
  if (vsAzcopy.length) lines.push(`blobferry / AzCopy whole-process wall time, per pair: ${vsAzcopy.map((r) => r.toFixed(3)).join(', ')}; median **${median(vsAzcopy).toFixed(3)}** (AzCopy is ${(1 / median(vsAzcopy)).toFixed(1)}× blobferry's time).`);
  const phases = phaseText(ours);
  if (phases) lines.push(phases);
  const vsSdk = pairs('sdk', (o, p) => mibPerSecond(o) / mibPerSecond(p));
  if (vsSdk.length) lines.push(`blobferry / bare SDK throughput, per pair: ${vsSdk.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; median **${(median(vsSdk) * 100).toFixed(0)}%**.`);
  return [
    `| tool | wall ms (median) | wall ms (min – max) | whole process ms (median) | throughput (median) | CPU ms | Azurite CPU ms | peak RSS MiB |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...lines,
  ].join('\n');
}

/** blobferry's wall time by phase (medians), from its samples. */
function phaseText(samples: Sample[]): string | undefined {
  const runs = samples.filter((s) => s.phases);
  if (runs.length === 0) return undefined;
  const of = (name: keyof NonNullable<Sample['phases']>) => median(runs.map((s) => s.phases![name] ?? NaN));
  const parts = [`starting the in-process host ${of('hostStart').toFixed(0)}`, `inspecting ${of('inspect').toFixed(0)}`, `copying ${of('copy').toFixed(0)}`];
  return `blobferry's wall time by phase (ms, medians): ${parts.join(', ')}; the wall time also includes stopping the host, and the whole process Node's start and loading modules.`;
}

interface S3Scenario {
  marker: string;
  title: string;
  source: string;
  recursive: boolean;
}

const S3_BUCKET = 'bench-s3';
const S3_SWEEP = [4, 8, 16, 32, 64];

/**
 * S3 -> Azure Blob on s3rver and Azurite: blobferry (relay: Azurite reads no external URL), rclone
 * (its s3 and azureblob backends) and a stream-through script (@aws-sdk/client-s3 into
 * @azure/storage-blob) at its best concurrency, in rotating order, every tool in its own process.
 */
async function s3Peers(latencyMs?: number) {
  const b = await azurite();
  const s3 = await startTestS3();
  // Under latency, every tool's requests to Blob Storage go through the proxy (S3 stays direct).
  const proxy = latencyMs !== undefined ? await startLatencyProxy(b, latencyMs) : undefined;
  const via = (url: string) => proxy?.via(url) ?? url;
  try {
    Object.assign(process.env, s3.env);
    const bigMiB = Number(process.env.BENCH_S3_BIG_MIB ?? 1024);
    const smallCount = Number(process.env.BENCH_S3_SMALL_COUNT ?? 2000);
    await seed(b, {});
    await seedS3(s3, b, bigMiB, smallCount);
    const rclone = rcloneBinary();
    // A size or count of 0 leaves that scenario out.
    const scenarios: S3Scenario[] = [
      { marker: 's3-a', title: `one ${bigMiB} MiB object`, source: `${S3_BUCKET}/big/one.bin`, recursive: false },
      { marker: 's3-b', title: `${smallCount.toLocaleString('en')} × 64 KiB objects`, source: `${S3_BUCKET}/small/`, recursive: true },
    ]
      .filter((x) => (x.recursive ? smallCount : bigMiB) > 0)
      .map((x) => (proxy ? { ...x, marker: `${x.marker}-latency`, title: `${x.title}, +${latencyMs} ms per Blob request` } : x));
    const samples: Sample[] = [];
    const sections: Record<string, string> = {};
    let run = 0;
    const destination = (id: string, recursive: boolean) => via(runDestination(b, id, recursive ? '' : 'one.bin'));
    // Every run with the CPU s3rver spent on it, beside Azurite's.
    const withS3rverCpu = async (measureOne: () => Promise<Sample>): Promise<Sample> => {
      const before = processCpuMs(s3.pid);
      const sample = await measureOne();
      return { ...sample, sourceCpuMs: processCpuMs(s3.pid) - before };
    };
    for (const scenario of scenarios) {
      console.log(`== s3: ${scenario.title}`);
      const worker = (tool: 'blobferry' | 's3-stream', id: string, concurrency: number) =>
        withS3rverCpu(() => measure(b, { tool, concurrency, source: `s3://${scenario.source}`, destination: destination(id, scenario.recursive), recursive: scenario.recursive, destinationKey: { account: b.second.name, key: b.second.key } }));
      const sweep: Sample[] = [];
      for (const c of S3_SWEEP) sweep.push(await worker('s3-stream', `s3-sweep-${scenario.marker}-${c}`, c));
      const best = sweep.reduce((a, x) => (x.wallMs < a.wallMs ? x : a)).concurrency;
      console.log(`  script sweep (wall ms): ${sweep.map((x) => `${x.concurrency} → ${x.wallMs.toFixed(0)}`).join(', ')}`);
      samples.push(...sweep);
      const byTool: Record<string, Sample[]> = {};
      const tools = ['blobferry', 'rclone', 'script'];
      for (let i = 0; i < RUNS; i++) {
        for (const tool of tools.map((_, k, all) => all[(k + i) % all.length])) {
          const id = `s3-${scenario.marker}-${tool}-${run++}`;
          let sample: Sample;
          if (tool === 'rclone') {
            if ('missing' in rclone) continue;
            const container = runContainer(id);
            sample = await withS3rverCpu(() => measureRun(b, destination(id, scenario.recursive), async () => ({
              ...(await runRclone(rclone.path, { s3Endpoint: s3.endpoint, s3Path: scenario.source, containerSasUrl: via(`${b.azurite.blobEndpoint(b.second.name)}/${container}?${sas(b.second, container, undefined, 'racwdl')}`), container, destinationPath: scenario.recursive ? '' : 'one.bin', single: !scenario.recursive, transfers: BLOBFERRY_CONCURRENCY })),
              bytes: scenario.recursive ? smallCount * 64 * 1024 : bigMiB * MiB,
              blobs: scenario.recursive ? smallCount : 1,
            })));
          } else {
            sample = { ...(await worker(tool === 'script' ? 's3-stream' : 'blobferry', id, tool === 'script' ? best : BLOBFERRY_CONCURRENCY)), tool };
          }
          (byTool[tool] ??= []).push(sample);
          samples.push(sample);
          console.log(`  run ${i + 1} ${tool}: process ${(sample.processMs ?? sample.wallMs).toFixed(0)} ms, ${mibPerSecond(sample).toFixed(1)} MiB/s, Azurite CPU ${sample.azuriteCpuMs?.toFixed(0)} ms, s3rver CPU ${sample.sourceCpuMs?.toFixed(0)} ms, peak RSS ${sample.peakRssMiB.toFixed(0)} MiB`);
        }
      }
      sections[scenario.marker] = s3Table(byTool, best, sweep, 'missing' in rclone ? rclone.missing : undefined);
    }
    return { samples, table: '', sections };
  } finally {
    await proxy?.close();
    await s3.stop();
  }
}

async function seedS3(s3: TestS3, b: Bench, bigMiB: number, smallCount: number): Promise<void> {
  await s3.createBucket(S3_BUCKET);
  if (bigMiB > 0) {
    const file = path.join(b.dir, 'big-s3.bin');
    writeRandomFile(file, bigMiB * MiB);
    await s3.client.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: 'big/one.bin', Body: fs.createReadStream(file), ContentLength: bigMiB * MiB }));
    fs.rmSync(file);
  }
  await inParallel(smallCount, 16, (i) => s3.put(S3_BUCKET, `small/${String(i % 20).padStart(2, '0')}/object-${String(i).padStart(5, '0')}.bin`, randomBytes(64 * 1024)));
}

function s3Table(byTool: Record<string, Sample[]>, scriptConcurrency: number, sweep: Sample[], rcloneMissing?: string): string {
  const names: Record<string, string> = { blobferry: `blobferry (concurrency ${BLOBFERRY_CONCURRENCY})`, rclone: `rclone 1.60 (--transfers ${BLOBFERRY_CONCURRENCY})`, script: `stream-through script (best concurrency ${scriptConcurrency})` };
  const rows = Object.keys(names).map((tool) => {
    const runs = byTool[tool];
    if (!runs?.length) return `| ${names[tool]} | ${tool === 'rclone' && rcloneMissing ? `not run: ${rcloneMissing}` : 'no runs'} | | | | | | | |`;
    const st = stats(runs, mibPerSecond);
    const s3rverCpu = median(runs.map((r) => r.sourceCpuMs ?? NaN));
    return `| ${names[tool]} | ${st.process.toFixed(0)} | ${Math.min(...runs.map((r) => r.processMs ?? r.wallMs)).toFixed(0)} – ${Math.max(...runs.map((r) => r.processMs ?? r.wallMs)).toFixed(0)} | ${st.median.toFixed(0)} | ${st.rate.toFixed(1)} MiB/s | ${st.cpu.toFixed(0)} | ${azuriteCell(st.azuriteCpu)} | ${azuriteCell(s3rverCpu)} | ${st.rss.toFixed(0)} |`;
  });
  const ours = byTool.blobferry ?? [];
  const pairs = (peer: string, f: (o: Sample, p: Sample) => number) => (byTool[peer] ?? []).map((p, i) => (ours[i] ? f(ours[i], p) : NaN)).filter(Number.isFinite);
  const vsRclone = pairs('rclone', (o, p) => (o.processMs ?? o.wallMs) / (p.processMs ?? p.wallMs));
  const vsScript = pairs('script', (o, p) => mibPerSecond(o) / mibPerSecond(p));
  return [
    '| tool | whole process ms (median) | whole process ms (min – max) | copy wall ms (median) | throughput (median) | CPU ms | Azurite CPU ms | s3rver CPU ms | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...(vsRclone.length ? [`blobferry / rclone whole-process wall time, per pair: ${vsRclone.map((r) => r.toFixed(3)).join(', ')}; median **${median(vsRclone).toFixed(3)}**.`] : []),
    ...(vsScript.length ? [`blobferry / script throughput (each tool's own copy time), per pair: ${vsScript.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; median **${(median(vsScript) * 100).toFixed(0)}%**.`] : []),
    phaseText(ours) ?? '',
    `Script sweep (wall ms): ${sweep.map((x) => `${x.concurrency} → ${x.wallMs.toFixed(0)}`).join(', ')}.`,
  ].join('\n');
}

/**
 * (c) small blobs: AzCopy sends each with Put Blob From URL, which Azurite does not implement.
 * Rather than leave it out silently, run it on a sample and record how it fails.
 */
async function azcopySmall() {
  const b = await azurite();
  const exe = azcopyBinary();
  if ('missing' in exe) return { samples: [], table: `AzCopy not run: ${exe.missing}` };
  const count = 100;
  const src = new BlobServiceClient(b.azurite.blobEndpoint(DEV_ACCOUNT.name), new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key)).getContainerClient('bench-source');
  await src.createIfNotExists();
  await seed(b, {});
  await Promise.all(Array.from({ length: count }, (_, i) => src.getBlockBlobClient(`azcopy-small/file-${i}.bin`).upload(Buffer.alloc(4096, i), 4096)));
  const base = copyArgs(b, 'sdk', 'small', 'azcopy-small', 1);
  let outcome: string;
  try {
    const sample = await runAzcopy(exe.path, { source: base.source.replace('/small/?', '/azcopy-small/?'), destination: base.destination, recursive: true, dir: path.join(b.dir, 'azcopy') });
    outcome = `completed ${sample.blobs} of ${count} in ${sample.wallMs.toFixed(0)} ms`;
  } catch (err) {
    outcome = (err as Error).message.split('\n')[0].trim();
    // What the service answered, from AzCopy's own log.
    const logs = path.join(b.dir, 'azcopy', 'logs');
    // (A 403 on Get Container Properties comes first and is expected: a container SAS cannot read them.)
    const said = fs.existsSync(logs) ? /RESPONSE Status: 5\d\d[^\n]*/.exec(fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('\n')) : null;
    if (said) outcome += ` Put Blob From URL answered: ${said[0].replace('RESPONSE Status: ', '').trim()}.`;
  }
  console.log(`  azcopy on ${count} × 4 KiB: ${outcome}`);
  return {
    samples: [{ tool: 'azcopy', count, outcome }],
    table: `| tool | ${count} blobs of 4 KiB across accounts |\n| --- | --- |\n| AzCopy 10.32.2 | **not supported on Azurite**: ${outcome} (AzCopy sends blobs of up to one block with Put Blob From URL, which Azurite does not implement) |`,
  };
}

/**
 * Why Put Block From URL is slow on Azurite: the same 1 GiB staged by the bare SDK with and
 * without x-ms-source-content-md5 per range. Without it, Azurite computes a CRC-64 of every
 * staged byte in JavaScript (what the real service returns as x-ms-content-crc64); with it, only
 * the MD5. No copy tool can send a range's MD5 without reading the range first: the ranges are
 * read here beforehand, outside the measurement, only to show the emulator's cost.
 */
async function azuriteCrc() {
  const b = await azurite();
  const mib = Number(process.env.BENCH_BIG_MIB ?? 1024);
  await seed(b, { bigBytes: mib * MiB });
  const base = copyArgs(b, 'sdk', 'big', 'crc', 8);
  const source = new BlockBlobClient(base.source);
  const md5s: string[] = [];
  for (let offset = 0; offset < mib * MiB; offset += 8 * MiB) md5s.push(createHash('md5').update(await source.downloadToBuffer(offset, Math.min(8 * MiB, mib * MiB - offset))).digest('base64'));
  const modes = [
    { name: 'without source MD5 (as every copy tool)', md5s: undefined },
    { name: 'with each range\'s source MD5', md5s },
  ];
  const byMode: Record<string, Sample[]> = Object.fromEntries(modes.map((m) => [m.name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [at, mode] of modes.entries()) byMode[mode.name].push(await measure(b, { ...copyArgs(b, 'sdk', 'big', `crc-${i}-${at}`, 8), sourceRangeMd5s: mode.md5s }));
    console.log(`  run ${i + 1}: ${Object.entries(byMode).map(([mode, runs]) => `${mode}: ${runs[i].wallMs.toFixed(0)} ms, Azurite CPU ${runs[i].azuriteCpuMs?.toFixed(0)} ms`).join('; ')}`);
  }
  const rows = Object.entries(byMode).map(([mode, runs]) => {
    const st = stats(runs, mibPerSecond);
    return `| Put Block From URL, ${mode} | ${st.median.toFixed(0)} | ${st.min.toFixed(0)} – ${st.max.toFixed(0)} | ${st.rate.toFixed(1)} MiB/s | ${azuriteCell(st.azuriteCpu)} |`;
  });
  return {
    samples: Object.values(byMode).flat(),
    table: [`| ${mib} MiB, bare SDK, 8 MiB ranges, 8 at a time | wall ms (median) | wall ms (min – max) | throughput | Azurite CPU ms |`, '| --- | ---: | ---: | ---: | ---: |', ...rows].join('\n'),
  };
}

interface PollSample {
  polls: number;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
  historyEvents: number;
}

/** A server copy pending for 0 and for 20 polls (fault proxy), alternating: what following it costs. */
async function polling() {
  const b = await azurite();
  await seed(b, {});
  const src = b.azurite.blobEndpoint(DEV_ACCOUNT.name);
  const blob = new BlobServiceClient(src, new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key)).getContainerClient('bench-source').getBlockBlobClient('poll/small.bin');
  await blob.upload(Buffer.alloc(64 * 1024, 1), 64 * 1024);
  const args = (polls: number, run: number) => ({ polls, blobPort: b.azurite.blobPort, accounts: b.azurite.accounts, source: `${src}/bench-source/poll/small.bin?${sas(DEV_ACCOUNT, 'bench-source', 'poll/small.bin', 'r')}`, destinationAccount: b.second.name, destination: `bench-target/poll-${polls}-${run}.bin` });
  const byPolls: Record<number, PollSample[]> = { 0: [], 20: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const polls of [0, 20]) byPolls[polls].push(await runJsonWorker<PollSample>('pollWorker.js', args(polls, i)));
    console.log(`  run ${i + 1}: 0 polls ${byPolls[0][i].cpuMs.toFixed(0)} CPU ms, 20 polls ${byPolls[20][i].cpuMs.toFixed(0)} CPU ms`);
  }
  const row = (polls: number) => {
    const runs = byPolls[polls];
    return `| ${polls} | ${median(runs.map((r) => r.wallMs)).toFixed(0)} | ${median(runs.map((r) => r.cpuMs)).toFixed(0)} | ${median(runs.map((r) => r.historyEvents))} | ${median(runs.map((r) => r.peakRssMiB)).toFixed(0)} |`;
  };
  const perPoll = (median(byPolls[20].map((r) => r.cpuMs)) - median(byPolls[0].map((r) => r.cpuMs))) / 20;
  const eventsPerPoll = (median(byPolls[20].map((r) => r.historyEvents)) - median(byPolls[0].map((r) => r.historyEvents))) / 20;
  const table = [
    '| status polls | wall ms (median) | CPU ms, whole process (median) | history events of the copyBlob instance | peak RSS MiB |',
    '| ---: | ---: | ---: | ---: | ---: |',
    row(0),
    row(20),
    '',
    `Each poll costs **${perPoll.toFixed(1)} CPU ms** of the whole process (two orchestrator episodes with their replays, the durable timer, the status activity's Get Blob Properties, and the proxy answering it, which runs in the same process) and **${eventsPerPoll.toFixed(1)} history events** as the status API lists them (a timer fired, an activity completed; in DurableTask's own history that is 8 events with the scheduling and episode markers). The polls here are 20 ms apart (BLOBFERRY_POLL_INTERVAL); the default is 2 s growing ×1.5 to 60 s, so a copy pending for an hour costs about 70 polls.`,
  ].join('\n');
  return { samples: [...byPolls[0], ...byPolls[20]], table };
}

function sectionBounds(file: string, marker: string): { text: string; contentStart: number; contentEnd: number } {
  const text = fs.readFileSync(file, 'utf8');
  const begin = `<!-- bench:${marker}:begin -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(`<!-- bench:${marker}:end -->`);
  if (a < 0 || b < a) throw new Error(`${file} lacks the ${marker} markers`);
  return { text, contentStart: a + begin.length, contentEnd: b };
}

/** Fails before anything runs when a scenario's section is missing from the docs. */
const checkSection = (file: string, marker: string): void => void sectionBounds(file, marker);

function writeSection(file: string, marker: string, content: string): void {
  const { text, contentStart, contentEnd } = sectionBounds(file, marker);
  fs.writeFileSync(file, `${text.slice(0, contentStart)}\n${content}\n${text.slice(contentEnd)}`);
}

/**
 * A bad day, measured: every request to the destination through a loopback proxy that adds
 * latency and answers some writes 503 ServerBusy (each tool's own retries deal with them); the
 * sources stay direct, as the service reads them itself (Put Block From URL).
 */
async function faults() {
  const b = await azurite();
  const exe = azcopyBinary();
  const bigMiB = Number(process.env.BENCH_BIG_MIB ?? 1024);
  await seed(b, { bigBytes: bigMiB * MiB });
  const latency = BENCH_LATENCY_MS;
  const busyPercent = Number(process.env.BENCH_BUSY_PERCENT ?? 5);
  const { proxy, via } = await startLatencyProxy(b, latency);
  let busy = true;
  // Deterministic 5 %: every 20th write, not a coin flip, so every tool meets the same share.
  let writes = 0;
  const isBusy = () => busy && busyPercent > 0 && ++writes % Math.round(100 / busyPercent) === 0;
  // Before the proxy's own rule (the first rule that matches applies).
  proxy.rules.unshift({ match: (r) => r.method === 'PUT' && isBusy(), delayMs: latency, fault: { status: 503, code: 'ServerBusy', message: 'The server is busy.' } });
  const tools = ['blobferry', 'azcopy', 'blobferry-calm'] as const;
  const byTool: Record<string, Sample[]> = {};
  const samples: Sample[] = [];
  let run = 0;
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const tool of tools.map((_, k, all) => all[(k + i) % all.length])) {
        if (tool === 'azcopy' && 'missing' in exe) {
          console.log(`  azcopy skipped: ${exe.missing}`);
          continue;
        }
        busy = tool !== 'blobferry-calm';
        const id = `faults-${tool}-${run++}`;
        const base = copyArgs(b, tool === 'azcopy' ? 'sdk' : 'blobferry', 'big', id, BLOBFERRY_CONCURRENCY);
        // Sources stay direct (the service reads them itself); the tools' requests go through the proxy.
        const source = base.source;
        const destination = via(base.destination);
        const requestsBefore = proxy.requests.length;
        const sample =
          tool === 'azcopy' && !('missing' in exe)
            ? await measureRun(b, destination, () => runAzcopy(exe.path, { source, destination, recursive: false, dir: path.join(b.dir, 'azcopy') }))
            : // block-copy, as AzCopy: the table would relay, taking the proxy's origin for another instance.
              { ...(await measure(b, { ...base, source, destination, tool: 'blobferry', strategy: 'block-copy' })), tool };
        const seen = proxy.requests.slice(requestsBefore);
        const withCounts = { ...sample, tool, requests: seen.length, busyAnswers: seen.filter((r) => r.status === 503).length } as Sample & { requests: number; busyAnswers: number };
        (byTool[tool] ??= []).push(withCounts);
        samples.push(withCounts);
        console.log(`  run ${i + 1} ${tool}: ${sample.wallMs.toFixed(0)} ms, ${withCounts.requests} requests, ${withCounts.busyAnswers} answered 503`);
      }
    }
  } finally {
    await proxy.close();
  }
  const median = (tool: string) => {
    const walls = (byTool[tool] ?? []).map((s) => s.wallMs).sort((x, y) => x - y);
    return walls.length > 0 ? walls[Math.floor(walls.length / 2)] : NaN;
  };
  const counts = (tool: string) => {
    const s = (byTool[tool] ?? []) as Array<Sample & { requests: number; busyAnswers: number }>;
    return s.length > 0 ? `${Math.round(s.reduce((t, x) => t + x.requests, 0) / s.length)} requests, ${Math.round(s.reduce((t, x) => t + x.busyAnswers, 0) / s.length)} answered 503` : '—';
  };
  const table = [
    `${bigMiB} MiB across accounts; every request +${latency} ms; ${busyPercent} % of writes answered 503 ServerBusy (medians of ${RUNS} runs).`,
    '',
    '| tool | wall (median) | requests per run |',
    '| --- | ---: | --- |',
    ...tools.map((tool) => `| ${tool === 'blobferry-calm' ? 'blobferry, latency only (no 503s)' : tool === 'azcopy' ? 'AzCopy 10.32.2' : `blobferry (concurrency ${BLOBFERRY_CONCURRENCY})`} | ${Number.isFinite(median(tool)) ? `${(median(tool) / 1000).toFixed(2)} s` : '—'} | ${counts(tool)} |`),
    '',
    `blobferry / AzCopy: **${(median('blobferry') / median('azcopy')).toFixed(3)}** (goal ≤ 0.8); blobferry with 503s / without: **${(median('blobferry') / median('blobferry-calm')).toFixed(3)}** (goal ≤ 1.10).`,
  ].join('\n');
  return { samples, table };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenarios: Record<string, () => { samples: unknown[]; table: string; sections?: Record<string, string> } | Promise<{ samples: unknown[]; table: string; sections?: Record<string, string> }>> = { fanout, 'copy-big': copyBig, 'copy-small': copySmall, relay, 'server-copy': serverCopy, polling, peers, 'peers-no-crc64': peersNoCrc64, 'azcopy-small': azcopySmall, 'azurite-crc': azuriteCrc, s3: () => s3Peers(), 's3-latency': () => s3Peers(BENCH_LATENCY_MS), faults, latency, startup, local: async () => localPeers(await azurite()), 'local-latency': async () => localPeers(await azurite(), BENCH_LATENCY_MS), scale: async () => scale(await azurite(), BLOBFERRY_CONCURRENCY) };
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    runs: RUNS,
  };
  const machine = (scenario: string) => `${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${RUN_ONCE.has(scenario) ? 'each tool once' : `${RUNS} runs each`}`;
  const unknown = wanted.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`No scenario ${unknown.join(', ')}; there are: ${Object.keys(scenarios).join(', ')}.`);
  const chosen = Object.entries(scenarios).filter(([name]) => wanted.length === 0 || wanted.includes(name));
  const docs = path.join(ROOT, 'docs', 'benchmarks.md');
  const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}.json`);
  // A profiled run is slower: its figures go to the console only.
  const record = !process.env.BENCH_PROFILE;
  if (record) for (const [name] of chosen) for (const marker of MARKERS[name] ?? [name]) checkSection(docs, marker);
  for (const [name, run] of chosen) {
    console.log(`== ${name}`);
    const { samples, table, sections } = await run();
    // Each scenario on a fresh Azurite: it slows down as its index grows, which would make a
    // scenario's figures depend on which ran before it.
    await bench?.close();
    bench = undefined;
    if (!record) continue;
    // The raw samples first, then the tables made from them: the docs never run ahead of the data.
    // Scenarios run separately on the same day add to one file.
    const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
    fs.writeFileSync(out, JSON.stringify({ ...previous, ...results, [name]: samples }, null, 2) + '\n');
    for (const [marker, content] of Object.entries(sections ?? { [name]: table })) writeSection(docs, marker, `${content}\n\n_${machine(name)}._`);
  }
  console.log(record ? `results: ${path.relative(ROOT, out)}; tables: docs/benchmarks.md` : `BENCH_PROFILE: profiles in ${process.env.BENCH_PROFILE}; nothing recorded`);
}

/** Scenarios that run each tool once, whatever BENCH_RUNS says. */
const RUN_ONCE = new Set(['scale']);

/** The docs markers a scenario writes, where they are not its name. */
const MARKERS: Record<string, string[]> = { latency: LATENCY_MARKERS, peers: PEER_SCENARIOS.map((s) => s.marker), 'peers-no-crc64': ['peers-a-no-crc64'], startup: ['startup-b'], s3: ['s3-a', 's3-b'], 's3-latency': ['s3-a-latency', 's3-b-latency'] };

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => bench?.close());
