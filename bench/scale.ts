/**
 * `npm run bench scale`: one large prefix (BENCH_SCALE_COUNT blobs, default 100,000, 1 KiB to
 * 1 MiB on a log scale) copied across accounts twice, each in its own process as a user runs it:
 * `blobferry copy --recursive` (the CLI's in-process host), then `blobferry host` with
 * POST /api/copies. What it looks for is whether a copy slows down or grows as it goes: throughput
 * per 10% of the blobs, RSS, the durable state folder's size, the largest history and what
 * replaying histories cost (the engine's own counters, from the line the host logs at stop).
 * Then the control: the same copies straight from @azure/storage-blob, as many in flight as
 * blobferry keeps, so a slowdown both show is Azurite's. BENCH_SCALE_TOOLS (cli,host,sdk) picks.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEV_ACCOUNT } from '../src/local/azurite';
import type { EngineStats } from '../src/local/durable/engineStats';
import type { CopyView } from '../src/durable/copyStatus';
import { CLI } from '../test/support/cli';
import { exited, hostEnv, spawnProductHost } from '../test/support/productHost';
import { AnonymousCredential, BlockBlobClient, ContainerClient, newPipeline } from '@azure/storage-blob';
import type { CopyArgs } from './copyWorker';
import { copyArgs, inParallel, measureProcess, measureRun, memoryKiB, MiB, mixedSize, processCpuMs, seed, service, type Bench, type Sample } from './copyScenarios';

const COUNT = Number(process.env.BENCH_SCALE_COUNT ?? 100_000);
const MAX_BYTES = MiB;

/** One reading a second: blobs and bytes copied so far, the process's RSS, the state folder's size. */
interface Tick {
  atMs: number;
  blobs: number;
  bytes: number;
  rssMiB: number;
  stateBytes: number;
}

/**
 * When blobs copied reached each 10% of the total: time and bytes interpolated between the two
 * progress readings around it (several marks can fall between two readings); the state folder's
 * size as read at the later one.
 */
interface Mark {
  percent: number;
  atMs: number;
  blobs: number;
  bytes: number;
  stateBytes: number;
}

export interface ScaleRun extends Sample {
  /** blobferry's: its durable state folder and engine (the SDK control has neither). */
  state?: { maxBytes: number; endBytes: number };
  engine?: EngineStats;
  marks: Mark[];
  ticks: Tick[];
}

/** The blobs' names: a few levels of virtual folders, as a real tree has. */
const scaleName = (i: number) => `scale/${String(i % 20).padStart(2, '0')}/${Math.floor(i / 20) % 8}/file-${String(i).padStart(6, '0')}.bin`;

