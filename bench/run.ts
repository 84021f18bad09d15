/**
 * `npm run bench [scenario...]`: benchmarks, never part of `npm test`. Each measurement runs in
 * a fresh process; results go to bench/results/<date>.json and the tables in docs/benchmarks.md
 * (between the markers of each scenario).
 *
 * Scenarios:
 *   fanout   the local host's orchestration overhead: fan-out of N no-op activities
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

function writeSection(file: string, marker: string, content: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const begin = `<!-- bench:${marker}:begin -->`;
  const end = `<!-- bench:${marker}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`${file} lacks the ${marker} markers`);
  fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${content}\n${text.slice(b)}`);
}

function main(): void {
  const wanted = process.argv.slice(2);
  const scenarios = { fanout };
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    runs: RUNS,
  };
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${RUNS} runs each`;
  for (const [name, run] of Object.entries(scenarios)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`== ${name}`);
    const { samples, table } = run();
    results[name] = samples;
    writeSection(path.join(ROOT, 'docs', 'benchmarks.md'), name, `${table}\n\n_${machine}._`);
  }
  const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}.json`);
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${path.relative(ROOT, out)}; tables: docs/benchmarks.md`);
}

main();