async function seedScale(b: Bench): Promise<void> {
  await seed(b, {}); // the containers
  const src = service(b, DEV_ACCOUNT).getContainerClient('bench-source');
  const t0 = Date.now();
  let done = 0;
  await inParallel(COUNT, 64, async (i) => {
    const body = randomBytes(mixedSize(i, MAX_BYTES));
    await src.getBlockBlobClient(scaleName(i)).upload(body, body.length);
    if (++done % Math.ceil(COUNT / 10) === 0 || done === COUNT) console.log(`  seeded ${done.toLocaleString('en')} of ${COUNT.toLocaleString('en')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
}

/** Sum of the sizes of the files under `dir`; files may come and go while it looks (compaction, the end report). */
function folderBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else {
      try {
        total += fs.statSync(full).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return total;
}

/** Follows one run: progress readings as they come, a tick a second, the 10% marks. */
class Recorder {
  readonly ticks: Tick[] = [];
  readonly marks: Mark[] = [];
  private latest = { atMs: 0, blobs: 0, bytes: 0 };
  private readonly t0 = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly total: number,
    private readonly stateDir: string,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** Ticks once a second from now on, reading `pid`'s memory (and the state folder) each time. */
  follow(pid: number): void {
    this.timer = setInterval(() => this.tick(pid), 1000);
  }

  progress(blobs: number, bytes: number): void {
    const before = this.latest;
    const now = { atMs: this.elapsedMs(), blobs, bytes };
    this.latest = now;
    const markBlobs = () => Math.ceil((this.total * (this.marks.length + 1)) / 10);
    if (this.marks.length === 10 || blobs < markBlobs()) return;
    const stateBytes = folderBytes(this.stateDir);
    for (let mark = markBlobs(); this.marks.length < 10 && blobs >= mark; mark = markBlobs()) {
      const share = (mark - before.blobs) / (blobs - before.blobs);
      this.marks.push({ percent: (this.marks.length + 1) * 10, atMs: before.atMs + share * (now.atMs - before.atMs), blobs: mark, bytes: before.bytes + share * (bytes - before.bytes), stateBytes });
    }
  }

  tick(pid: number): void {
    const memory = memoryKiB(pid);
    if (memory) this.ticks.push({ atMs: this.elapsedMs(), blobs: this.latest.blobs, bytes: this.latest.bytes, rssMiB: memory.rss / 1024, stateBytes: folderBytes(this.stateDir) });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  stateBytes(): { maxBytes: number; endBytes: number } {
    const sizes = [...this.ticks, ...this.marks].map((x) => x.stateBytes);
    return { maxBytes: Math.max(0, ...sizes), endBytes: this.ticks.at(-1)?.stateBytes ?? 0 };
  }
}

const ENGINE_LINE = /Durable engine: (\d+) episodes, (\d+) ms in orchestrator code \(wall time, replays included; (\d+) history events replayed\), largest history (\d+) events, (\d+) instance/;

/** The engine's counters, from the line the host logs when it stops. */
function engineStats(log: string, who: string): EngineStats {
  const m = ENGINE_LINE.exec(log);
  if (!m) throw new Error(`${who} logged no "Durable engine:" line at stop:\n${log.slice(-2000)}`);
  const [episodes, orchestratorMs, historyEventsReplayed, largestHistory, instances] = m.slice(1).map(Number);
  return { episodes, orchestratorMs, historyEventsReplayed, largestHistory, instances };
}

/** `blobferry copy --recursive --json-progress`, spawned as a user runs it; its state in a folder of its own. */
async function cliRun(b: Bench, { source, destination, concurrency }: CopyArgs): Promise<ScaleRun> {
  const stateDir = path.join(b.dir, 'scale-cli-state');
  const recorder = new Recorder(COUNT, stateDir);
  let pid = 0;
  // --log-level info: the in-process host then logs the engine's line when it stops.
  const args = [CLI, 'copy', source, destination, '--recursive', '--json-progress', '--concurrency', String(concurrency), '--state-dir', stateDir, '--log-level', 'info'];
  const ran = await measureProcess(process.execPath, args, hostEnv(), {
    spawned: (p) => recorder.follow((pid = p)),
    stdoutLine: (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as { event?: string; blobs: CopyView['blobs']; bytes: CopyView['bytes'] };
      recorder.progress(event.blobs.copied, event.bytes.copied);
      // The final report (no event): the host has stopped, the process is about to exit.
      if (!event.event) recorder.tick(pid);
    },
  }).finally(() => recorder.stop());
  const report = JSON.parse(ran.stdout.trim().split('\n').pop() ?? '{}') as { runtimeStatus?: string; blobs?: CopyView['blobs']; bytes?: CopyView['bytes'] };
  if (ran.code !== 0 || report.blobs?.copied !== COUNT) throw new Error(`blobferry copy exited ${ran.code}, ${report.runtimeStatus}, ${JSON.stringify(report.blobs)}:\n${ran.stderr.slice(-2000)}`);
  return {
    tool: 'cli',
    concurrency,
    wallMs: ran.wallMs,
    cpuMs: ran.cpuMs,
    peakRssMiB: ran.peakRssMiB,
    blobs: report.blobs.copied,
    bytes: report.bytes!.copied,
    state: recorder.stateBytes(),
    engine: engineStats(ran.stderr, 'blobferry copy'),
    marks: recorder.marks,
    ticks: recorder.ticks,
  };
}

/** `blobferry host` on the bench's Azurite (no embedded one), POST /api/copies, GET its status every second. */
async function hostRun(b: Bench, { source, destination, concurrency }: CopyArgs): Promise<ScaleRun> {
  const stateDir = path.join(b.dir, 'scale-host-state');
  const host = await spawnProductHost(['--no-azurite', '--state-dir', stateDir], { ...hostEnv(), AzureWebJobsStorage: b.azurite.connectionString() });
  const pid = host.child.pid!;
  try {
    const cpu0 = processCpuMs(pid);
    const recorder = new Recorder(COUNT, stateDir);
    const started = await fetch(`${host.url}/api/copies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source, destination, options: { recursive: true, concurrency } }) });
    if (started.status !== 202) throw new Error(`POST /api/copies answered ${started.status}: ${await started.text()}`);
    const { id } = (await started.json()) as { id: string };
    let view: CopyView;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      view = (await (await fetch(`${host.url}/api/copies/${id}`)).json()) as CopyView;
      recorder.progress(view.blobs.copied, view.bytes.copied);
      recorder.tick(pid);
      if (['Completed', 'Failed', 'Terminated'].includes(view.runtimeStatus)) break;
    }
    const wallMs = recorder.elapsedMs();
    // Read before stopping it: the peak, and the CPU it spent since the copy was posted.
    const peakRssMiB = (memoryKiB(pid)?.peak ?? 0) / 1024;
    const cpuMs = processCpuMs(pid) - cpu0;
    host.child.kill('SIGTERM');
    await exited(host.child);
    if (view.runtimeStatus !== 'Completed' || view.blobs.copied !== COUNT) throw new Error(`the host's copy ended ${view.runtimeStatus}, ${JSON.stringify(view.blobs)}: ${JSON.stringify(view.error ?? view.failures.slice(0, 3))}`);
    return { tool: 'host', concurrency, wallMs, cpuMs, peakRssMiB, blobs: view.blobs.copied, bytes: view.bytes.copied, state: recorder.stateBytes(), engine: engineStats(host.log(), 'blobferry host'), marks: recorder.marks, ticks: recorder.ticks };
  } finally {
    // On a failure it may still run; it starts no process of its own (--no-azurite).
    if (host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGKILL');
      await exited(host.child);
    }
  }
}

/**
 * The control: the same copies straight from @azure/storage-blob in the bench's own process, one
 * Copy Blob From URL each (what blobferry's batches send), 2 × concurrency in flight (blobferry's
 * window), listing page by page as it goes. A slowdown it shows too is Azurite's, not blobferry's.
 */
async function sdkRun(b: Bench, { source, destination, concurrency }: CopyArgs): Promise<ScaleRun> {
  const src = new URL(source);
  const [, account, container, ...rest] = src.pathname.split('/');
  const prefix = rest.join('/');
  const listing = new ContainerClient(`${src.origin}/${account}/${container}${src.search}`).listBlobsFlat({ prefix });
  const dst = new URL(destination);
  const pipeline = newPipeline(new AnonymousCredential(), { keepAliveOptions: { enable: true } });
  const encoded = (name: string) => name.split('/').map(encodeURIComponent).join('/');
  const recorder = new Recorder(COUNT, path.join(b.dir, 'no-state'));
  const cpu0 = process.cpuUsage();
  let blobs = 0;
  let bytes = 0;
  // Each worker takes the listing's next blob (an async generator queues concurrent next() calls).
  await Promise.all(Array.from({ length: 2 * concurrency }, async () => {
    for (let next = await listing.next(); !next.done; next = await listing.next()) {
      const item = next.value;
      const target = new BlockBlobClient(`${dst.origin}${dst.pathname.replace(/\/$/, '')}/${encoded(item.name.slice(prefix.length))}${dst.search}`, pipeline);
      await target.syncCopyFromURL(`${src.origin}/${account}/${container}/${encoded(item.name)}${src.search}`);
      blobs++;
      bytes += item.properties.contentLength ?? 0;
      recorder.progress(blobs, bytes);
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  if (blobs !== COUNT) throw new Error(`the SDK control copied ${blobs} of ${COUNT} blobs`);
  return { tool: 'sdk', concurrency: 2 * concurrency, wallMs: recorder.elapsedMs(), cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: NaN, blobs, bytes, marks: recorder.marks, ticks: recorder.ticks };
}

const RUNS: Record<string, (b: Bench, args: CopyArgs) => Promise<ScaleRun>> = { cli: cliRun, host: hostRun, sdk: sdkRun };

export async function scale(b: Bench, concurrency: number): Promise<{ samples: ScaleRun[]; table: string }> {
  const tools = (process.env.BENCH_SCALE_TOOLS ?? 'cli,host,sdk').split(',');
  for (const tool of tools) if (!RUNS[tool]) throw new Error(`BENCH_SCALE_TOOLS: ${tool} is not one of ${Object.keys(RUNS).join(', ')}`);
  console.log(`  seeding ${COUNT.toLocaleString('en')} blobs of 1 KiB – 1 MiB`);
  await seedScale(b);
  const runs: ScaleRun[] = [];
  for (const tool of tools) {
    const args = copyArgs(b, 'blobferry', 'scale', `scale-${tool}`, concurrency);
    // measureRun: with Azurite's CPU while it ran, into a container of the run's own, deleted afterwards in one request.
    const result = (await measureRun(b, args.destination, () => RUNS[tool](b, args))) as ScaleRun;
    runs.push(result);
    const blobferryOnly = result.state && result.engine ? `, peak RSS ${result.peakRssMiB.toFixed(0)} MiB, state max ${(result.state.maxBytes / MiB).toFixed(1)} MiB, largest history ${result.engine.largestHistory}, ${result.engine.orchestratorMs} ms in orchestrator code` : '';
    console.log(`  ${result.tool}: ${(result.wallMs / 1000).toFixed(1)} s, ${(result.blobs / (result.wallMs / 1000)).toFixed(0)} blobs/s${blobferryOnly}`);
  }
  return { samples: runs, table: scaleTables(runs, concurrency) };
}

interface Slice {
  seconds: number;
  blobsPerSecond: number;
  mibPerSecond: number;
  stateMiB: number;
}

/** Throughput between consecutive 10% marks (the first from the start: it holds start-up and the first listing). */
function slices(run: ScaleRun): Slice[] {
  return run.marks.map((mark, i) => {
    const from = i === 0 ? { atMs: 0, blobs: 0, bytes: 0 } : run.marks[i - 1];
    const seconds = (mark.atMs - from.atMs) / 1000;
    return { seconds, blobsPerSecond: (mark.blobs - from.blobs) / seconds, mibPerSecond: (mark.bytes - from.bytes) / MiB / seconds, stateMiB: mark.stateBytes / MiB };
  });
}

function scaleTables(runs: ScaleRun[], concurrency: number): string {
  const names: Record<string, string> = { cli: '`blobferry copy` (CLI)', host: '`blobferry host`, POST /api/copies', sdk: `SDK control, ${2 * concurrency} in flight` };
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const count = (n: number | undefined) => n?.toLocaleString('en') ?? '–';
  const rows = runs.map((r) => {
    const seconds = r.wallMs / 1000;
    const state = r.state ? `${mib(r.state.maxBytes)} | ${mib(r.state.endBytes)}` : '– | –';
    return `| ${names[r.tool]} | ${seconds.toFixed(1)} | ${(r.blobs / seconds).toFixed(0)} | ${(r.bytes / MiB / seconds).toFixed(1)} | ${(r.cpuMs / 1000).toFixed(1)} | ${((r.azuriteCpuMs ?? NaN) / 1000).toFixed(1)} | ${Number.isNaN(r.peakRssMiB) ? '–' : r.peakRssMiB.toFixed(0)} | ${state} | ${count(r.engine?.largestHistory)} | ${count(r.engine?.instances)} | ${count(r.engine?.episodes)} | ${count(r.engine?.orchestratorMs)} | ${count(r.engine?.historyEventsReplayed)} |`;
  });
  const bySlice = runs.map(slices);
  // The state folder's column only for runs that have one.
  const sliceCells = (run: ScaleRun, slice: Slice | undefined) => {
    const cells = slice ? [slice.seconds.toFixed(1), slice.blobsPerSecond.toFixed(0), slice.mibPerSecond.toFixed(1), slice.stateMiB.toFixed(1)] : ['–', '–', '–', '–'];
    return (run.state ? cells : cells.slice(0, 3)).join(' | ');
  };
  const sliceRows = Array.from({ length: 10 }, (_, i) => `| ${i * 10}–${(i + 1) * 10}% | ${runs.map((r, k) => sliceCells(r, bySlice[k][i])).join(' | ')} |`);
  const ratio = (s: Slice[], of: (x: Slice) => number) => (s.length === 10 ? (of(s[9]) / of(s[0])).toFixed(2) : '–');
  const ratios = runs.map((r, i) => `${r.tool}: blobs/s **${ratio(bySlice[i], (x) => x.blobsPerSecond)}**, MiB/s ${ratio(bySlice[i], (x) => x.mibPerSecond)}`);
  const totalBytes = runs[0]?.bytes ?? 0;
  return [
    `${COUNT.toLocaleString('en')} blobs (${mib(totalBytes)} MiB), concurrency ${concurrency}.`,
    '',
    '| run | wall s | blobs/s | MiB/s | CPU s | Azurite CPU s | peak RSS MiB | state max MiB | state at end MiB | largest history (events) | instances at end | episodes | orchestrator ms | history events replayed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `| blobs copied | ${runs.map((r) => `${r.tool} s | ${r.tool} blobs/s | ${r.tool} MiB/s${r.state ? ` | ${r.tool} state MiB` : ''}`).join(' | ')} |`,
    `| --- | ${runs.map((r) => (r.state ? '---: | ---: | ---: | ---:' : '---: | ---: | ---:')).join(' | ')} |`,
    ...sliceRows,
    '',
    `Last 10% / first 10% throughput: ${ratios.join('; ')}.`,
  ].join('\n');
}
